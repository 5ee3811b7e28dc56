//! Work in flight: what an adapter still has to finish after it answered a platform
//! (followups, posts, board edits), counted so a shutdown can wait for it.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A count of work in flight and a way to wait until there is none. Cheap to clone; clones
/// share the count.
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    /// Shared by every clone.
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// How many pieces of work run.
    count: AtomicUsize,
    /// Woken when the count drops to zero.
    idle: tokio::sync::Notify,
}

/// Counts one piece of work while it lives.
#[derive(Debug)]
pub struct Guard(Arc<Inner>);

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl InFlight {
    /// Nothing in flight yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one piece of work until the guard is dropped.
    pub fn guard(&self) -> Guard {
        self.inner.count.fetch_add(1, Ordering::SeqCst);
        Guard(self.inner.clone())
    }

    /// Spawn `work` on the runtime, counted while it runs.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let guard = self.guard();
        tokio::spawn(async move {
            work.await;
            drop(guard);
        });
    }

    /// How many pieces of work run now.
    pub fn count(&self) -> usize {
        self.inner.count.load(Ordering::SeqCst)
    }

    /// Wait until no work is in flight.
    pub async fn idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.count() == 0 {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn idle_waits_for_spawned_work() {
        let in_flight = InFlight::new();
        let (go, wait) = tokio::sync::oneshot::channel::<()>();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let d = done.clone();
        in_flight.spawn(async move {
            let _ = wait.await;
            d.store(true, Ordering::SeqCst);
        });
        assert_eq!(in_flight.count(), 1);
        go.send(()).unwrap();
        in_flight.idle().await;
        assert!(done.load(Ordering::SeqCst));
        assert_eq!(in_flight.count(), 0);
    }
}
