//! The event ids of requests whose only effect was an answer (a status, a preview, a form
//! opened), remembered in memory for a while so a redelivery is not answered twice.
//!
//! Writes claim their event id in the store, in the transaction of their change, because a
//! repeated write would change the story twice. A repeated read changes nothing: answering it
//! twice after a crash is harmless, so its id need not reach the disk, and a read never
//! writes. The window holds at most [`CAPACITY`] ids; past that the oldest go first, so a
//! flood of reads cannot grow memory without bound.
//!
//! An id is kept as a 64-bit fingerprint, not as its text: about 40 bytes an id instead of
//! about 170 (the text twice, each its own allocation), so a full window is 4 MiB, not 17.
//! The fingerprint is keyed at random per process, so ids cannot be chosen to collide; two
//! of 100,000 ids share one with a chance of about one in 3.7 billion, and then a read is
//! taken for a redelivery and not answered twice, which changes nothing.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Mutex;

use crate::model::Timestamp;

/// The most ids the window keeps.
pub const CAPACITY: usize = 100_000;

/// Recently answered read-only events, by id, with when each claim expires.
#[derive(Debug, Default)]
pub struct RecentEvents {
    /// The random key of the ids' fingerprints.
    keys: RandomState,
    inner: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    /// Each id's fingerprint and when its claim expires (milliseconds).
    expires: HashMap<u64, i64>,
    /// The fingerprints in the order they were claimed, with their expiry: the oldest in
    /// front.
    order: VecDeque<(i64, u64)>,
}

impl RecentEvents {
    /// Claims `key` for `ttl_ms` from `now`: true when it was not claimed (or its claim had
    /// expired), false for a redelivery inside the window.
    pub fn claim(&self, key: &str, now: Timestamp, ttl_ms: i64) -> bool {
        let id = self.keys.hash_one(key);
        let mut w = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        w.prune(now.0);
        if w.expires.get(&id).is_some_and(|&until| until > now.0) {
            return false;
        }
        let until = now.0.saturating_add(ttl_ms);
        w.expires.insert(id, until);
        w.order.push_back((until, id));
        while w.expires.len() > CAPACITY {
            w.pop_oldest();
        }
        true
    }

    /// True when `key` was claimed and its claim has not expired at `now`.
    pub fn seen(&self, key: &str, now: Timestamp) -> bool {
        let id = self.keys.hash_one(key);
        let w = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        w.expires.get(&id).is_some_and(|&until| until > now.0)
    }

    /// How many ids the window holds.
    pub fn len(&self) -> usize {
        let w = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        w.expires.len()
    }

    /// True when the window holds no id.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Window {
    /// Drops the claims that expired by `now` from the front of the queue.
    fn prune(&mut self, now: i64) {
        while self.order.front().is_some_and(|(until, _)| *until <= now) {
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some((until, id)) = self.order.pop_front() {
            // An id claimed again after it expired has a later entry: keep that one.
            if self.expires.get(&id) == Some(&until) {
                self.expires.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_claimed_once_inside_its_window() {
        let r = RecentEvents::default();
        assert!(r.claim("slack:T1:cmd:1", Timestamp(1_000), 500));
        assert!(!r.claim("slack:T1:cmd:1", Timestamp(1_200), 500));
        assert!(r.seen("slack:T1:cmd:1", Timestamp(1_499)));
        assert!(!r.seen("slack:T1:cmd:1", Timestamp(1_500)));
        assert!(r.claim("slack:T1:cmd:1", Timestamp(1_500), 500));
        assert!(r.claim("slack:T1:cmd:2", Timestamp(1_500), 500));
    }

    #[test]
    fn expired_claims_are_dropped_and_the_window_is_bounded() {
        let r = RecentEvents::default();
        for n in 0..10 {
            assert!(r.claim(&format!("k{n}"), Timestamp(n), 100));
        }
        assert_eq!(r.len(), 10);
        // At 200 every earlier claim has expired: one claim prunes them all.
        assert!(r.claim("later", Timestamp(200), 100));
        assert_eq!(r.len(), 1);

        let r = RecentEvents::default();
        for n in 0..(CAPACITY + 10) {
            r.claim(&format!("k{n}"), Timestamp(0), i64::MAX);
        }
        assert_eq!(r.len(), CAPACITY);
        // The oldest went first; the newest are still known.
        assert!(!r.seen("k0", Timestamp(1)));
        assert!(r.seen(&format!("k{}", CAPACITY + 9), Timestamp(1)));
    }

    #[test]
    fn a_key_claimed_again_after_expiry_survives_the_prune_of_its_old_claim() {
        let r = RecentEvents::default();
        assert!(r.claim("k", Timestamp(0), 10));
        assert!(r.claim("k", Timestamp(10), 100));
        assert!(r.claim("other", Timestamp(50), 100));
        assert!(r.seen("k", Timestamp(60)));
    }
}
