//! Group commit: many writers, few flushes.
//!
//! sled keeps committed writes in memory until a flush; a reply may only go out once its
//! change is on disk. Flushing once per transaction would serialise every writer behind its
//! own `fsync`-like call, so writers share flushes instead:
//!
//! 1. After a transaction commits, it takes a ticket: the next value of the write sequence.
//!    The sequence is advanced *after* the commit, so every ticket at or below a value read
//!    from it belongs to a write that is already in sled's log.
//! 2. To wait for durability, a writer locks the state. If `flushed >= ticket` it is done.
//!    If a flush is running, it waits for that round to finish and looks again.
//! 3. Otherwise it becomes the leader: it reads the write sequence as the round's `target`,
//!    marks the round as running, unlocks, flushes, relocks, records `flushed = target` and
//!    wakes everyone. Every writer whose ticket is at or below `target` is covered by that one
//!    flush.
//!
//! A failed flush fails every waiter whose ticket the round covered; later writers start a
//! new round. A panic inside the flush is caught and treated as a failure, so waiters are
//! never left sleeping on a round that will not finish.
//!
//! `sled::Db::flush_async` is never used: in sled 0.34.7 concurrent calls deadlock for good.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// The shared state of the flush rounds.
#[derive(Debug, Default)]
struct Rounds {
    /// Every ticket at or below this is durable.
    flushed: u64,
    /// True while a leader is flushing.
    flushing: bool,
    /// The ticket the running (or last) round covers.
    target: u64,
    /// Number of finished rounds; waiters watch it change.
    completed: u64,
    /// The last failed round (its number in `completed` terms) and why it failed.
    failure: Option<(u64, String)>,
    /// Writers asleep waiting for a running round (a gauge for diagnostics).
    waiting: u64,
}

/// Coordinates flushes between writers. Holds no database: the flush to run is passed in,
/// which keeps this logic testable on its own.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    /// The write sequence: the last ticket handed out.
    written: AtomicU64,
    /// Round bookkeeping, guarded by one mutex.
    rounds: Mutex<Rounds>,
    /// Signalled when a round finishes.
    round_done: Condvar,
    /// Committed transactions that took a ticket (diagnostics).
    transactions: AtomicU64,
    /// Flushes run (diagnostics).
    flushes: AtomicU64,
}

impl GroupCommit {
    /// Takes a ticket for a transaction that has just committed.
    pub(crate) fn committed(&self) -> u64 {
        self.transactions.fetch_add(1, Ordering::Relaxed);
        self.written.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Takes a ticket that asks for a flush of everything committed so far, without counting
    /// a transaction.
    pub(crate) fn barrier(&self) -> u64 {
        self.written.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// `(transactions, flushes)` so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.transactions.load(Ordering::Relaxed),
            self.flushes.load(Ordering::Relaxed),
        )
    }

    /// Writers waiting for a running flush right now.
    pub(crate) fn waiting(&self) -> u64 {
        self.lock().waiting
    }

    /// The state, even if a thread panicked while holding the lock (the state stays
    /// consistent: it is only changed in short sections that cannot panic).
    fn lock(&self) -> MutexGuard<'_, Rounds> {
        self.rounds.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Returns once every write up to `ticket` is durable, flushing with `flush` if this
    /// caller becomes the leader of a round. The error is the flush's, shared by every
    /// waiter of the failed round.
    pub(crate) fn wait_durable(
        &self,
        ticket: u64,
        flush: &dyn Fn() -> Result<(), String>,
    ) -> Result<(), String> {
        let mut rounds = self.lock();
        loop {
            if rounds.flushed >= ticket {
                return Ok(());
            }
            if rounds.flushing {
                let round = rounds.completed;
                let covered = ticket <= rounds.target;
                rounds.waiting += 1;
                while rounds.completed == round {
                    rounds = self
                        .round_done
                        .wait(rounds)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                rounds.waiting -= 1;
                if rounds.flushed >= ticket {
                    return Ok(());
                }
                if covered {
                    if let Some((failed, reason)) = &rounds.failure {
                        if *failed == round + 1 {
                            return Err(reason.clone());
                        }
                    }
                }
                continue;
            }

            // Leader. The ticket was taken before this read, so `target >= ticket`.
            let target = self.written.load(Ordering::SeqCst);
            rounds.flushing = true;
            rounds.target = target;
            drop(rounds);

            self.flushes.fetch_add(1, Ordering::Relaxed);
            let result = catch_unwind(AssertUnwindSafe(flush))
                .unwrap_or_else(|_| Err("the flush panicked".to_string()));

            rounds = self.lock();
            rounds.flushing = false;
            rounds.completed += 1;
            match &result {
                Ok(()) => rounds.flushed = rounds.flushed.max(target),
                Err(reason) => rounds.failure = Some((rounds.completed, reason.clone())),
            }
            self.round_done.notify_all();
            return result;
        }
    }
}

/// With `StoreOptions::fsync`: makes flushed data survive a power cut, not only a crash.
///
/// `sled::Db::flush` writes with `sync_file_range`, which does not flush the drive's cache or
/// file metadata. After each flush this calls `fsync` on the files sled wrote: first the blob
/// files (sled puts log items above about a quarter of a segment, 128 KiB by default, into
/// `blobs/` and never syncs them), then the `blobs/` directory, then `<dir>/db`. Blobs go
/// first so that a synced log never points at a blob that is not.
#[derive(Debug)]
pub(crate) struct Syncer {
    /// sled's log file, opened a second time (read-only; `fsync` works on any descriptor).
    db_file: File,
    /// sled's blob directory.
    blobs: PathBuf,
    /// Blob files already synced, so each is synced once; pruned to those still present.
    synced: Mutex<HashSet<OsString>>,
}

impl Syncer {
    /// Opens the files of the sled database in `dir`.
    pub(crate) fn open(dir: &Path) -> io::Result<Self> {
        Ok(Syncer {
            db_file: File::open(dir.join("db"))?,
            blobs: dir.join("blobs"),
            synced: Mutex::new(HashSet::new()),
        })
    }

    /// The blob files present now. Called before the flush: a blob that exists then belongs
    /// to a write the flush waits for, so it is complete once the flush returns.
    pub(crate) fn blobs_before_flush(&self) -> io::Result<Vec<OsString>> {
        match std::fs::read_dir(&self.blobs) {
            Ok(entries) => entries.map(|e| e.map(|e| e.file_name())).collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Syncs the listed blobs not yet synced, the blob directory, then the log file.
    pub(crate) fn sync(&self, blobs: Vec<OsString>) -> io::Result<()> {
        let mut synced = self.synced.lock().unwrap_or_else(PoisonError::into_inner);
        let present: HashSet<OsString> = blobs.into_iter().collect();
        synced.retain(|name| present.contains(name));
        let mut any_new = false;
        for name in present {
            if synced.contains(&name) {
                continue;
            }
            match File::open(self.blobs.join(&name)) {
                Ok(file) => file.sync_all()?,
                // sled removes blobs it no longer needs; a removed blob needs no sync.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
            synced.insert(name);
            any_new = true;
        }
        if any_new {
            File::open(&self.blobs)?.sync_all()?;
        }
        self.db_file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::Duration;

    #[test]
    fn concurrent_writers_share_flushes() {
        let commit = Arc::new(GroupCommit::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let writers = 8;
        let barrier = Arc::new(Barrier::new(writers));
        let handles: Vec<_> = (0..writers)
            .map(|_| {
                let (commit, calls, barrier) = (commit.clone(), calls.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    for _ in 0..20 {
                        let ticket = commit.committed();
                        commit
                            .wait_durable(ticket, &|| {
                                calls.fetch_add(1, Ordering::SeqCst);
                                thread::sleep(Duration::from_millis(1));
                                Ok(())
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let (transactions, flushes) = commit.counts();
        assert_eq!(transactions, 160);
        assert_eq!(flushes as usize, calls.load(Ordering::SeqCst));
        assert!(flushes <= transactions);
        assert!(commit.lock().flushed >= 160);
    }

    #[test]
    fn a_durable_ticket_needs_no_flush() {
        let commit = GroupCommit::default();
        let t1 = commit.committed();
        let t2 = commit.committed();
        commit.wait_durable(t2, &|| Ok(())).unwrap();
        commit
            .wait_durable(t1, &|| panic!("no flush needed"))
            .unwrap();
        assert_eq!(commit.counts(), (2, 1));
    }

    #[test]
    fn a_failed_flush_fails_every_waiter_it_covered_and_the_next_round_retries() {
        let commit = Arc::new(GroupCommit::default());
        let in_flush = Arc::new(Barrier::new(2));
        let release = Arc::new(Barrier::new(2));

        let t1 = commit.committed();
        let t2 = commit.committed();
        let leader = {
            let (commit, in_flush, release) = (commit.clone(), in_flush.clone(), release.clone());
            thread::spawn(move || {
                commit.wait_durable(t1, &|| {
                    in_flush.wait();
                    release.wait();
                    Err("disk full".to_string())
                })
            })
        };
        in_flush.wait();
        // The running round covers t2, taken before it started: the follower must wait on it
        // and share its outcome rather than flush on its own.
        let follower = {
            let commit = commit.clone();
            thread::spawn(move || commit.wait_durable(t2, &|| Err("follower flushed".into())))
        };
        while commit.waiting() == 0 {
            thread::yield_now();
        }
        release.wait();
        assert_eq!(leader.join().unwrap(), Err("disk full".to_string()));
        assert_eq!(follower.join().unwrap(), Err("disk full".to_string()));
        assert_eq!(commit.counts(), (2, 1));
        assert_eq!(commit.waiting(), 0);

        // A later round succeeds and makes both tickets durable.
        commit.wait_durable(t2, &|| Ok(())).unwrap();
        commit
            .wait_durable(t1, &|| panic!("already durable"))
            .unwrap();
        assert_eq!(commit.counts(), (2, 2));
    }

    #[test]
    fn every_waiter_of_a_failed_round_gets_the_error() {
        let commit = GroupCommit::default();
        let tickets: Vec<u64> = (0..4).map(|_| commit.committed()).collect();
        for &t in &tickets {
            assert_eq!(
                commit.wait_durable(t, &|| Err("io error".into())),
                Err("io error".to_string())
            );
        }
        assert_eq!(commit.lock().flushed, 0);
    }

    #[test]
    fn a_panicking_flush_becomes_an_error_and_later_rounds_work() {
        let commit = GroupCommit::default();
        let t = commit.committed();
        let result = commit.wait_durable(t, &|| panic!("boom"));
        assert_eq!(result, Err("the flush panicked".to_string()));
        commit.wait_durable(t, &|| Ok(())).unwrap();
    }
}
