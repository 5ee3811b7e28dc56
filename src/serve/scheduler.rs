//! The desk's scheduler in `serve`: one loop per platform served, run by one replica at a
//! time (`scheduler-slack`, `scheduler-discord`, see [`super::singleton`]), that fires the
//! jobs that fall due ([`Desk::run_due`]) and hands what they send to the platform's adapter.
//!
//! The loop asks the desk when the next job is due ([`Desk::next_due`]) and sleeps until
//! then, but never more than [`LOOK_EVERY`], so a job scheduled meanwhile (a deadline set a
//! second ago) is seen. It reads the time from an injected [`Clock`]: the system's in
//! `serve`, a [`crate::desk::clock::ManualClock`] in tests, which then move time by hand.
//! Each job is taken and its effect written in one transaction by the desk, so it fires
//! once, across restarts and replicas; delivery happens after.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::desk::clock::Clock;
use crate::desk::{Desk, Due};
use crate::model::Platform;

/// The longest the loop sleeps before it looks again.
pub const LOOK_EVERY: Duration = Duration::from_secs(1);

/// The singleton job's name for `platform`'s scheduler: `scheduler-slack`.
pub fn job_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Slack => "scheduler-slack",
        Platform::Discord => "scheduler-discord",
        _ => "scheduler",
    }
}

/// Fires `platform`'s due jobs as `clock` reaches them and gives what each sends to
/// `deliver`, in order, until the future is dropped (on the singleton's [`super::singleton::Stop`]).
pub async fn run<D, F>(desk: Desk, platform: Platform, clock: Arc<dyn Clock>, deliver: D)
where
    D: Fn(Due) -> F,
    F: Future<Output = ()>,
{
    loop {
        let wait = match round(&desk, platform, &clock).await {
            Ok(Some(due)) => {
                for d in due {
                    deliver(d).await;
                }
                // More may have fallen due while these were delivered.
                continue;
            }
            Ok(None) => next_wait(&desk, platform, &clock).await,
            Err(why) => {
                tracing::warn!(platform = platform.as_str(), error = %why, "the scheduler could not fire due jobs");
                LOOK_EVERY
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// Fires the jobs due now, if the next one is: what they send, or `None` when nothing was
/// due yet.
async fn round(
    desk: &Desk,
    platform: Platform,
    clock: &Arc<dyn Clock>,
) -> Result<Option<Vec<Due>>, String> {
    let next = blocking(desk, move |d| d.next_due(platform)).await?;
    let now = clock.now();
    match next {
        Some(at) if at <= now => blocking(desk, move |d| d.run_due(platform, now))
            .await
            .map(Some),
        _ => Ok(None),
    }
}

/// How long to sleep: until the next job, at most [`LOOK_EVERY`].
async fn next_wait(desk: &Desk, platform: Platform, clock: &Arc<dyn Clock>) -> Duration {
    match blocking(desk, move |d| d.next_due(platform)).await {
        Ok(Some(at)) => {
            let ms = (at.0 - clock.now().0).max(0) as u64;
            Duration::from_millis(ms).min(LOOK_EVERY)
        }
        _ => LOOK_EVERY,
    }
}

/// Runs a desk call on a blocking thread; its error as a sentence.
async fn blocking<T: Send + 'static>(
    desk: &Desk,
    call: impl FnOnce(&Desk) -> Result<T, crate::desk::DeskError> + Send + 'static,
) -> Result<T, String> {
    let desk = desk.clone();
    match tokio::task::spawn_blocking(move || call(&desk)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(format!("the scheduler's task failed: {e}")),
    }
}
