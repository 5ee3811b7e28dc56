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

    use crate::desk::{EventKey, EventKind, Input, Outcome, Request};
    use crate::model::{ChannelKey, Person, Place, Platform, Timestamp};

    fn request(text: &str, trigger: &str) -> Request {
        Request {
            actor: Person {
                id: "U1".into(),
                name: "alice".into(),
            },
            memberships: Default::default(),
            place: Place {
                channel: ChannelKey {
                    platform: Platform::Slack,
                    team: "T1".into(),
                    channel: "C1".into(),
                },
                thread: None,
            },
            at: Timestamp::now(),
            input: Input::Text {
                text: text.into(),
                body: None,
            },
            event: Some(EventKey::new(
                Platform::Slack,
                "T1",
                EventKind::Command,
                trigger,
            )),
            story: None,
        }
    }

    /// A subscriber that panics when the desk opens its span: a panic inside the desk's
    /// work, on whichever thread runs it while this is that thread's default.
    struct PanicsInTheDesk;

    impl tracing::Subscriber for PanicsInTheDesk {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            if span.metadata().name() == "desk" {
                panic!("a panic inside the desk's work, on purpose");
            }
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, _: &tracing::Event<'_>) {}
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[tokio::test]
    async fn a_read_is_answered_in_place_once_and_a_write_goes_to_the_blocking_pool() {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk(dir.path());
        let new = desk.prepare(request("/story new A story", "w1"));
        assert!(!new.answers_in_place());
        let Started::Running(job) = start(&desk, new) else {
            panic!("a write was answered in place");
        };
        assert_eq!(job.await.unwrap().outcome, Outcome::Done);

        let before = desk.store().stats().transactions;
        let status = desk.prepare(request("/story status", "r1"));
        assert!(status.answers_in_place());
        let Started::Answered(Some(reply)) = start(&desk, status) else {
            panic!("a read went to another thread");
        };
        assert_eq!(reply.outcome, Outcome::Done);
        assert!(!reply.posts.is_empty());
        // The same event again: deduplicated in place, as on the blocking pool.
        let again = desk.prepare(request("/story status", "r1"));
        let Started::Answered(Some(reply)) = start(&desk, again) else {
            panic!("a redelivered read went to another thread");
        };
        assert_eq!(reply.outcome, Outcome::Duplicate);
        assert!(reply.posts.is_empty());
        // Answering in place never wrote to the store.
        assert_eq!(desk.store().stats().transactions, before);
        assert_eq!(desk.panics(), 0);
    }

    #[tokio::test]
    async fn a_panic_in_a_read_answered_in_place_is_reported_and_the_thread_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk(dir.path());
        desk.handle(request("/story new A story", "w1"));
        let prepared = desk.prepare(request("/story status", "r1"));
        let started = tracing::subscriber::with_default(PanicsInTheDesk, || start(&desk, prepared));
        assert!(matches!(started, Started::Answered(None)));
        assert_eq!(desk.panics(), 1);
        // The same thread answers the next read.
        let reply = super::desk(&desk, desk.prepare(request("/story status", "r2"))).await;
        assert_eq!(reply.map(|r| r.outcome), Some(Outcome::Done));
        assert_eq!(desk.panics(), 1);
        // And `in_place` alone: the panic is caught and counted.
        assert_eq!(
            in_place(&desk, "test", || -> u8 { panic!("on purpose") }),
            None
        );
        assert_eq!(desk.panics(), 2);
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
