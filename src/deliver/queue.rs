//! One send queue per channel.
//!
//! Platforms limit how fast a bot may post in one channel (Slack about one message a second,
//! answering 429 beyond), and messages to one channel must arrive in order (an article's
//! parts, a revision before its approval). So every job that posts to a channel runs on
//! that channel's queue, one after the other: while a job waits out a `Retry-After`, the
//! jobs behind it wait too. Channels do not hold each other up. A queue's worker ends after
//! a while without work.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The per-channel queues. Cheap to clone.
#[derive(Clone, Default)]
pub struct Outbox {
    /// Shared by every clone.
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Each channel's queue. Jobs are sent only while holding this lock, and a worker leaves
    /// the map only while holding it and finding its queue empty, so no job is ever left in
    /// a queue without a worker.
    queues: Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>,
    /// The desk a panicking job is reported to ([`crate::supervise`]).
    desk: Option<crate::desk::Desk>,
}

/// How long a channel's worker waits for more work before it ends.
const IDLE: Duration = Duration::from_secs(60);

impl Outbox {
    /// An outbox with no queues yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// An outbox whose jobs, when one panics, are reported on `desk` (logged, counted in
    /// `storydesk_panics_total{work="deliver"}` and by [`crate::desk::Desk::panics`]).
    pub fn reporting_to(desk: &crate::desk::Desk) -> Self {
        Outbox {
            inner: Arc::new(Inner {
                desk: Some(desk.clone()),
                ..Inner::default()
            }),
        }
    }

    /// Runs `job` on `channel`'s queue after every job queued there before it; the receiver
    /// gets its result (or is dropped if the job panicked).
    pub fn run<T, F>(&self, channel: &str, job: F) -> oneshot::Receiver<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let desk = self.inner.desk.clone();
        let job: Job = Box::pin(async move {
            // A panicking job fails alone (reported); the queue goes on.
            match tokio::spawn(job).await {
                Ok(value) => {
                    let _ = tx.send(value);
                }
                Err(e) => {
                    if let Some(desk) = &desk {
                        crate::supervise::report(desk, "deliver", &e);
                    }
                }
            }
        });
        let mut queues = self.inner.queues.lock().expect("outbox lock");
        let sender = queues.entry(channel.to_string()).or_insert_with(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(worker(self.inner.clone(), channel.to_string(), receiver));
            sender
        });
        if sender.send(job).is_err() {
            tracing::error!("a channel queue's worker ended with its queue still listed");
        }
        rx
    }

    /// How many channels have a live queue (for metrics and tests).
    pub fn queues(&self) -> usize {
        self.inner.queues.lock().expect("outbox lock").len()
    }
}

async fn worker(inner: Arc<Inner>, channel: String, mut jobs: mpsc::UnboundedReceiver<Job>) {
    loop {
        match tokio::time::timeout(IDLE, jobs.recv()).await {
            Ok(Some(job)) => job.await,
            Ok(None) => return,
            Err(_) => {
                let mut queues = inner.queues.lock().expect("outbox lock");
                if jobs.is_empty() {
                    queues.remove(&channel);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_of_one_channel_run_in_order_and_channels_in_parallel() {
        let outbox = Outbox::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (release, hold) = oneshot::channel::<()>();
        let l = log.clone();
        let first = outbox.run("C1", async move {
            let _ = hold.await;
            l.lock().unwrap().push("C1 first");
        });
        let l = log.clone();
        let second = outbox.run("C1", async move {
            l.lock().unwrap().push("C1 second");
        });
        let l = log.clone();
        let other = outbox.run("C2", async move {
            l.lock().unwrap().push("C2");
        });
        other.await.unwrap();
        assert_eq!(*log.lock().unwrap(), vec!["C2"]);
        release.send(()).unwrap();
        first.await.unwrap();
        second.await.unwrap();
        assert_eq!(*log.lock().unwrap(), vec!["C2", "C1 first", "C1 second"]);
        assert_eq!(outbox.queues(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_queues_end_and_come_back() {
        let outbox = Outbox::new();
        outbox.run("C1", async {}).await.unwrap();
        assert_eq!(outbox.queues(), 1);
        tokio::time::sleep(IDLE * 2).await;
        assert_eq!(outbox.queues(), 0);
        assert_eq!(outbox.run("C1", async { 7 }).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_panicking_job_does_not_stop_the_queue_and_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            crate::store::Store::open(dir.path(), crate::store::StoreOptions::default()).unwrap();
        let desk = crate::desk::Desk::new(
            store,
            crate::config::Config::defaults(),
            crate::template::Template::load("news").unwrap(),
        );
        let outbox = Outbox::reporting_to(&desk);
        let failed = outbox.run("C1", async { panic!("boom") });
        assert!(failed.await.is_err());
        assert_eq!(desk.panics(), 1);
        assert_eq!(outbox.run("C1", async { 1 }).await.unwrap(), 1);
        assert_eq!(desk.panics(), 1);
    }
}
