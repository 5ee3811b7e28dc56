//! One send queue per channel, and the bound on what waits for them.
//!
//! Platforms limit how fast a bot may post in one channel (Slack about one message a second,
//! answering 429 beyond), and messages to one channel must arrive in order (an article's
//! parts, a revision before its approval). So every job that posts to a channel runs on
//! that channel's queue, one after the other: while a job waits out a `Retry-After`, the
//! jobs behind it wait too. Channels do not hold each other up. A queue's worker ends after
//! a while without work.
//!
//! What waits is bounded. Before the desk runs a request whose reply will be delivered
//! (a write: its posts, the board, the review thread), the adapter asks for a [`Ticket`]
//! ([`Outbox::admit`]); the ticket travels with the delivery and is given back when the
//! last of it is done. At most [`Bounds::per_channel`] deliveries are under way in one
//! channel and [`Bounds::total`] in all, so a slow or rate-limiting platform holds a bounded
//! backlog in memory instead of an ever longer one. A request that finds the backlog full
//! waits for room; one that still finds none after its patience is refused before the desk
//! changes anything, with a sentence saying so: nothing it was told is done is lost, and
//! nothing is dropped from a queue. Jobs themselves are never refused: [`Outbox::run`]
//! queues whatever an admitted delivery (or a publication resumed at start) sends.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// How many deliveries may be under way at once (admitted by [`Outbox::admit`], not yet
/// finished).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// In one channel. A channel's queue runs one job at a time, so this is how far behind
    /// the platform one channel may fall.
    pub per_channel: usize,
    /// In all channels together: what bounds the memory the backlog holds.
    pub total: usize,
}

impl Default for Bounds {
    /// 256 deliveries in one channel, 1,024 in all: a few MiB of replies waiting (a
    /// delivery holds its reply's posts, a few KiB), and at Slack's pace of about one
    /// message a second per channel more than enough for any newsroom's bursts.
    fn default() -> Self {
        Bounds {
            per_channel: 256,
            total: 1024,
        }
    }
}

/// The backlog stayed full for longer than the request's patience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the delivery backlog is full")]
pub struct Busy;

/// The per-channel queues. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    /// Shared by every clone.
    inner: Arc<Inner>,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox::with_bounds(None, "", Bounds::default())
    }
}

struct Inner {
    /// Each channel's queue. Jobs are sent only while holding this lock, and a worker leaves
    /// the map only while holding it and finding its queue empty, so no job is ever left in
    /// a queue without a worker.
    queues: Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>,
    /// The desk a panicking job is reported to ([`crate::supervise`]).
    desk: Option<crate::desk::Desk>,
    /// The platform the backlog gauge is labelled with (empty: not recorded).
    platform: &'static str,
    /// The bounds [`Outbox::admit`] keeps.
    bounds: Bounds,
    /// Room in all channels: one permit per delivery under way. Requests waiting for room
    /// queue in arrival order, and a ticket given back goes to the one first in line and
    /// wakes only it: nobody waits out their patience while later requests go ahead.
    total: Arc<Semaphore>,
    /// Room in each channel with a delivery under way or a request waiting; a channel
    /// leaves the map when neither is left.
    channels: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// One admitted delivery: held by the work that delivers a reply, given back when dropped.
#[must_use = "the delivery is admitted only while its ticket is held"]
pub struct Ticket {
    /// The outbox that gave it.
    inner: Arc<Inner>,
    /// The channel it counts against.
    channel: String,
    /// Its room in the channel, then in all (given back in that order, when dropped).
    permits: Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)>,
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("channel", &self.channel)
            .finish()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        drop(self.permits.take());
        self.inner.forget_if_idle(&self.channel);
        self.inner.record();
    }
}

impl Inner {
    fn channels(&self) -> MutexGuard<'_, HashMap<String, Arc<Semaphore>>> {
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `channel`'s room, listed while anyone holds or waits for it.
    fn room_in(&self, channel: &str) -> Arc<Semaphore> {
        self.channels()
            .entry(channel.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.bounds.per_channel)))
            .clone()
    }

    /// Unlists `channel` when no ticket holds its room and no request waits for it (both
    /// hold a clone of it, and a clone is only taken under the map's lock).
    fn forget_if_idle(&self, channel: &str) {
        let mut channels = self.channels();
        if channels
            .get(channel)
            .is_some_and(|room| Arc::strong_count(room) == 1)
        {
            channels.remove(channel);
        }
    }

    /// Deliveries under way in all channels.
    fn under_way(&self) -> usize {
        self.bounds
            .total
            .saturating_sub(self.total.available_permits())
    }

    fn queues(&self) -> MutexGuard<'_, HashMap<String, mpsc::UnboundedSender<Job>>> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self) {
        if !self.platform.is_empty() {
            crate::telemetry::delivery_backlog(self.platform, self.under_way());
        }
    }
}

/// How long a channel's worker waits for more work before it ends.
const IDLE: Duration = Duration::from_secs(60);

impl Outbox {
    /// An outbox with no queues yet and the default [`Bounds`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An outbox whose jobs, when one panics, are reported on `desk` (logged, counted in
    /// `storydesk_panics_total{work="deliver"}` and by [`crate::desk::Desk::panics`]), and
    /// whose backlog is recorded as `platform`'s (`storydesk_delivery_backlog`).
    pub fn reporting_to(desk: &crate::desk::Desk, platform: &'static str) -> Self {
        Self::with_bounds(Some(desk), platform, Bounds::default())
    }

    /// An outbox keeping `bounds`.
    pub fn with_bounds(
        desk: Option<&crate::desk::Desk>,
        platform: &'static str,
        bounds: Bounds,
    ) -> Self {
        Outbox {
            inner: Arc::new(Inner {
                queues: Mutex::default(),
                desk: desk.cloned(),
                platform,
                bounds,
                total: Arc::new(Semaphore::new(bounds.total)),
                channels: Mutex::default(),
            }),
        }
    }

    /// Admits one delivery to `channel`: a ticket at once when the backlog has room, else
    /// when a delivery finishes and makes room, or [`Busy`] when none did within
    /// `patience` (counted in `storydesk_delivery_refused_total`).
    ///
    /// Requests wait in arrival order: first for room in their channel (so a full channel
    /// holds up only its own requests), then for room in all.
    pub async fn admit(&self, channel: &str, patience: Duration) -> Result<Ticket, Busy> {
        let deadline = tokio::time::Instant::now() + patience;
        let room = self.inner.room_in(channel);
        let admitted = tokio::time::timeout_at(deadline, async {
            let here = room.acquire_owned().await.ok()?;
            let all = self.inner.total.clone().acquire_owned().await.ok()?;
            Some((here, all))
        })
        .await;
        match admitted {
            Ok(Some(permits)) => Ok(self.ticket(channel, permits)),
            _ => {
                self.inner.forget_if_idle(channel);
                if !self.inner.platform.is_empty() {
                    crate::telemetry::delivery_refused(self.inner.platform);
                }
                Err(Busy)
            }
        }
    }

    /// A ticket for `channel` if the backlog has room now (and nobody waits for it first).
    pub fn try_admit(&self, channel: &str) -> Option<Ticket> {
        let room = self.inner.room_in(channel);
        let permits = room.try_acquire_owned().ok().and_then(|here| {
            let all = self.inner.total.clone().try_acquire_owned().ok()?;
            Some((here, all))
        });
        match permits {
            Some(permits) => Some(self.ticket(channel, permits)),
            None => {
                self.inner.forget_if_idle(channel);
                None
            }
        }
    }

    fn ticket(
        &self,
        channel: &str,
        permits: (OwnedSemaphorePermit, OwnedSemaphorePermit),
    ) -> Ticket {
        self.inner.record();
        Ticket {
            inner: self.inner.clone(),
            channel: channel.to_string(),
            permits: Some(permits),
        }
    }

    /// Deliveries under way: in all channels, and in `channel`.
    pub fn backlog(&self, channel: &str) -> (usize, usize) {
        let here = self.inner.channels().get(channel).map_or(0, |room| {
            self.inner
                .bounds
                .per_channel
                .saturating_sub(room.available_permits())
        });
        (self.inner.under_way(), here)
    }

    /// Runs `job` on `channel`'s queue after every job queued there before it; the receiver
    /// gets its result (or is dropped if the job panicked). Never refused: what bounds the
    /// queues is the admission of deliveries ([`Outbox::admit`]).
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
        let mut queues = self.inner.queues();
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
        self.inner.queues().len()
    }
}

async fn worker(inner: Arc<Inner>, channel: String, mut jobs: mpsc::UnboundedReceiver<Job>) {
    loop {
        match tokio::time::timeout(IDLE, jobs.recv()).await {
            Ok(Some(job)) => job.await,
            Ok(None) => return,
            Err(_) => {
                let mut queues = inner.queues();
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

    const SMALL: Bounds = Bounds {
        per_channel: 2,
        total: 3,
    };

    #[tokio::test(start_paused = true)]
    async fn a_full_backlog_makes_requests_wait_then_refuses_them_and_loses_nothing() {
        let outbox = Outbox::with_bounds(None, "", SMALL);
        let patience = Duration::from_secs(1);
        let a1 = outbox.admit("A", patience).await.unwrap();
        let a2 = outbox.admit("A", patience).await.unwrap();
        // One channel is full at its bound; another channel still gets room.
        assert_eq!(outbox.admit("A", patience).await.unwrap_err(), Busy);
        let b1 = outbox.admit("B", patience).await.unwrap();
        assert_eq!(outbox.backlog("A"), (3, 2));
        // All channels together are full at the total.
        assert_eq!(outbox.admit("C", patience).await.unwrap_err(), Busy);
        assert!(outbox.try_admit("C").is_none());

        // Every admitted delivery's jobs are queued and run, in order, however full the
        // backlog: nothing is refused or dropped once admitted.
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut done = Vec::new();
        for (ticket, channel, n) in [(a1, "A", 1), (a2, "A", 2), (b1, "B", 3)] {
            let l = log.clone();
            done.push(outbox.run(channel, async move {
                l.lock().unwrap().push(n);
                drop(ticket);
            }));
        }
        // A request waiting for room gets it as soon as a delivery finishes.
        let waiting = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.admit("A", Duration::from_secs(3600)).await }
        });
        for rx in done {
            rx.await.unwrap();
        }
        let ticket = waiting.await.unwrap().unwrap();
        let mut ran = log.lock().unwrap().clone();
        ran.sort();
        assert_eq!(ran, vec![1, 2, 3]);
        assert_eq!(outbox.backlog("A"), (1, 1));
        drop(ticket);
        assert_eq!(outbox.backlog("A"), (0, 0));
    }

    #[tokio::test]
    async fn waiting_requests_are_admitted_in_arrival_order_and_nobody_jumps_the_line() {
        let outbox = Outbox::with_bounds(
            None,
            "",
            Bounds {
                per_channel: 1,
                total: 8,
            },
        );
        let mut held = Some(outbox.try_admit("A").unwrap());
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for n in 0..3 {
            let (outbox, order) = (outbox.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let ticket = outbox.admit("A", Duration::from_secs(3600)).await.unwrap();
                order.lock().unwrap().push(n);
                // Held a moment, so the next in line waits for it.
                tokio::task::yield_now().await;
                drop(ticket);
            }));
            // Each waiter is in line before the next one starts.
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
        }
        drop(held.take());
        // The room went to the first in line, not to a request that came after it.
        assert!(outbox.try_admit("A").is_none());
        for waiter in waiters {
            waiter.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
        // Nothing under way and nobody waiting: the channel is no longer listed.
        assert_eq!(outbox.backlog("A"), (0, 0));
        assert!(outbox.inner.channels().is_empty());
        // A refused request leaves nothing listed either.
        let full = outbox.try_admit("B").unwrap();
        assert_eq!(
            outbox
                .admit("B", Duration::from_millis(10))
                .await
                .unwrap_err(),
            Busy
        );
        drop(full);
        assert!(outbox.inner.channels().is_empty());
    }

    #[tokio::test]
    async fn a_waiting_request_is_admitted_when_a_ticket_comes_back() {
        let outbox = Outbox::with_bounds(None, "", SMALL);
        let held: Vec<Ticket> = ["A", "A", "B"]
            .iter()
            .map(|c| outbox.try_admit(c).unwrap())
            .collect();
        let (started, waiting_started) = oneshot::channel();
        let waiter = tokio::spawn({
            let outbox = outbox.clone();
            async move {
                let _ = started.send(());
                outbox.admit("C", Duration::from_secs(3600)).await
            }
        });
        waiting_started.await.unwrap();
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(held);
        assert!(waiter.await.unwrap().is_ok());
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
        let outbox = Outbox::reporting_to(&desk, "test");
        let failed = outbox.run("C1", async { panic!("boom") });
        assert!(failed.await.is_err());
        assert_eq!(desk.panics(), 1);
        assert_eq!(outbox.run("C1", async { 1 }).await.unwrap(), 1);
        assert_eq!(desk.panics(), 1);
    }
}
