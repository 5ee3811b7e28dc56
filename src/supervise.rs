//! Work an adapter runs away from the task that received the request: the desk on a
//! blocking thread (sled and the checks block), a reply delivered after the platform was
//! answered. A panic there must not pass unnoticed: it is logged with the work that was
//! running (never the panic's message, which may quote data; the process's panic hook has
//! already printed it to stderr), counted in `storydesk_panics_total{work}`, and counted on
//! the desk, where a test harness reads it ([`Desk::panics`]) and fails the scenario.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use crate::desk::{Desk, Prepared, Reply};

/// Where the desk's work on a request runs ([`start`]).
pub enum Started {
    /// Answered on the calling task (`None`: it panicked, reported).
    Answered(Option<Reply>),
    /// Running on the blocking pool: await the handle (and report a panic with [`report`]),
    /// or leave it running past a deadline.
    Running(tokio::task::JoinHandle<Reply>),
}

/// Starts the desk on `prepared`: a request the desk answers in place
/// ([`Prepared::answers_in_place`]: a read of records in memory) is answered here and now,
/// without a handoff to another thread and back; any other may wait for the disk and goes to
/// tokio's blocking pool. This is the one place adapters learn where the desk runs; a panic
/// either way is reported as work `desk`.
pub fn start(desk: &Desk, prepared: Prepared) -> Started {
    if prepared.answers_in_place() {
        return Started::Answered(in_place(desk, "desk", || desk.answer(prepared)));
    }
    let d = desk.clone();
    Started::Running(tokio::task::spawn_blocking(move || d.answer(prepared)))
}

/// The desk's reply to `prepared`, run where [`start`] says; `None` when it panicked
/// (reported).
pub async fn desk(desk: &Desk, prepared: Prepared) -> Option<Reply> {
    match start(desk, prepared) {
        Started::Answered(reply) => reply,
        Started::Running(handle) => joined(desk, "desk", handle).await,
    }
}

/// Runs `job` here, on the calling thread; `None` when it panicked (reported). For
/// synchronous work that never waits: the panic unwinds no further than this call, so the
/// worker thread and its other tasks go on.
pub fn in_place<T>(desk: &Desk, work: &'static str, job: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(AssertUnwindSafe(job)) {
        Ok(value) => Some(value),
        Err(_) => {
            desk.panicked(work);
            None
        }
    }
}

/// Runs `job` on tokio's blocking pool; `None` when it panicked (reported).
pub async fn blocking<T, F>(desk: &Desk, work: &'static str, job: F) -> Option<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::task::spawn_blocking(job).await {
        Ok(value) => Some(value),
        Err(e) => {
            if e.is_panic() {
                desk.panicked(work);
            }
            None
        }
    }
}

/// Runs `work` as a task of its own; a panic in it is reported instead of lost with the
/// task's handle.
pub fn spawn(
    desk: &Desk,
    work: &'static str,
    future: impl Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(caught(desk, work, future))
}

/// `future`, with a panic in it reported instead of unwinding into whoever runs it.
pub fn caught(
    desk: &Desk,
    work: &'static str,
    future: impl Future<Output = ()> + Send + 'static,
) -> impl Future<Output = ()> + Send + 'static {
    let desk = desk.clone();
    async move {
        if AssertUnwindSafe(future).catch_unwind().await.is_err() {
            desk.panicked(work);
        }
    }
}

/// Reports a task that ended in `error`, when it panicked (a cancelled task did not).
pub fn report(desk: &Desk, work: &'static str, error: &tokio::task::JoinError) {
    if error.is_panic() {
        desk.panicked(work);
    }
}

/// Awaits a task's handle; `None` when the task panicked (reported) or was cancelled.
pub async fn joined<T>(
    desk: &Desk,
    work: &'static str,
    handle: tokio::task::JoinHandle<T>,
) -> Option<T> {
    match handle.await {
        Ok(value) => Some(value),
        Err(e) => {
            if e.is_panic() {
                desk.panicked(work);
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Template};
    use crate::store::{Store, StoreOptions};

    fn desk(dir: &std::path::Path) -> Desk {
        let store = Store::open(dir, StoreOptions::default()).unwrap();
        Desk::new(store, Config::defaults(), Template::load("news").unwrap())
    }

    #[tokio::test]
    async fn panics_in_blocking_jobs_and_spawned_tasks_are_counted_on_the_desk() {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk(dir.path());
        assert_eq!(blocking(&desk, "test", || 7).await, Some(7));
        assert_eq!(desk.panics(), 0);
        let failed: Option<()> = blocking(&desk, "test", || panic!("on purpose")).await;
        assert_eq!(failed, None);
        assert_eq!(desk.panics(), 1);
        spawn(&desk, "test", async { panic!("on purpose") })
            .await
            .unwrap();
        assert_eq!(desk.panics(), 2);
        let handle = tokio::spawn(async { panic!("on purpose") });
        assert_eq!(joined::<()>(&desk, "test", handle).await, None);
        assert_eq!(desk.panics(), 3);
        // A clone is the same desk.
        assert_eq!(desk.clone().panics(), 3);
    }
}
