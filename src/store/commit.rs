//! Group commit: many writers, few flushes, one flusher.
//!
//! sled keeps committed writes in memory until a flush; a reply may only go out once its
//! change is on disk. Flushing once per transaction would serialise every writer behind its
//! own `fsync`-like call, so writers share flushes instead, and one thread of the store's own
//! runs them:
//!
//! 1. After a transaction commits, it takes a ticket: the next value of the write sequence.
//!    The sequence is advanced *after* the commit, so every ticket at or below a value read
//!    from it belongs to a write that is already in sled's log.
//! 2. To wait for durability, a writer locks the state. If `flushed >= ticket` it is done.
//!    If the running round covers its ticket, it sleeps until that round ends. Otherwise it
//!    asks for a round (wakes the flusher) and sleeps until a round covers its ticket, or a
//!    round that covered it failed.
//! 3. The flusher, when asked, reads the write sequence as the round's `target`, unlocks,
//!    flushes, relocks, records `flushed = target` and wakes the writers. Every ticket at or
//!    below `target` is covered by that one flush. Writers that committed while it flushed
//!    asked for the next round: it starts at once, on the same thread, without waiting for
//!    a sleeping writer to wake up and take the lead (the round after a round is pipelined
//!    behind it, not handed over).
//!
//! A failed flush fails every waiter whose ticket the round covered; later writers ask for
//! a new round. A panic inside the flush is caught and treated as a failure, so waiters are
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
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use crate::telemetry;

/// The shared state of the flush rounds.
#[derive(Debug, Default)]
struct Rounds {
    /// Every ticket at or below this is durable.
    flushed: u64,
    /// A writer asked for a round that has not started yet.
    asked: bool,
    /// True while the flusher is flushing.
    flushing: bool,
    /// The ticket the running (or last) round covers.
    target: u64,
    /// Number of finished rounds; waiters watch it change.
    completed: u64,
    /// The last failed round: its number in `completed` terms, the ticket it covered, and
    /// why it failed.
    failure: Option<(u64, u64, String)>,
    /// Writers asleep waiting for a round (a gauge for diagnostics).
    waiting: u64,
    /// The store is closing: the flusher stops.
    closing: bool,
}

/// What the writers and the flusher share.
#[derive(Debug, Default)]
struct Shared {
    /// The write sequence: the last ticket handed out.
    written: AtomicU64,
    /// Round bookkeeping, guarded by one mutex.
    rounds: Mutex<Rounds>,
    /// Signalled when a round finishes.
    round_done: Condvar,
    /// Signalled when a writer asks for a round (or the store closes).
    asked: Condvar,
    /// Committed transactions that took a ticket (diagnostics).
    transactions: AtomicU64,
    /// Flushes run (diagnostics).
    flushes: AtomicU64,
    /// Waits for durability that returned `Ok`: the durable writes answered (diagnostics;
    /// divided by `flushes`, how many writes one flush carries).
    durable_writes: AtomicU64,
}

impl Shared {
    /// The state, even if a thread panicked while holding the lock (the state stays
    /// consistent: it is only changed in short sections that cannot panic).
    fn lock(&self) -> MutexGuard<'_, Rounds> {
        self.rounds.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes sure a round covers `ticket`, not yet durable: a running round that covers it
    /// answers it (or fails it); otherwise the flusher is asked for the next one.
    fn ask_for(&self, rounds: &mut Rounds, ticket: u64) {
        if !(rounds.flushing && ticket <= rounds.target) {
            rounds.asked = true;
            self.asked.notify_one();
        }
    }
}

/// The flush a [`GroupCommit`] runs: everything committed so far, made durable.
pub(crate) type Flush = Box<dyn Fn() -> Result<(), String> + Send>;

/// Coordinates flushes between writers, with a thread that runs them. Holds no database:
/// the flush to run is given at the start, which keeps this logic testable on its own.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    /// State shared with the flusher.
    shared: Arc<Shared>,
    /// The flusher thread, joined when the store closes.
    flusher: Option<JoinHandle<()>>,
}

/// Counters since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Transactions committed.
    pub(crate) transactions: u64,
    /// Flushes run.
    pub(crate) flushes: u64,
    /// Durable writes answered.
    pub(crate) durable_writes: u64,
}

impl GroupCommit {
    /// Starts the flusher thread, which runs `flush` for each round.
    pub(crate) fn start(flush: Flush) -> io::Result<GroupCommit> {
        let shared = Arc::new(Shared::default());
        let theirs = shared.clone();
        let flusher = std::thread::Builder::new()
            .name("storydesk-flusher".into())
            .spawn(move || run_flusher(&theirs, flush))?;
        Ok(GroupCommit {
            shared,
            flusher: Some(flusher),
        })
    }

    /// Takes a ticket for a transaction that has just committed.
    pub(crate) fn committed(&self) -> u64 {
        self.shared.transactions.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(telemetry::STORE_TRANSACTIONS).increment(1);
        self.shared.written.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Takes a ticket that asks for a flush of everything committed so far, without counting
    /// a transaction.
    pub(crate) fn barrier(&self) -> u64 {
        self.shared.written.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Counters so far.
    pub(crate) fn counts(&self) -> Counts {
        Counts {
            transactions: self.shared.transactions.load(Ordering::Relaxed),
            flushes: self.shared.flushes.load(Ordering::Relaxed),
            durable_writes: self.shared.durable_writes.load(Ordering::Relaxed),
        }
    }

    /// Writers waiting for a flush right now.
    pub(crate) fn waiting(&self) -> u64 {
        self.shared.lock().waiting
    }

    /// Asks for a round that covers `ticket` (unless one is running or done) and returns
    /// without waiting for it.
    pub(crate) fn ask(&self, ticket: u64) {
        let mut rounds = self.shared.lock();
        if rounds.flushed < ticket {
            self.shared.ask_for(&mut rounds, ticket);
        }
    }

    /// Returns once every write up to `ticket` is durable. The error is the flush's,
    /// shared by every waiter of the failed round.
    pub(crate) fn wait_durable(&self, ticket: u64) -> Result<(), String> {
        let shared = &*self.shared;
        let mut rounds = shared.lock();
        if rounds.flushed >= ticket {
            drop(rounds);
            self.answered();
            return Ok(());
        }
        let since = rounds.completed;
        shared.ask_for(&mut rounds, ticket);
        rounds.waiting += 1;
        let outcome = loop {
            rounds = shared
                .round_done
                .wait(rounds)
                .unwrap_or_else(PoisonError::into_inner);
            if rounds.flushed >= ticket {
                break Ok(());
            }
            match &rounds.failure {
                Some((round, covered, reason)) if *round > since && *covered >= ticket => {
                    break Err(reason.clone())
                }
                _ => {}
            }
            if rounds.closing {
                break Err("the store is closing".to_string());
            }
            // A round that started before this ticket was taken: the flusher saw the ask
            // and runs another.
        };
        rounds.waiting -= 1;
        drop(rounds);
        if outcome.is_ok() {
            self.answered();
        }
        outcome
    }

    /// Counts a durable write answered.
    fn answered(&self) {
        self.shared.durable_writes.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(telemetry::STORE_DURABLE_WRITES).increment(1);
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.asked.notify_all();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

/// The flusher: one round each time a writer asks, until the store closes.
fn run_flusher(shared: &Shared, flush: Flush) {
    let mut rounds = shared.lock();
    loop {
        while !rounds.asked && !rounds.closing {
            rounds = shared
                .asked
                .wait(rounds)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if rounds.closing {
            // Writers still waiting (none, once every `Store` is gone) get an error.
            shared.round_done.notify_all();
            return;
        }
        rounds.asked = false;
        // Every writer that asked so far took its ticket before this read.
        let target = shared.written.load(Ordering::SeqCst);
        rounds.flushing = true;
        rounds.target = target;
        drop(rounds);

        shared.flushes.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(telemetry::STORE_FLUSHES).increment(1);
        let result = catch_unwind(AssertUnwindSafe(&flush))
            .unwrap_or_else(|_| Err("the flush panicked".to_string()));

        rounds = shared.lock();
        rounds.flushing = false;
        rounds.completed += 1;
        match result {
            Ok(()) => rounds.flushed = rounds.flushed.max(target),
            Err(reason) => rounds.failure = Some((rounds.completed, target, reason)),
        }
        shared.round_done.notify_all();
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

    fn counting(calls: &Arc<AtomicUsize>, pause: Duration) -> Flush {
        let calls = calls.clone();
        Box::new(move || {
            calls.fetch_add(1, Ordering::SeqCst);
            thread::sleep(pause);
            Ok(())
        })
    }

    #[test]
    fn concurrent_writers_share_flushes() {
        let calls = Arc::new(AtomicUsize::new(0));
        let commit =
            Arc::new(GroupCommit::start(counting(&calls, Duration::from_millis(2))).unwrap());
        let writers = 8;
        let barrier = Arc::new(Barrier::new(writers));
        let handles: Vec<_> = (0..writers)
            .map(|_| {
                let (commit, barrier) = (commit.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    for _ in 0..20 {
                        let ticket = commit.committed();
                        commit.wait_durable(ticket).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let counts = commit.counts();
        assert_eq!(counts.transactions, 160);
        assert_eq!(counts.durable_writes, 160);
        assert_eq!(counts.flushes as usize, calls.load(Ordering::SeqCst));
        // Eight writers, each waiting for its flush before its next write: while one flush
        // runs, the others commit and share the next one.
        assert!(
            counts.flushes < 160,
            "{} flushes for 160 writes",
            counts.flushes
        );
        assert!(commit.shared.lock().flushed >= 160);
    }

    #[test]
    fn an_asked_round_runs_with_nobody_waiting_and_covers_the_ticket() {
        let calls = Arc::new(AtomicUsize::new(0));
        let commit = GroupCommit::start(counting(&calls, Duration::ZERO)).unwrap();
        let ticket = commit.committed();
        commit.ask(ticket);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while commit.shared.lock().flushed < ticket {
            assert!(
                std::time::Instant::now() < deadline,
                "no round ran for an asked ticket"
            );
            thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Nobody waited: no durable write was answered.
        assert_eq!(commit.counts().durable_writes, 0);
        // Asking again for a covered ticket runs nothing more.
        commit.ask(ticket);
        thread::sleep(Duration::from_millis(20));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_durable_ticket_needs_no_flush() {
        let calls = Arc::new(AtomicUsize::new(0));
        let commit = GroupCommit::start(counting(&calls, Duration::ZERO)).unwrap();
        let t1 = commit.committed();
        let t2 = commit.committed();
        commit.wait_durable(t2).unwrap();
        commit.wait_durable(t1).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(commit.counts().flushes, 1);
        assert_eq!(commit.counts().durable_writes, 2);
    }

    #[test]
    fn a_failed_flush_fails_every_waiter_it_covered_and_the_next_round_retries() {
        let in_flush = Arc::new(Barrier::new(2));
        let release = Arc::new(Barrier::new(2));
        let rounds = Arc::new(AtomicUsize::new(0));
        let flush: Flush = {
            let (in_flush, release, rounds) = (in_flush.clone(), release.clone(), rounds.clone());
            Box::new(move || {
                if rounds.fetch_add(1, Ordering::SeqCst) == 0 {
                    in_flush.wait();
                    release.wait();
                    Err("disk full".to_string())
                } else {
                    Ok(())
                }
            })
        };
        let commit = Arc::new(GroupCommit::start(flush).unwrap());
        let t1 = commit.committed();
        let t2 = commit.committed();
        let first = {
            let commit = commit.clone();
            thread::spawn(move || commit.wait_durable(t1))
        };
        in_flush.wait();
        // The running round covers t2, taken before it started: this writer shares its
        // outcome.
        let second = {
            let commit = commit.clone();
            thread::spawn(move || commit.wait_durable(t2))
        };
        while commit.waiting() < 2 {
            thread::yield_now();
        }
        release.wait();
        assert_eq!(first.join().unwrap(), Err("disk full".to_string()));
        assert_eq!(second.join().unwrap(), Err("disk full".to_string()));
        assert_eq!(commit.waiting(), 0);
        assert_eq!(commit.counts().durable_writes, 0);

        // A later round succeeds and makes both tickets durable.
        commit.wait_durable(t2).unwrap();
        commit.wait_durable(t1).unwrap();
        assert_eq!(rounds.load(Ordering::SeqCst), 2);
        assert_eq!(commit.counts().flushes, 2);
    }

    #[test]
    fn a_writer_after_a_running_round_gets_the_next_one() {
        // A ticket taken while a round runs is not covered by it: its writer must not be
        // answered by that round, and a second round must follow without anyone leading it.
        let in_flush = Arc::new(Barrier::new(2));
        let release = Arc::new(Barrier::new(2));
        let rounds = Arc::new(AtomicUsize::new(0));
        let flush: Flush = {
            let (in_flush, release, rounds) = (in_flush.clone(), release.clone(), rounds.clone());
            Box::new(move || {
                if rounds.fetch_add(1, Ordering::SeqCst) == 0 {
                    in_flush.wait();
                    release.wait();
                }
                Ok(())
            })
        };
        let commit = Arc::new(GroupCommit::start(flush).unwrap());
        let t1 = commit.committed();
        let first = {
            let commit = commit.clone();
            thread::spawn(move || commit.wait_durable(t1))
        };
        in_flush.wait();
        let t2 = commit.committed();
        let second = {
            let commit = commit.clone();
            thread::spawn(move || commit.wait_durable(t2))
        };
        while commit.waiting() < 2 {
            thread::yield_now();
        }
        release.wait();
        first.join().unwrap().unwrap();
        second.join().unwrap().unwrap();
        assert_eq!(rounds.load(Ordering::SeqCst), 2);
        assert!(commit.shared.lock().flushed >= t2);
    }

    #[test]
    fn every_waiter_of_a_failed_round_gets_the_error() {
        let commit = GroupCommit::start(Box::new(|| Err("io error".into()))).unwrap();
        let tickets: Vec<u64> = (0..4).map(|_| commit.committed()).collect();
        for &t in &tickets {
            assert_eq!(commit.wait_durable(t), Err("io error".to_string()));
        }
        assert_eq!(commit.shared.lock().flushed, 0);
    }

    #[test]
    fn a_panicking_flush_becomes_an_error_and_later_rounds_work() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let flush: Flush = {
            let rounds = rounds.clone();
            Box::new(move || {
                if rounds.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("boom");
                }
                Ok(())
            })
        };
        let commit = GroupCommit::start(flush).unwrap();
        let t = commit.committed();
        assert_eq!(
            commit.wait_durable(t),
            Err("the flush panicked".to_string())
        );
        commit.wait_durable(t).unwrap();
    }

    #[test]
    fn closing_stops_the_flusher() {
        let calls = Arc::new(AtomicUsize::new(0));
        let commit = GroupCommit::start(counting(&calls, Duration::ZERO)).unwrap();
        let t = commit.committed();
        commit.wait_durable(t).unwrap();
        let flusher = commit.shared.clone();
        drop(commit);
        // Only this test's handle is left: the thread's clone went with the thread.
        assert_eq!(Arc::strong_count(&flusher), 1);
    }
}
