//! Work that one replica at a time runs: Slack's Socket Mode connection, the Discord
//! gateway (unless shards are split between processes), the purge of expired event claims.
//!
//! [`run`] keeps trying to take the work's hold ([`Store::singleton`]: a PostgreSQL advisory
//! lock on a connection of its own; always granted on the embedded store, so there the work
//! starts at once and runs until `serve` stops, as it always did). While it holds it, it runs
//! the work and checks every [`RETRY_EVERY`] that the hold is still there; when the hold is
//! lost (its connection died: the database restarted, the network failed), it stops the work
//! (the work's [`Stop`] completes) and goes back to trying. A replica that does not hold the
//! work tries again every [`RETRY_EVERY`], so when the holder dies its lock goes with its
//! connection and a survivor takes the work over within a few seconds.
//!
//! The work is a function that starts one run, given the [`Stop`] it must end on. A run that
//! ends by itself (the gateway refusing the token, say) is not started again: the hold is let
//! go, so another replica may try, and this replica stops trying, as `serve` did before
//! replicas.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::health::{Holding, Signal};
use crate::store::{Singleton, Store};

/// How often a replica tries to take work it does not hold, and how often a holder checks
/// that it still holds it. With [`Singleton::still_held`]'s 3 s bound, a survivor takes over
/// within 10 s of the holder's death.
pub const RETRY_EVERY: Duration = Duration::from_millis(2500);

/// The log target of the hand-overs.
const LOG_TARGET: &str = "storydesk::serve";

/// What a run of the work is told: stop now. Completes when `serve` stops or when this
/// replica no longer holds the work.
pub struct Stop {
    /// `serve`'s own stop.
    serve: watch::Receiver<bool>,
    /// The hold was lost.
    released: watch::Receiver<bool>,
}

impl Stop {
    /// Completes once the work must stop.
    pub async fn wait(mut self) {
        tokio::select! {
            _ = self.serve.wait_for(|s| *s) => {},
            _ = self.released.wait_for(|s| *s) => {},
        }
    }
}

/// One piece of singleton work, as [`run`] is given it.
pub struct Job {
    /// The hold's name: `purge`, `slack-socket-mode`, `discord-gateway`.
    pub name: &'static str,
    /// How often to try to take it, and to check it is still held ([`RETRY_EVERY`]; tests
    /// use less).
    pub every: Duration,
    /// This replica's part for it in `/readyz` and `storydesk_singleton_held`.
    pub holding: Holding,
    /// The connection the work keeps, if any (`slack_socket_mode`, `discord_gateway`):
    /// while another replica holds the work, this replica's part says so and is ready.
    pub connection: Option<Signal>,
}

/// How a run of the work ended.
enum Ended {
    /// `serve` is stopping.
    Stopping,
    /// The hold was lost; the run was stopped.
    Lost,
    /// The run ended by itself.
    ByItself,
}

/// Runs `job` whenever this replica holds it, until `stop` says `serve` stops: takes the
/// hold, starts a run with `work`, checks the hold, stops the run when it is lost, tries
/// again. Returns once `serve` stops (after the run under way has ended) or once a run ended
/// by itself.
pub async fn run<W, F>(store: Store, job: Job, mut stop: watch::Receiver<bool>, mut work: W)
where
    W: FnMut(Stop) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let Job {
        name,
        every,
        holding,
        connection,
    } = job;
    let mut lost_before = false;
    loop {
        let Some(hold) = take(&store, name, every, &holding, &connection, &mut stop).await else {
            return;
        };
        if lost_before {
            tracing::info!(target: LOG_TARGET, job = name, "took the work over again");
        } else {
            tracing::info!(target: LOG_TARGET, job = name, "this replica runs the work");
        }
        holding.held();
        if let Some(connection) = &connection {
            connection.not_ready("connecting");
        }
        let hold = Arc::new(hold);
        let (release, released) = watch::channel(false);
        let task = tokio::spawn(work(Stop {
            serve: stop.clone(),
            released,
        }));
        match hold_while_running(task, &hold, every, &release, &stop).await {
            Ended::Stopping => {
                holding.not_held("stopped");
                return;
            }
            Ended::ByItself => {
                tracing::warn!(
                    target: LOG_TARGET,
                    job = name,
                    "the work ended by itself; this replica lets it go and does not start it again"
                );
                holding.not_held("ended by itself: let go");
                return;
            }
            Ended::Lost => {
                tracing::warn!(
                    target: LOG_TARGET,
                    job = name,
                    "lost the hold on the work (its database connection failed); stopped it, taking it again"
                );
                holding.not_held("lost: taking it again");
                lost_before = true;
            }
        }
        // The hold goes here, once the run has ended.
        drop(hold);
    }
}

/// Tries to take the hold every `every` until it is taken (`Some`) or `serve` stops
/// (`None`), saying meanwhile why this replica does not run the work.
async fn take(
    store: &Store,
    name: &'static str,
    every: Duration,
    holding: &Holding,
    connection: &Option<Signal>,
    stop: &mut watch::Receiver<bool>,
) -> Option<Singleton> {
    let mut said = None;
    loop {
        if *stop.borrow() {
            return None;
        }
        let asked = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.singleton(name))
        };
        let outcome = tokio::select! {
            asked = asked => asked,
            _ = stop.wait_for(|s| *s) => return None,
        };
        let why = match outcome {
            Ok(Ok(Some(hold))) => return Some(hold),
            Ok(Ok(None)) => Waiting::Elsewhere,
            Ok(Err(e)) => Waiting::Failed(e.to_string()),
            Err(e) => Waiting::Failed(e.to_string()),
        };
        if said.as_ref() != Some(&why) {
            match &why {
                Waiting::Elsewhere => {
                    tracing::info!(target: LOG_TARGET, job = name, "another replica runs the work")
                }
                Waiting::Failed(error) => {
                    tracing::warn!(target: LOG_TARGET, job = name, error = %error, "cannot ask the database who runs the work; trying again")
                }
            }
            holding.not_held(why.detail());
            if let Some(connection) = connection {
                match &why {
                    Waiting::Elsewhere => connection.ready(why.detail()),
                    Waiting::Failed(_) => connection.not_ready(why.detail()),
                }
            }
            said = Some(why);
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {},
            _ = stop.wait_for(|s| *s) => return None,
        }
    }
}

/// Why this replica does not run the work.
#[derive(Debug, PartialEq, Eq)]
enum Waiting {
    /// Another replica holds it.
    Elsewhere,
    /// The database could not be asked (the error, logged once).
    Failed(String),
}

impl Waiting {
    /// What `/readyz` says.
    fn detail(&self) -> &'static str {
        match self {
            Waiting::Elsewhere => "held by another replica",
            Waiting::Failed(_) => "not held: cannot ask the database, trying again",
        }
    }
}

/// Waits for the run `task` to end, checking every `every` that `hold` is still held; when
/// it is not, tells the run to stop (`release`) and waits for it to end.
async fn hold_while_running(
    mut task: tokio::task::JoinHandle<()>,
    hold: &Arc<Singleton>,
    every: Duration,
    release: &watch::Sender<bool>,
    stop: &watch::Receiver<bool>,
) -> Ended {
    let ended = |joined: Result<(), tokio::task::JoinError>| {
        if let Err(e) = joined {
            tracing::error!(target: LOG_TARGET, job = hold.name(), error = %e, "the work failed");
        }
        if *stop.borrow() {
            Ended::Stopping
        } else {
            Ended::ByItself
        }
    };
    let mut check = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            joined = &mut task => return ended(joined),
            _ = check.tick() => {
                let asked = {
                    let hold = hold.clone();
                    tokio::task::spawn_blocking(move || hold.still_held())
                };
                let held = tokio::select! {
                    held = asked => held.unwrap_or(false),
                    joined = &mut task => return ended(joined),
                };
                if !held {
                    let _ = release.send(true);
                    let joined = (&mut task).await;
                    return match ended(joined) {
                        Ended::Stopping => Ended::Stopping,
                        _ => Ended::Lost,
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
