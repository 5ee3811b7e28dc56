//! The store: storydesk's state on disk, in one embedded sled database.
//!
//! # Layout
//!
//! One sled `Db` with two trees (sled's space amplification grows with the number of
//! trees, so there are few, with prefixed keys instead of a tree per story):
//!
//! | tree | key | value |
//! |---|---|---|
//! | `stories` | `s/{story}` | the story (sections, source summaries, references, …) |
//! | `stories` | `r/{story}/{section}\0{revision}` | one revision of a section, with its text |
//! | `stories` | `o/{story}/{number}` | one source, with its full text |
//! | `stories` | `i/{story}/{number}` | the source's digest for the checks (binary; sealed like the source) |
//! | `stories` | `a/{story}/{seq}` | one audit entry |
//! | `stories` | `c/{platform}\0{team}\0{channel}` | the channel's stories and its active story |
//! | `stories` | `d/{story}/{section}` | the section's latest assisted draft (a proposal, not a revision) |
//! | `stories` | `x/{story}/{section}\0{person}` | a person's kept submission that conflicted with a newer revision |
//! | `stories` | `w/{story}/{section}\0{person}` | the revision of the section the person last saw |
//! | `stories` | `k/{name}` | an anchor: an opaque string an adapter keeps (a board's message id) |
//! | `stories` | `m/next_story` | the next story number, u64 big-endian |
//! | `stories` | `m/schema` | this layout's version, u32 big-endian |
//! | `stories` | `m/events_indexed` | present once every claim in `events` has its expiry index entry |
//! | `stories` | `m/source_key_check` | a constant sealed with the source key: the store is sealed for good |
//! | `stories` | `m/integrity` | the integrity record: counts per kind and a digest of every other record |
//! | `events` | the event's idempotency key | when it was processed and when the claim expires |
//! | `events` | `\0x{expires_at}{idempotency key}` | nothing: the expiry index, read by the purge |
//!
//! Beside sled's files, `integrity.mark` holds how many changes were made durable (see
//! `integrity.rs`); opening compares the store with its integrity record and that mark.
//!
//! `{story}` is a u64, `{revision}` and `{number}` u32, `{seq}` u64, all big-endian so keys
//! sort numerically: a prefix scan lists a section's revisions and a story's audit log in
//! order. Names end with a NUL byte, so a name containing NUL is refused
//! ([`StoreError::InvalidName`]). Encoding lives in `keys.rs`.
//!
//! Every value except the two `m/` integers and the source digests (binary, with their own
//! version: `records.rs`) is a versioned JSON record (`{"v":3, …}`)
//! defined in `records.rs`, apart from the domain types of [`crate::model`]. Old versions stay
//! readable: a story written by the first format (no citation style, no audit count) reads as
//! a current [`Story`] with style APA and the count taken from its audit log, and is written
//! back in the current format the next time it is saved; a version-2 story (no posting state
//! in its publication) reads as a complete publication. A version newer than this build
//! reads is refused with [`StoreError::UnsupportedVersion`], which asks the operator to
//! upgrade.
//!
//! # Transactions
//!
//! [`Store::transact`] runs a closure against a [`Tx`] over both trees, atomically. sled's
//! transactions may run the closure more than once, so **the closure must be pure**: no
//! messages sent, no files written, no counters bumped outside the [`Tx`]. sled 0.34 also
//! runs every transaction under one process-wide lock, so the closure must be short (no
//! network, no waiting on anything). Calling a [`Store`] method from inside the closure
//! would deadlock on that lock; the store detects it and returns
//! [`StoreError::Reentrant`] instead.
//!
//! ## Errors inside a transaction
//!
//! [`Tx`] methods return `Result<_, TxError>`. The closure returns `Result<T, E>` with its
//! own error type `E`; give `E` a `From<TxError>` conversion and `?` works on both the
//! [`Tx`] calls and the closure's own errors. [`TxError`] carries nothing: the transaction
//! itself remembers what went wrong, and once a [`Tx`] call has failed, `transact` reports
//! that failure as [`TransactError::Store`] whatever the closure returns (even `Ok`), and
//! commits nothing. So [`TransactError::Aborted`] only ever holds the closure's own errors,
//! and a store failure is never mistaken for, say, "no such story".
//!
//! Why not `Result<T, Abort<E>>` with an enum of "store" and "mine": Rust cannot have both
//! `From<TxError>` and `From<E>` for a generic `Abort<E>` (they overlap), so every own error
//! would need a `map_err`. Why not `E: From<StoreError>`: the closure would receive the real
//! store error and could swallow or reshape it; a retry signal from sled would have to be a
//! public variant of [`StoreError`]. With a contentless [`TxError`], the desk adds one
//! variant to its error enum and writes plain `?`. (Name the closure's return type, as
//! below: `?` converts errors, so Rust cannot infer `E` from it.) A closure that only
//! touches the store can use `StoreError` as `E` and
//! `.map_err(TransactError::flatten)` to get a plain `StoreError`.
//!
//! ```no_run
//! # use storydesk::model::StoryId;
//! # use storydesk::store::{Store, StoreOptions, TransactError, TxError};
//! # let store = Store::open(std::path::Path::new("data"), StoreOptions::default()).unwrap();
//! # let id = StoryId(1);
//! #[derive(Debug, thiserror::Error)]
//! enum DeskError {
//!     #[error("there is no story {0}")]
//!     NoStory(StoryId),
//!     #[error("the store failed")]
//!     Store(#[from] TxError), // never seen in TransactError::Aborted
//! }
//!
//! let story = store.transact(|tx| -> Result<_, DeskError> {
//!     let mut story = tx.story(id)?.ok_or(DeskError::NoStory(id))?;
//!     story.title = "Meta scrambles over DeepSeek".to_string();
//!     story.version += 1;
//!     tx.put_story(&story)?;
//!     Ok(story)
//! });
//! match story {
//!     Ok(_story) => { /* durable: reply */ }
//!     Err(TransactError::Aborted(_e)) => { /* the user's mistake: say so */ }
//!     Err(TransactError::Store(_e)) => { /* internal: log it, apologise */ }
//! }
//! ```
//!
//! (The test `transact_example_from_the_module_doc` runs this code.)
//!
//! # Durability
//!
//! [`Store::transact`] returns only after the committed change is flushed to disk, so a reply
//! sent after it never announces a change a crash could lose. Concurrent writers share
//! flushes, which one thread of the store runs (group commit, `commit.rs`). `Db::flush` uses `sync_file_range`, which survives a
//! process crash but not necessarily a power cut; [`StoreOptions::fsync`] adds an `fsync` of
//! sled's files after each flush. `flush_async` is never used: in sled 0.34.7 concurrent calls
//! deadlock. Reads outside transactions see committed changes, including ones whose flush is
//! still running.
//!
//! # Processed events
//!
//! Every inbound platform event has an idempotency key. [`Tx::claim_event`] records it in
//! the same transaction as the event's effect, with an expiry; a redelivery finds it and
//! does nothing. [`Store::purge_expired_events`] removes expired claims, reading only the
//! expiry index up to now (`\0x` + expiry u64 big-endian + key), so its cost and the pages
//! it pulls into sled's cache follow what it removes, not how many claims are kept.
//!
//! Architecture invariant: apart from the `source` of [`StoreError::Sled`], no sled type
//! appears in this module's public API, so a move to another engine stays inside it.

mod backup;
mod commit;
mod integrity;
mod keys;
mod records;
mod seal;

pub use backup::{verify_backup, BackupError, BackupSummary, RestoreError};
pub use seal::{BadKey, SourceKey};

use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional, TransactionalTree,
    UnabortableTransactionError,
};
use sled::IVec;

use crate::model::{
    AuditEntry, ChannelKey, ChannelStories, KeptConflict, Revision, Source, Story, StoryId,
    Suggestion, Timestamp,
};
use commit::{GroupCommit, Syncer};
use integrity::{Delta, MarkFile, Tally, Tree};
use records::{
    AnchorRecordV1, AuditRecordV2, ChannelRecordV1, EventRecordV1, RevisionRecordV1,
    SourceBodyRecord, SourceRecordV2, StoryRecord, StoryRecordV3, SuggestionBodyRecord,
    SuggestionContentRecord, SuggestionRecordV1,
};

/// The layout version written to `m/schema`. Raise it when keys change meaning; records
/// carry their own versions and do not need it.
const SCHEMA_VERSION: u32 = 1;
/// The tree of stories and everything that belongs to them.
const STORIES_TREE: &str = "stories";
/// The tree of processed event ids.
const EVENTS_TREE: &str = "events";

/// How to open the store. Comes from the operator's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Seal source texts at rest with this key (XChaCha20-Poly1305). Sources written
    /// without a key stay readable; sealed ones need the key they were sealed with, and a
    /// wrong key is refused when the store opens. Default: none.
    pub source_key: Option<SourceKey>,
    /// sled's page cache size in bytes. sled's own default is 1 GiB and real use has gone
    /// beyond it, so the store sets it explicitly. Default 4 MiB (`[store] cache_mb`).
    pub cache_capacity_bytes: u64,
    /// Also `fsync` sled's files after every flush, so acknowledged changes survive a power
    /// cut and not only a crash of the process. Costs about 0.2 ms per flush on a virtual
    /// disk. Default false: a chat bot restarted after a power cut loses at most the last
    /// moments, which its users can redo.
    pub fsync: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            source_key: None,
            cache_capacity_bytes: 4 * 1024 * 1024,
            fsync: false,
        }
    }
}

/// Counters for diagnostics and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreStats {
    /// Transactions committed since the store was opened.
    pub transactions: u64,
    /// Flushes run since the store was opened. With concurrent writers, fewer than
    /// `transactions`: that is group commit at work.
    pub flushes: u64,
    /// Durable writes answered (transactions and flushes waited for until on disk):
    /// divided by `flushes`, how many writes one flush carries.
    pub durable_writes: u64,
    /// Writers waiting right now for a running flush to finish.
    pub waiting_for_flush: u64,
}

/// Why the store could not be opened, phrased for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenFailure {
    /// sled locks its `db` file; someone else holds the lock.
    #[error(
        "another storydesk process, or another store in this process, has it open; stop \
         that process or point --data (STORYDESK_DATA_DIR) at another directory"
    )]
    Locked,
    /// sled found damaged data.
    #[error("its data is corrupt ({0}); restore the data directory from a backup")]
    Corrupt(String),
    /// The directory could not be created or read.
    #[error("{0}; check that the path is right and that storydesk may write there")]
    Io(String),
    /// sled refused to open the files for another reason (such as changed settings).
    #[error("sled refused it: {0}")]
    Refused(String),
    /// The source key does not open the key check written with the first sealed source.
    #[error(
        "STORYDESK_SOURCE_KEY is not the key this data directory's sources were sealed \
         with; start storydesk with the original key"
    )]
    WrongSourceKey,
    /// The store's sources are sealed (a key was used here), and no key was given: opening
    /// it would store new sources in clear beside the sealed ones.
    #[error(
        "its sources are sealed and STORYDESK_SOURCE_KEY is not set; set \
         STORYDESK_SOURCE_KEY to the key they were sealed with and start storydesk again"
    )]
    SourceKeyMissing,
    /// The records do not match the integrity record or the integrity mark: something
    /// outside storydesk changed or damaged the store.
    #[error(
        "it does not match its integrity record ({0}): it was damaged or changed outside \
         storydesk; restore the latest backup into an empty directory with `storydesk \
         --data NEW_DIR restore FILE` and start storydesk on that directory"
    )]
    Damaged(String),
    /// The directory holds files, and none of them is a storydesk store.
    #[error(
        "it holds files that are not a storydesk store ({0}); storydesk creates a store only \
         in an empty or new directory: point --data (STORYDESK_DATA_DIR) at one, or at an \
         existing storydesk data directory"
    )]
    NotAStore(String),
}

/// What can go wrong in the store. No variant ever contains a record's contents.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be opened.
    #[error("cannot open the store in {}: {reason}", dir.display())]
    Open {
        /// The data directory.
        dir: PathBuf,
        /// Why, with what to do about it.
        reason: OpenFailure,
    },
    /// sled failed while reading or writing.
    #[error("store failure while {context}: {source}")]
    Sled {
        /// What the store was doing ("reading story #3").
        context: String,
        /// sled's error.
        #[source]
        source: sled::Error,
    },
    /// A record could not be decoded.
    #[error("corrupt record ({key}): {reason}; restore the data directory from a backup")]
    Corrupt {
        /// Which record, described by its key.
        key: String,
        /// What is wrong, without quoting the record.
        reason: String,
    },
    /// A record or the data directory was written by a newer storydesk.
    #[error(
        "found {kind} format version {version}, newer than this storydesk reads; upgrade \
         storydesk to use this data directory"
    )]
    UnsupportedVersion {
        /// The kind of record ("story", "revision", …, or "data directory").
        kind: &'static str,
        /// The version found.
        version: u32,
    },
    /// The change was committed but could not be flushed to disk.
    #[error(
        "the change could not be made durable (flush failed: {reason}); it may be lost if \
         storydesk stops"
    )]
    Flush {
        /// The flush's error.
        reason: String,
    },
    /// A name that goes into a key contains a NUL byte.
    #[error("cannot store a {what} that contains a NUL character")]
    InvalidName {
        /// Which name ("section name", "team id", "channel id").
        what: &'static str,
    },
    /// A write would overwrite history (a revision or an audit entry).
    #[error("{key} already exists and is never overwritten")]
    AlreadyExists {
        /// The record, described by its key.
        key: String,
    },
    /// A [`TxError`] converted into a `StoreError` by a closure whose error type is
    /// `StoreError`. [`Store::transact`] reports the real cause instead, so this is only seen
    /// if such a value escapes some other way.
    #[error("a store operation inside a transaction failed")]
    InTransaction,
    /// A `Store` method was called from inside a transaction closure.
    #[error(
        "Store::{op} was called inside a transaction closure, where it would deadlock; use \
         the Tx the closure was given"
    )]
    Reentrant {
        /// The method called.
        op: &'static str,
    },
    /// A sealed source was read without the source key.
    #[error(
        "{key} is sealed; start storydesk with STORYDESK_SOURCE_KEY set to the key it was \
         sealed with"
    )]
    SourceSealed {
        /// The source, described by its key.
        key: String,
    },
    /// A sealed source did not open with the configured key.
    #[error(
        "{key} does not open with the configured STORYDESK_SOURCE_KEY (another key, or the \
         record was altered)"
    )]
    SourceKeyMismatch {
        /// The source, described by its key.
        key: String,
    },
    /// A record could not be encoded (a bug: records hold only encodable data).
    #[error("could not encode a {kind} record: {reason}")]
    Encode {
        /// The kind of record.
        kind: &'static str,
        /// serde's reason, without the record's contents.
        reason: String,
    },
}

impl From<keys::NulInName> for StoreError {
    fn from(e: keys::NulInName) -> Self {
        StoreError::InvalidName { what: e.what }
    }
}

/// Wraps a sled error with what the store was doing.
fn sled_error(context: impl Into<String>, source: sled::Error) -> StoreError {
    StoreError::Sled {
        context: context.into(),
        source,
    }
}

/// The error a [`Tx`] method returns. It carries nothing on purpose: the transaction keeps
/// the cause and [`Store::transact`] reports it as [`TransactError::Store`]. Convert it into
/// the closure's error type with `From` so that `?` works; that variant never reaches
/// [`TransactError::Aborted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the store failed inside a transaction (the transaction's result says why)")]
pub struct TxError {
    /// Keeps the type constructible only here.
    _private: (),
}

impl From<TxError> for StoreError {
    /// Lets a closure use `StoreError` as its error type (then
    /// `.map_err(TransactError::flatten)` gives a plain `StoreError`).
    fn from(_: TxError) -> Self {
        StoreError::InTransaction
    }
}

/// How a [`Store::transact`] call failed.
#[derive(Debug, thiserror::Error)]
pub enum TransactError<E> {
    /// The closure returned this error of its own; nothing was written.
    #[error("{0}")]
    Aborted(E),
    /// The store failed: nothing was written, or (for [`StoreError::Flush`]) the change was
    /// committed but may not be durable.
    #[error(transparent)]
    Store(StoreError),
}

impl<E> TransactError<E> {
    /// Both cases as the closure's error type, for callers whose error type already wraps
    /// [`StoreError`]: `store.transact(…).map_err(TransactError::flatten)?`.
    pub fn flatten(self) -> E
    where
        E: From<StoreError>,
    {
        match self {
            TransactError::Aborted(e) => e,
            TransactError::Store(e) => E::from(e),
        }
    }
}

thread_local! {
    /// True while this thread runs a transaction closure. sled holds a process-wide lock
    /// then, which every non-transactional sled call also takes: such a call would hang the
    /// thread for good, so the store refuses it instead.
    static IN_TRANSACTION: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as inside a transaction closure until dropped (also on panic).
struct TransactionScope;

impl TransactionScope {
    /// Enters the scope.
    fn enter() -> Self {
        IN_TRANSACTION.with(|flag| flag.set(true));
        TransactionScope
    }
}

impl Drop for TransactionScope {
    fn drop(&mut self) {
        IN_TRANSACTION.with(|flag| flag.set(false));
    }
}

/// True while the current thread runs a transaction closure.
fn in_transaction() -> bool {
    IN_TRANSACTION.with(Cell::get)
}

/// Refuses a `Store` call made from inside a transaction closure.
fn outside_transaction(op: &'static str) -> Result<(), StoreError> {
    if in_transaction() {
        Err(StoreError::Reentrant { op })
    } else {
        Ok(())
    }
}

/// The embedded database. Cheap to clone (an `Arc` inside); `Send + Sync`.
#[derive(Clone)]
pub struct Store {
    /// Shared by every clone; dropped (and flushed) with the last one.
    inner: Arc<Inner>,
}

/// The state behind a [`Store`].
struct Inner {
    /// Stories and everything under them.
    stories: sled::Tree,
    /// Processed event ids.
    events: sled::Tree,
    /// Shares flushes between concurrent writers; its thread runs `durability`'s flushes.
    commit: GroupCommit,
    /// What one flush does (shared with the flusher thread).
    durability: Arc<Durability>,
    /// Where the data lives, for messages.
    dir: PathBuf,
    /// The key source texts are sealed with, if the operator set one.
    source_key: Option<SourceKey>,
    /// Held shared by every committing transaction and exclusively by a backup, so a
    /// backup sees each transaction whole or not at all.
    gate: std::sync::RwLock<()>,
    /// The salt of the integrity record's hashes (see `integrity.rs`).
    salt: integrity::Salt,
    /// What opening found about the store's integrity.
    integrity: IntegrityCheck,
}

/// What a flush needs: the database, the `fsync`s and the integrity mark.
struct Durability {
    /// The sled database, to flush.
    db: sled::Db,
    /// Stories, where the integrity record is.
    stories: sled::Tree,
    /// With `fsync`: syncs sled's files after each flush.
    syncer: Option<Syncer>,
    /// The integrity mark, advanced after each flush (none while an older store without an
    /// integrity record is only inspected).
    mark: Option<std::sync::Mutex<MarkFile>>,
}

/// What opening the store found about its integrity record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrityCheck {
    /// Every record was recounted and rehashed and matches the record and the mark.
    Matched {
        /// Records in the store.
        records: u64,
    },
    /// A new store, recorded from its first record on.
    New,
    /// Written by an older storydesk without a record: one was computed at this opening.
    Computed {
        /// Records in the store.
        records: u64,
    },
    /// Written by an older storydesk without a record, and only inspected: storydesk
    /// computes one when it next opens the store to use it.
    NotRecorded,
}

/// Why a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// To use it: refused without the key of sealed sources; an older store gets its
    /// integrity record.
    Use,
    /// To look at it (`storydesk doctor`): writes nothing an older store lacks, and opens a
    /// sealed store without its key (reading a sealed source still fails).
    Inspect,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.inner.dir)
            .field("fsync", &self.inner.durability.syncer.is_some())
            .finish_non_exhaustive()
    }
}

impl Durability {
    /// One flush of everything committed so far, plus the `fsync`s when configured.
    fn flush_durably(&self) -> Result<(), String> {
        // Read before the flush, so the flush covers every change the record counts.
        let reached = match &self.mark {
            Some(_) => self
                .stories
                .get(integrity::RECORD)
                .map_err(|e| format!("reading the integrity record: {e}"))?
                .map(|bytes| Tally::decode(&bytes).map_err(|e| e.to_string()))
                .transpose()?,
            None => None,
        };
        let blobs = match &self.syncer {
            Some(syncer) => Some(
                syncer
                    .blobs_before_flush()
                    .map_err(|e| format!("listing sled's blob files: {e}"))?,
            ),
            None => None,
        };
        self.db.flush().map_err(|e| e.to_string())?;
        if let (Some(syncer), Some(blobs)) = (&self.syncer, blobs) {
            syncer.sync(blobs).map_err(|e| format!("fsync: {e}"))?;
        }
        if let (Some(mark), Some(tally)) = (&self.mark, reached) {
            mark.lock()
                .unwrap_or_else(|e| e.into_inner())
                .advance(&tally)
                .map_err(|e| format!("writing {}: {e}", integrity::MARK_FILE))?;
        }
        Ok(())
    }
}

impl Inner {
    /// Waits until every write up to `ticket` is durable (the flusher flushes).
    fn wait_durable(&self, ticket: u64) -> Result<(), StoreError> {
        self.commit
            .wait_durable(ticket)
            .map_err(|reason| StoreError::Flush { reason })
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Best effort: every acknowledged change was flushed already; this catches writes
        // made outside transactions (event purges).
        if !in_transaction() {
            let _ = self.durability.flush_durably();
        }
    }
}

/// How many claims one purge transaction removes at most.
const PURGE_BATCH: usize = 256;

/// How long [`Store::open`] waits for a store that was just closed to let go of its lock.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Maps sled's open errors to advice for the operator.
fn open_failure(e: sled::Error) -> OpenFailure {
    match e {
        // sled 0.34.7 reports a held lock as an `Io` error of kind `Other` with this text.
        sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
            OpenFailure::Locked
        }
        sled::Error::Io(io) => OpenFailure::Io(io.to_string()),
        e @ sled::Error::Corruption { .. } => OpenFailure::Corrupt(e.to_string()),
        e => OpenFailure::Refused(e.to_string()),
    }
}

/// Checks the layout version of a store that holds records.
fn check_schema(stories: &sled::Tree) -> Result<(), StoreError> {
    let key = keys::SCHEMA;
    let describe = || keys::describe(key);
    match stories
        .get(key)
        .map_err(|e| sled_error("reading the layout version", e))?
    {
        Some(bytes) => {
            let version = <[u8; 4]>::try_from(bytes.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| StoreError::Corrupt {
                    key: describe(),
                    reason: format!("{} bytes instead of 4", bytes.len()),
                })?;
            if version > SCHEMA_VERSION {
                return Err(StoreError::UnsupportedVersion {
                    kind: "data directory",
                    version,
                });
            }
            if version == 0 {
                return Err(StoreError::Corrupt {
                    key: describe(),
                    reason: "version 0, which no storydesk has written".into(),
                });
            }
            Ok(())
        }
        None => Err(StoreError::Corrupt {
            key: describe(),
            reason: "missing although the store holds records".into(),
        }),
    }
}

/// Files storydesk itself keeps in a data directory besides sled's: the console's history
/// and the admin socket. sled's own are `conf`, `db`, `blobs/` and `snap.*`.
const OWN_FILES: &[&str] = &["console-history.txt", "admin.sock", "conf", "blobs"];

/// Refuses a directory that holds files but no store (storydesk would create its store
/// among them), and a directory whose integrity mark has lost the store beside it.
/// A directory that does not exist, or holds nothing but hidden files and `lost+found`
/// (a fresh volume), is fine.
fn check_directory(dir: &Path) -> Result<(), OpenFailure> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(OpenFailure::Io(e.to_string())),
    };
    let (mut has_db, mut has_mark) = (false, false);
    let mut foreign = Vec::new();
    for entry in entries {
        let name = entry
            .map_err(|e| OpenFailure::Io(e.to_string()))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        match name.as_str() {
            "db" => has_db = true,
            integrity::MARK_FILE => has_mark = true,
            "lost+found" => {}
            n if OWN_FILES.contains(&n) || n.starts_with("snap.") || n.starts_with('.') => {}
            _ => foreign.push(name),
        }
    }
    if has_mark && !has_db {
        return Err(OpenFailure::Damaged(format!(
            "sled's db file is gone from beside {}",
            integrity::MARK_FILE
        )));
    }
    if !has_db && !foreign.is_empty() {
        foreign.sort();
        let mut named = foreign
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if foreign.len() > 3 {
            named.push_str(&format!(" and {} more", foreign.len() - 3));
        }
        return Err(OpenFailure::NotAStore(named));
    }
    Ok(())
}

/// Compares the integrity record with a recount of the store and with the mark; why they
/// disagree, in the operator's words.
fn verify_integrity(
    record: &Tally,
    mark: Option<&integrity::Mark>,
    stories: &sled::Tree,
    events: &sled::Tree,
) -> Result<Result<(), String>, StoreError> {
    let found = record.recount(stories, events)?;
    if let Some(why) = record.differences(&found) {
        return Ok(Err(why));
    }
    Ok(match mark {
        None => Err(format!(
            "{} is missing from the data directory",
            integrity::MARK_FILE
        )),
        Some(m) if m.generation > record.generation => Err(format!(
            "the store is at change {}, but change {} had been made durable: changes it \
             acknowledged are lost",
            record.generation, m.generation
        )),
        Some(m) if m.generation == record.generation && !m.same_digest(record) => Err(format!(
            "its records differ from the ones {} recorded at change {}",
            integrity::MARK_FILE,
            m.generation
        )),
        Some(_) => Ok(()),
    })
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    ///
    /// Fails with [`StoreError::Open`] when the directory cannot be used: another process or
    /// another `Store` already has it open (sled locks it), it holds files but no store, its
    /// records do not match its integrity record ([`OpenFailure::Damaged`]), or its sources
    /// are sealed and no source key is given; and with [`StoreError::UnsupportedVersion`]
    /// when a newer storydesk wrote it. A store written before the integrity record existed
    /// gets one (one pass over every record, said in a log line).
    pub fn open(dir: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        Store::open_for(dir, options, Purpose::Use)
    }

    /// Opens the store to look at it (`storydesk doctor`): the same checks as
    /// [`Store::open`], except that a store with sealed sources opens without the key (its
    /// sealed records still do not), and an older store without an integrity record is
    /// left without one ([`IntegrityCheck::NotRecorded`]). Records no source key: give none.
    pub fn inspect(dir: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        Store::open_for(dir, options, Purpose::Inspect)
    }

    fn open_for(dir: &Path, options: StoreOptions, purpose: Purpose) -> Result<Store, StoreError> {
        let fail = |reason| StoreError::Open {
            dir: dir.to_path_buf(),
            reason,
        };
        check_directory(dir).map_err(fail)?;
        std::fs::create_dir_all(dir).map_err(|e| fail(OpenFailure::Io(e.to_string())))?;
        // sled lets go of its lock when the last of its background threads has dropped the
        // database, a moment after the `Store` that held it: a store closed just now, in
        // this process or by one that is exiting, is waited for (briefly) before "locked".
        let started = std::time::Instant::now();
        let db = loop {
            let opened = sled::Config::new()
                .path(dir)
                .cache_capacity(options.cache_capacity_bytes)
                .open()
                .map_err(open_failure);
            match opened {
                Err(OpenFailure::Locked) if started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other.map_err(fail)?,
            }
        };
        let stories = db
            .open_tree(STORIES_TREE)
            .map_err(|e| fail(open_failure(e)))?;
        let events = db
            .open_tree(EVENTS_TREE)
            .map_err(|e| fail(open_failure(e)))?;
        let fresh = stories.is_empty() && events.is_empty();
        if !fresh {
            check_schema(&stories)?;
        }

        // Integrity: read only, so a damaged store is refused before anything is written.
        let mark = integrity::read_mark(dir).map_err(|why| fail(OpenFailure::Damaged(why)))?;
        let record = stories
            .get(integrity::RECORD)
            .map_err(|e| sled_error("reading the integrity record", e))?
            .map(|bytes| Tally::decode(&bytes))
            .transpose()?;
        let check = match &record {
            Some(record) => {
                verify_integrity(record, mark.as_ref(), &stories, &events)?
                    .map_err(|why| fail(OpenFailure::Damaged(why)))?;
                IntegrityCheck::Matched {
                    records: record.records(),
                }
            }
            None => {
                if let Some(m) = mark.as_ref().filter(|m| m.generation > 0) {
                    return Err(fail(OpenFailure::Damaged(format!(
                        "the integrity record is gone, and {} says {} changes were made \
                         durable",
                        integrity::MARK_FILE,
                        m.generation
                    ))));
                }
                match (fresh, purpose) {
                    (true, _) => IntegrityCheck::New,
                    (false, Purpose::Inspect) => IntegrityCheck::NotRecorded,
                    (false, Purpose::Use) => IntegrityCheck::Computed { records: 0 },
                }
            }
        };
        // A key was used here once: never open without one (new sources would be stored in
        // clear beside the sealed ones).
        let sealed = stories
            .contains_key(SOURCE_KEY_CHECK)
            .map_err(|e| sled_error("reading the source key check", e))?;
        if sealed && options.source_key.is_none() && purpose == Purpose::Use {
            return Err(fail(OpenFailure::SourceKeyMissing));
        }

        // From here on the store may write.
        let mark_file = match check {
            IntegrityCheck::NotRecorded => None,
            _ => Some(
                MarkFile::open(dir, mark.as_ref())
                    .map_err(|e| fail(OpenFailure::Io(e.to_string())))?,
            ),
        };
        let (salt, check) = match (record, check) {
            (Some(record), check) => (record.salt, check),
            (None, IntegrityCheck::Computed { .. }) => {
                let mut tally = Tally::empty().recount(&stories, &events)?;
                tally.generation = 1;
                stories
                    .insert(integrity::RECORD, tally.encode()?)
                    .map_err(|e| sled_error("writing the integrity record", e))?;
                db.flush()
                    .map_err(|e| sled_error("flushing the integrity record", e))?;
                tracing::info!(
                    "{}",
                    crate::notices::integrity_computed(dir, tally.records())
                );
                (
                    tally.salt,
                    IntegrityCheck::Computed {
                        records: tally.records(),
                    },
                )
            }
            (None, check) => (Tally::empty().salt, check),
        };
        let syncer = if options.fsync {
            Some(Syncer::open(dir).map_err(|e| fail(OpenFailure::Io(e.to_string())))?)
        } else {
            None
        };
        let durability = Arc::new(Durability {
            db,
            stories: stories.clone(),
            syncer,
            mark: mark_file.map(std::sync::Mutex::new),
        });
        let flusher = durability.clone();
        let commit = GroupCommit::start(Box::new(move || flusher.flush_durably()))
            .map_err(|e| fail(OpenFailure::Io(format!("cannot start the flusher: {e}"))))?;
        let store = Store {
            inner: Arc::new(Inner {
                stories,
                events,
                commit,
                durability,
                dir: dir.to_path_buf(),
                source_key: options.source_key,
                gate: std::sync::RwLock::new(()),
                salt,
                integrity: check,
            }),
        };
        if fresh {
            // The layout version, the mark that every claim is indexed (there are none),
            // and the first integrity record, together.
            store
                .run(
                    |tx| -> Result<(), StoreError> {
                        tx.put_setting(keys::SCHEMA, SCHEMA_VERSION.to_be_bytes().to_vec())?;
                        tx.put_setting(keys::EVENTS_INDEXED, Vec::new())?;
                        Ok(())
                    },
                    true,
                    true,
                )
                .map_err(TransactError::flatten)?;
        }
        // No claims yet, so all of them are indexed (see `purge_expired_events`).
        if !fresh && purpose == Purpose::Use {
            let inner = &store.inner;
            if inner.events.is_empty()
                && !inner
                    .stories
                    .contains_key(keys::EVENTS_INDEXED)
                    .unwrap_or(true)
            {
                store
                    .transact(|tx| -> Result<(), StoreError> {
                        Ok(tx.put_setting(keys::EVENTS_INDEXED, Vec::new())?)
                    })
                    .map_err(TransactError::flatten)?;
            }
        }
        if let Some(key) = &options.source_key {
            store.check_source_key(key).map_err(|e| match e {
                KeyCheck::Wrong => fail(OpenFailure::WrongSourceKey),
                KeyCheck::Store(e) => e,
            })?;
        }
        Ok(store)
    }

    /// What opening found about the store's integrity record.
    pub fn integrity(&self) -> IntegrityCheck {
        self.inner.integrity
    }

    /// With a source key: write the key check into a store that has none, or verify it, so
    /// a wrong key is refused at start-up rather than when a source is first read. Once
    /// written, the key check stays: the store is sealed for good, and opening it without
    /// a key is refused.
    fn check_source_key(&self, key: &SourceKey) -> Result<(), KeyCheck> {
        match self.source_key_matches(key).map_err(KeyCheck::Store)? {
            Some(true) => Ok(()),
            Some(false) => Err(KeyCheck::Wrong),
            None => {
                let sealed = seal::seal(key, SOURCE_KEY_CHECK, SOURCE_KEY_CHECK_TEXT);
                let bytes =
                    records::encode("source key check", &sealed).map_err(KeyCheck::Store)?;
                self.run(
                    |tx| -> Result<(), StoreError> {
                        Ok(tx.put_setting(SOURCE_KEY_CHECK, bytes.clone())?)
                    },
                    true,
                    false,
                )
                .map_err(|e| KeyCheck::Store(e.flatten()))
            }
        }
    }

    /// Whether `key` is the key this store's sources were sealed with, checked against the
    /// record written with the first sealed source, without writing anything. `None` when
    /// no source was ever sealed here (any key would be taken and recorded).
    pub fn source_key_matches(&self, key: &SourceKey) -> Result<Option<bool>, StoreError> {
        outside_transaction("source_key_matches")?;
        let found = self
            .inner
            .stories
            .get(SOURCE_KEY_CHECK)
            .map_err(|e| sled_error("reading the source key check", e))?;
        let Some(bytes) = found else {
            return Ok(None);
        };
        let sealed: seal::Sealed =
            serde_json::from_slice(&bytes).map_err(|_| StoreError::Corrupt {
                key: keys::describe(SOURCE_KEY_CHECK),
                reason: "unreadable key check".into(),
            })?;
        Ok(Some(matches!(
            seal::open(key, SOURCE_KEY_CHECK, &sealed),
            Ok(plain) if plain == SOURCE_KEY_CHECK_TEXT
        )))
    }

    /// True when a source was ever sealed here (the key check is written with the first).
    pub fn has_sealed_sources(&self) -> Result<bool, StoreError> {
        outside_transaction("has_sealed_sources")?;
        self.inner
            .stories
            .contains_key(SOURCE_KEY_CHECK)
            .map_err(|e| sled_error("reading the source key check", e))
    }

    /// True when new source texts are sealed with a source key.
    pub fn seals_sources(&self) -> bool {
        self.inner.source_key.is_some()
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Runs `f` as one atomic transaction and returns once its changes are durable.
    ///
    /// `f` may run more than once and must be pure (see the module documentation); it must
    /// not call `Store` methods. It returns `Err(e)` to abort: nothing is written and the
    /// result is [`TransactError::Aborted`]`(e)`. If a [`Tx`] call failed, nothing is written
    /// and the result is [`TransactError::Store`], whatever `f` returned.
    pub fn transact<T, E>(
        &self,
        f: impl Fn(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, TransactError<E>> {
        self.run(f, true, false)
    }

    /// Record a processed event id without waiting for the disk: for requests whose only
    /// effect is an answer (a status, a preview), where losing the record in a crash at
    /// worst answers a redelivery again. sled's background flush writes it within half a
    /// second. True when the key was new (or its claim had expired).
    pub fn remember_event(
        &self,
        key: &str,
        now: Timestamp,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        self.run(
            |tx| -> Result<bool, StoreError> { Ok(tx.claim_event(key, now, ttl_ms)?) },
            false,
            false,
        )
        .map_err(TransactError::flatten)
    }

    /// One transaction; with `durable`, returns only once it is flushed. `fresh`: the
    /// store is being created, and the transaction writes its first integrity record.
    fn run<T, E>(
        &self,
        f: impl Fn(&mut Tx<'_>) -> Result<T, E>,
        durable: bool,
        fresh: bool,
    ) -> Result<T, TransactError<E>> {
        outside_transaction("transact").map_err(TransactError::Store)?;
        let inner = &*self.inner;
        let gate = inner.gate.read().unwrap_or_else(|e| e.into_inner());
        let outcome = (&inner.stories, &inner.events).transaction(|(stories, events)| {
            let mut tx = Tx {
                stories,
                events,
                failure: None,
                source_key: inner.source_key,
                salt: inner.salt,
                delta: RefCell::new(Delta::default()),
            };
            let result = {
                let _scope = TransactionScope::enter();
                f(&mut tx)
            };
            // The integrity record moves in the same transaction as the change it counts.
            if tx.failure.is_none() && result.is_ok() {
                if let Err(failure) = tx.commit_integrity(fresh) {
                    tx.failure = Some(failure);
                }
            }
            match (tx.failure, result) {
                (Some(TxFailure::Conflict), _) => Err(ConflictableTransactionError::Conflict),
                (Some(TxFailure::Store(e)), _) => {
                    Err(ConflictableTransactionError::Abort(Failed::Store(e)))
                }
                (None, Ok(value)) => Ok(value),
                (None, Err(e)) => Err(ConflictableTransactionError::Abort(Failed::Closure(e))),
            }
        });
        drop(gate);
        match outcome {
            Ok(value) => {
                let ticket = inner.commit.committed();
                if durable {
                    inner.wait_durable(ticket).map_err(TransactError::Store)?;
                }
                Ok(value)
            }
            Err(TransactionError::Abort(Failed::Closure(e))) => Err(TransactError::Aborted(e)),
            Err(TransactionError::Abort(Failed::Store(e))) => Err(TransactError::Store(e)),
            Err(TransactionError::Storage(e)) => Err(TransactError::Store(sled_error(
                "committing a transaction",
                e,
            ))),
        }
    }

    /// Flushes everything committed so far (with `fsync` when configured). Transactions
    /// flush on their own; this is for shutdown and for writes made outside them.
    pub fn flush(&self) -> Result<(), StoreError> {
        outside_transaction("flush")?;
        let ticket = self.inner.commit.barrier();
        self.inner.wait_durable(ticket)
    }

    /// Read the layout version back from the store: proves it is open and answering (for
    /// `GET /readyz`). Fails when sled cannot read, or the record is damaged.
    pub fn ping(&self) -> Result<(), StoreError> {
        outside_transaction("ping")?;
        check_schema(&self.inner.stories)
    }

    /// Counters since the store was opened.
    pub fn stats(&self) -> StoreStats {
        let counts = self.inner.commit.counts();
        StoreStats {
            transactions: counts.transactions,
            flushes: counts.flushes,
            durable_writes: counts.durable_writes,
            waiting_for_flush: self.inner.commit.waiting(),
        }
    }

    /// A story.
    pub fn story(&self, id: StoryId) -> Result<Option<Story>, StoreError> {
        outside_transaction("story")?;
        read_story(&self.inner.stories, id)
    }

    /// Every stored story's number, ascending.
    pub fn story_ids(&self) -> Result<Vec<StoryId>, StoreError> {
        outside_transaction("story_ids")?;
        let mut ids = Vec::new();
        for item in self.inner.stories.scan_prefix(keys::story_prefix()) {
            let (key, _) = item.map_err(|e| sled_error("listing stories", e))?;
            let id = keys::story_id_of(&key).ok_or_else(|| StoreError::Corrupt {
                key: keys::describe(&key),
                reason: "malformed story key".into(),
            })?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// Revision `number` of a section.
    pub fn revision(
        &self,
        story: StoryId,
        section: &str,
        number: u32,
    ) -> Result<Option<Revision>, StoreError> {
        outside_transaction("revision")?;
        read_revision(&self.inner.stories, story, section, number)
    }

    /// Every revision of a section, oldest first.
    pub fn revisions(&self, story: StoryId, section: &str) -> Result<Vec<Revision>, StoreError> {
        outside_transaction("revisions")?;
        let prefix = keys::revision_prefix(story, section)?;
        self.scan(&prefix, "revisions", |key, bytes| {
            records::decode_revision(&|| keys::describe(key), bytes).map(Revision::from)
        })
    }

    /// Source `number` of a story, with its text.
    pub fn source(&self, story: StoryId, number: u32) -> Result<Option<Source>, StoreError> {
        outside_transaction("source")?;
        read_source(
            &self.inner.stories,
            story,
            number,
            self.inner.source_key.as_ref(),
        )
    }

    /// A story's audit log, oldest first.
    pub fn audit(&self, story: StoryId) -> Result<Vec<AuditEntry>, StoreError> {
        outside_transaction("audit")?;
        let prefix = keys::audit_prefix(story);
        self.scan(&prefix, "the audit log", |key, bytes| {
            records::decode_audit(&|| keys::describe(key), bytes).map(AuditEntry::from)
        })
    }

    /// A channel's stories (empty when the channel has none).
    pub fn channel(&self, channel: &ChannelKey) -> Result<ChannelStories, StoreError> {
        outside_transaction("channel")?;
        read_channel(&self.inner.stories, channel)
    }

    /// The latest assisted draft of a section, if one was ever asked for.
    pub fn suggestion(
        &self,
        story: StoryId,
        section: &str,
    ) -> Result<Option<Suggestion>, StoreError> {
        outside_transaction("suggestion")?;
        read_suggestion(
            &self.inner.stories,
            story,
            section,
            self.inner.source_key.as_ref(),
        )
    }

    /// The kept conflicting submissions of a section, by person id.
    pub fn conflicts(
        &self,
        story: StoryId,
        section: &str,
    ) -> Result<Vec<KeptConflict>, StoreError> {
        outside_transaction("conflicts")?;
        let prefix = keys::conflict_prefix(story, section)?;
        self.scan(&prefix, "kept conflicting texts", |key, bytes| {
            records::decode_conflict(&|| keys::describe(key), bytes).map(KeptConflict::from)
        })
    }

    /// One person's kept conflicting submission of a section.
    pub fn conflict(
        &self,
        story: StoryId,
        section: &str,
        person: &str,
    ) -> Result<Option<KeptConflict>, StoreError> {
        outside_transaction("conflict")?;
        read_conflict(&self.inner.stories, story, section, person)
    }

    /// The revision of a section a person last saw, if the desk ever showed it to them.
    pub fn seen(
        &self,
        story: StoryId,
        section: &str,
        person: &str,
    ) -> Result<Option<u32>, StoreError> {
        outside_transaction("seen")?;
        read_seen(&self.inner.stories, story, section, person)
    }

    /// An anchor an adapter stored with [`Tx::put_anchor`].
    pub fn anchor(&self, name: &str) -> Result<Option<String>, StoreError> {
        outside_transaction("anchor")?;
        read_anchor(&self.inner.stories, name)
    }

    /// True when the event was claimed and its claim has not expired at `now` (the same
    /// clock the claim was made with). A quick check before doing work; the claim that
    /// counts is [`Tx::claim_event`].
    pub fn event_seen(&self, key: &str, now: Timestamp) -> Result<bool, StoreError> {
        outside_transaction("event_seen")?;
        let k = keys::event(key);
        let describe = || keys::describe_event(&k);
        match self
            .inner
            .events
            .get(&k)
            .map_err(|e| sled_error(format!("reading {}", describe()), e))?
        {
            Some(bytes) => Ok(records::decode_event(&describe, &bytes)?.expires_at > now.0),
            None => Ok(false),
        }
    }

    /// Removes the event claims that have expired at `now`; returns how many. A claim
    /// renewed meanwhile is left alone. Not flushed: losing a purge in a crash is harmless.
    ///
    /// Reads only the expiry index up to `now`, not every claim: a purge costs what it
    /// removes, and does not pull the whole table of claims into sled's cache. A store
    /// written before the index existed is indexed by its first purge (one full pass).
    pub fn purge_expired_events(&self, now: Timestamp) -> Result<usize, StoreError> {
        outside_transaction("purge_expired_events")?;
        let inner = &*self.inner;
        let indexed = inner
            .stories
            .contains_key(keys::EVENTS_INDEXED)
            .map_err(|e| sled_error("reading whether processed events are indexed", e))?;
        if !indexed {
            return self.purge_and_index_events(now);
        }
        let end = keys::event_expiry_after(now.0);
        let mut purged = 0;
        loop {
            // A batch of due index entries at a time, each batch one transaction (so the
            // integrity record moves with it), never holding sled's lock for long.
            let batch = inner
                .events
                .range(keys::EVENT_EXPIRY_PREFIX.to_vec()..end.clone())
                .keys()
                .take(PURGE_BATCH)
                .collect::<Result<Vec<IVec>, _>>()
                .map_err(|e| sled_error("listing expired events", e))?;
            if batch.is_empty() {
                return Ok(purged);
            }
            purged += self
                .run(
                    |tx| -> Result<usize, StoreError> { Ok(tx.expire_claims(&batch, now)?) },
                    false,
                    false,
                )
                .map_err(TransactError::flatten)?;
        }
    }

    /// The purge of a store whose claims are not all indexed: one pass over every claim,
    /// removing the expired ones and indexing the rest, then the mark that all are indexed.
    fn purge_and_index_events(&self, now: Timestamp) -> Result<usize, StoreError> {
        let mut claims = Vec::new();
        for key in self.inner.events.iter().keys() {
            let key = key.map_err(|e| sled_error("listing processed events", e))?;
            if !key.starts_with(keys::EVENT_EXPIRY_PREFIX) {
                claims.push(key);
            }
        }
        let mut purged = 0;
        for batch in claims.chunks(PURGE_BATCH) {
            purged += self
                .run(
                    |tx| -> Result<usize, StoreError> { Ok(tx.index_claims(batch, now)?) },
                    false,
                    false,
                )
                .map_err(TransactError::flatten)?;
        }
        self.run(
            |tx| -> Result<(), StoreError> {
                Ok(tx.put_setting(keys::EVENTS_INDEXED, Vec::new())?)
            },
            false,
            false,
        )
        .map_err(TransactError::flatten)?;
        Ok(purged)
    }

    /// Decodes every record under `prefix` in key order.
    fn scan<T>(
        &self,
        prefix: &[u8],
        what: &str,
        decode: impl Fn(&[u8], &[u8]) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.stories.scan_prefix(prefix) {
            let (key, value) = item.map_err(|e| sled_error(format!("listing {what}"), e))?;
            out.push(decode(&key, &value)?);
        }
        Ok(out)
    }

    /// The digest of source `number` of a story (what the checks need of it), or `None`
    /// when there is none: no such source, or a source stored before digests were kept.
    pub fn source_digest(
        &self,
        story: StoryId,
        number: u32,
    ) -> Result<Option<crate::model::SourceDigest>, StoreError> {
        outside_transaction("source_digest")?;
        read_source_digest(
            &self.inner.stories,
            story,
            number,
            self.inner.source_key.as_ref(),
        )
    }
}

/// How a transaction attempt failed, kept inside the [`Tx`].
enum TxFailure {
    /// sled asks for the closure to run again.
    Conflict,
    /// The transaction cannot go on.
    Store(StoreError),
}

impl From<StoreError> for TxFailure {
    fn from(e: StoreError) -> Self {
        TxFailure::Store(e)
    }
}

impl From<keys::NulInName> for TxFailure {
    fn from(e: keys::NulInName) -> Self {
        TxFailure::Store(e.into())
    }
}

/// Maps sled's in-transaction errors, with what the store was doing.
fn tx_failure(
    context: impl FnOnce() -> String,
) -> impl FnOnce(UnabortableTransactionError) -> TxFailure {
    move |e| match e {
        UnabortableTransactionError::Conflict => TxFailure::Conflict,
        UnabortableTransactionError::Storage(e) => TxFailure::Store(sled_error(context(), e)),
    }
}

/// What the sled closure aborts with: the user's error or the store's.
enum Failed<E> {
    /// The closure's own error.
    Closure(E),
    /// A failed [`Tx`] call.
    Store(StoreError),
}

/// Reads by key, inside or outside a transaction, so decoding is written once.
trait Reader {
    /// The error of a read: a [`StoreError`] outside, a [`TxFailure`] inside.
    type Fail: From<StoreError>;
    /// The value under `key`.
    fn read(&self, key: &[u8]) -> Result<Option<IVec>, Self::Fail>;
}

impl Reader for sled::Tree {
    type Fail = StoreError;
    fn read(&self, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        self.get(key)
            .map_err(|e| sled_error(format!("reading {}", keys::describe(key)), e))
    }
}

impl Reader for TransactionalTree {
    type Fail = TxFailure;
    fn read(&self, key: &[u8]) -> Result<Option<IVec>, TxFailure> {
        self.get(key)
            .map_err(tx_failure(|| format!("reading {}", keys::describe(key))))
    }
}

/// Reads a story, upgrading an old record (its audit count is found in the audit log).
fn read_story<R: Reader>(r: &R, id: StoryId) -> Result<Option<Story>, R::Fail> {
    let key = keys::story(id);
    let Some(bytes) = r.read(&key)? else {
        return Ok(None);
    };
    let record = match records::decode_story(&|| keys::describe(&key), &bytes)? {
        StoryRecord::V3(record) => record,
        StoryRecord::V1(old) => {
            let audit_len = count_audit(r, id)?;
            old.upgrade(audit_len)
        }
    };
    Ok(Some(record.into()))
}

/// The length of a story's audit log, whose entries are numbered 0, 1, 2, … without gaps:
/// an exponential then binary search on which entries exist, which needs only point reads
/// (sled transactions cannot scan).
fn count_audit<R: Reader>(r: &R, story: StoryId) -> Result<u64, R::Fail> {
    let exists = |seq: u64| r.read(&keys::audit(story, seq)).map(|v| v.is_some());
    if !exists(0)? {
        return Ok(0);
    }
    // Invariant: entry `lo` exists, entry `hi` does not.
    let (mut lo, mut hi) = (0u64, 1u64);
    while exists(hi)? {
        lo = hi;
        hi = hi.saturating_mul(2);
        if hi == u64::MAX {
            break;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if exists(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(hi)
}

/// Reads one revision.
fn read_revision<R: Reader>(
    r: &R,
    story: StoryId,
    section: &str,
    number: u32,
) -> Result<Option<Revision>, R::Fail> {
    let key = keys::revision(story, section, number).map_err(StoreError::from)?;
    match r.read(&key)? {
        Some(bytes) => Ok(Some(
            records::decode_revision(&|| keys::describe(&key), &bytes)?.into(),
        )),
        None => Ok(None),
    }
}

/// Reads one source.
fn read_source<R: Reader>(
    r: &R,
    story: StoryId,
    number: u32,
    source_key: Option<&SourceKey>,
) -> Result<Option<Source>, R::Fail> {
    let key = keys::source(story, number);
    let Some(bytes) = r.read(&key)? else {
        return Ok(None);
    };
    let mut record = records::decode_source(&|| keys::describe(&key), &bytes)?;
    let body = std::mem::replace(&mut record.body, SourceBodyRecord::Text(String::new()));
    let text = match body {
        SourceBodyRecord::Text(text) => text,
        SourceBodyRecord::Sealed(sealed) => {
            let Some(source_key) = source_key else {
                return Err(StoreError::SourceSealed {
                    key: keys::describe(&key),
                }
                .into());
            };
            let mismatch = || StoreError::SourceKeyMismatch {
                key: keys::describe(&key),
            };
            let plain = seal::open(source_key, &key, &sealed).map_err(|_| mismatch())?;
            String::from_utf8(plain).map_err(|_| mismatch())?
        }
    };
    Ok(Some(record.into_source(text)))
}

/// Reads one source's digest, opening it when it is sealed.
fn read_source_digest<R: Reader>(
    r: &R,
    story: StoryId,
    number: u32,
    source_key: Option<&SourceKey>,
) -> Result<Option<crate::model::SourceDigest>, R::Fail> {
    let key = keys::source_digest(story, number);
    let Some(bytes) = r.read(&key)? else {
        return Ok(None);
    };
    let describe = || keys::describe(&key);
    let (body, sealed) = records::decode_digest(&describe, &bytes)?;
    let record = if sealed {
        let Some(source_key) = source_key else {
            return Err(StoreError::SourceSealed { key: describe() }.into());
        };
        let plain = seal::open_bytes(source_key, &key, body)
            .map_err(|_| StoreError::SourceKeyMismatch { key: describe() })?;
        records::SourceDigestRecordV1::from_body(&describe, &plain)?
    } else {
        records::SourceDigestRecordV1::from_body(&describe, body)?
    };
    Ok(Some(record.into()))
}

/// Where the key check lives: a constant sealed with the source key.
const SOURCE_KEY_CHECK: &[u8] = b"m/source_key_check";
/// The constant sealed in the key check.
const SOURCE_KEY_CHECK_TEXT: &[u8] = b"storydesk source key check";

/// Why the source key check failed.
enum KeyCheck {
    /// The key does not open the check.
    Wrong,
    /// The store failed.
    Store(StoreError),
}

/// Reads a channel's stories.
fn read_channel<R: Reader>(r: &R, channel: &ChannelKey) -> Result<ChannelStories, R::Fail> {
    let key = keys::channel(channel).map_err(StoreError::from)?;
    match r.read(&key)? {
        Some(bytes) => Ok(records::decode_channel(&|| keys::describe(&key), &bytes)?.into()),
        None => Ok(ChannelStories::default()),
    }
}

/// Reads a section's assisted draft, opening its content when it is sealed.
fn read_suggestion<R: Reader>(
    r: &R,
    story: StoryId,
    section: &str,
    source_key: Option<&SourceKey>,
) -> Result<Option<Suggestion>, R::Fail> {
    let key = keys::suggestion(story, section).map_err(StoreError::from)?;
    let Some(bytes) = r.read(&key)? else {
        return Ok(None);
    };
    let mut record = records::decode_suggestion(&|| keys::describe(&key), &bytes)?;
    let body = std::mem::replace(
        &mut record.content,
        SuggestionBodyRecord::Plain(SuggestionContentRecord {
            text: String::new(),
            alternatives: Vec::new(),
            notes: Vec::new(),
        }),
    );
    let content = match body {
        SuggestionBodyRecord::Plain(content) => content,
        SuggestionBodyRecord::Sealed(sealed) => {
            let Some(source_key) = source_key else {
                return Err(StoreError::SourceSealed {
                    key: keys::describe(&key),
                }
                .into());
            };
            let mismatch = || StoreError::SourceKeyMismatch {
                key: keys::describe(&key),
            };
            let plain = seal::open(source_key, &key, &sealed).map_err(|_| mismatch())?;
            serde_json::from_slice(&plain).map_err(|_| mismatch())?
        }
    };
    Ok(Some(record.into_suggestion(content)))
}

/// Reads one person's kept conflicting submission.
fn read_conflict<R: Reader>(
    r: &R,
    story: StoryId,
    section: &str,
    person: &str,
) -> Result<Option<KeptConflict>, R::Fail> {
    let key = keys::conflict(story, section, person).map_err(StoreError::from)?;
    match r.read(&key)? {
        Some(bytes) => Ok(Some(
            records::decode_conflict(&|| keys::describe(&key), &bytes)?.into(),
        )),
        None => Ok(None),
    }
}

/// Reads the revision a person last saw.
fn read_seen<R: Reader>(
    r: &R,
    story: StoryId,
    section: &str,
    person: &str,
) -> Result<Option<u32>, R::Fail> {
    let key = keys::seen(story, section, person).map_err(StoreError::from)?;
    match r.read(&key)? {
        Some(bytes) => Ok(Some(
            records::decode_seen(&|| keys::describe(&key), &bytes)?.revision,
        )),
        None => Ok(None),
    }
}

/// Reads an anchor.
fn read_anchor<R: Reader>(r: &R, name: &str) -> Result<Option<String>, R::Fail> {
    let key = keys::anchor(name);
    match r.read(&key)? {
        Some(bytes) => Ok(Some(
            records::decode_anchor(&|| keys::describe(&key), &bytes)?.value,
        )),
        None => Ok(None),
    }
}

/// One run of a transaction closure: reads see the transaction's own writes, and all writes
/// commit together or not at all.
///
/// Every method returns [`TxError`] on failure; after the first failure the others fail
/// too, and [`Store::transact`] reports the cause.
pub struct Tx<'a> {
    /// The `stories` tree, in the transaction.
    stories: &'a TransactionalTree,
    /// The `events` tree, in the transaction.
    events: &'a TransactionalTree,
    /// The first failure, which decides the transaction's outcome.
    failure: Option<TxFailure>,
    /// The key new source texts are sealed with.
    source_key: Option<SourceKey>,
    /// The salt of the integrity record's hashes.
    salt: integrity::Salt,
    /// What this run of the closure changed, applied to the integrity record at its end.
    delta: RefCell<Delta>,
}

impl Tx<'_> {
    /// A tree of the transaction.
    fn tree(&self, tree: Tree) -> &TransactionalTree {
        match tree {
            Tree::Stories => self.stories,
            Tree::Events => self.events,
        }
    }

    /// Writes `value` under `key`, keeping the integrity delta.
    fn put(
        &self,
        tree: Tree,
        key: &[u8],
        value: IVec,
        what: impl FnOnce() -> String,
    ) -> Result<(), TxFailure> {
        let old = self
            .tree(tree)
            .insert(key, value.clone())
            .map_err(tx_failure(what))?;
        self.delta
            .borrow_mut()
            .change(&self.salt, tree, key, old.as_deref(), Some(&value));
        Ok(())
    }

    /// Removes `key`, keeping the integrity delta; the old value.
    fn take(
        &self,
        tree: Tree,
        key: &[u8],
        what: impl FnOnce() -> String,
    ) -> Result<Option<IVec>, TxFailure> {
        let old = self.tree(tree).remove(key).map_err(tx_failure(what))?;
        self.delta
            .borrow_mut()
            .change(&self.salt, tree, key, old.as_deref(), None);
        Ok(old)
    }

    /// Moves the integrity record by what this run changed (nothing when it wrote
    /// nothing). `fresh`: the store is being created and has no record yet.
    fn commit_integrity(&self, fresh: bool) -> Result<(), TxFailure> {
        let delta = self.delta.borrow();
        if delta.is_empty() {
            return Ok(());
        }
        let found = self
            .stories
            .get(integrity::RECORD)
            .map_err(tx_failure(|| "reading the integrity record".to_string()))?;
        let mut tally = match found {
            Some(bytes) => Tally::decode(&bytes)?,
            None if fresh => Tally {
                generation: 0,
                salt: self.salt,
                digest: [0; 32],
                counts: Default::default(),
            },
            None => {
                return Err(StoreError::Corrupt {
                    key: keys::describe(integrity::RECORD),
                    reason: "missing: the store was opened without one".into(),
                }
                .into())
            }
        };
        tally.apply(&delta)?;
        self.stories
            .insert(integrity::RECORD, tally.encode()?)
            .map_err(tx_failure(|| "writing the integrity record".to_string()))?;
        Ok(())
    }

    /// Writes one of the store's own settings (`m/…`).
    fn put_setting(&mut self, key: &'static [u8], value: Vec<u8>) -> Result<(), TxError> {
        self.step(|tx| {
            tx.put(Tree::Stories, key, value.into(), || {
                format!("writing {}", keys::describe(key))
            })
        })
    }

    /// Removes the expiry index `entries` and the claims they point to that have expired
    /// at `now` (a claim renewed since is left alone); how many claims were removed.
    fn expire_claims(&mut self, entries: &[IVec], now: Timestamp) -> Result<usize, TxError> {
        self.step(|tx| {
            let mut purged = 0;
            for entry in entries {
                if let Some(key) = keys::event_of_expiry(entry) {
                    let describe = || keys::describe_event(key);
                    let found = tx
                        .events
                        .get(key)
                        .map_err(tx_failure(|| format!("reading {}", describe())))?;
                    if let Some(value) = found {
                        if records::decode_event(&describe, &value)?.expires_at <= now.0 {
                            tx.take(Tree::Events, key, || format!("removing {}", describe()))?;
                            purged += 1;
                        }
                    }
                }
                tx.take(Tree::Events, entry, || {
                    "removing an expiry index entry".to_string()
                })?;
            }
            Ok(purged)
        })
    }

    /// For claims written before the expiry index: removes the expired ones among `claims`
    /// and gives the others their index entry; how many were removed.
    fn index_claims(&mut self, claims: &[IVec], now: Timestamp) -> Result<usize, TxError> {
        self.step(|tx| {
            let mut purged = 0;
            for key in claims {
                let describe = || keys::describe_event(key);
                let found = tx
                    .events
                    .get(key)
                    .map_err(tx_failure(|| format!("reading {}", describe())))?;
                let Some(value) = found else { continue };
                let expires_at = records::decode_event(&describe, &value)?.expires_at;
                if expires_at > now.0 {
                    tx.put(
                        Tree::Events,
                        &keys::event_expiry(expires_at, key),
                        IVec::default(),
                        || format!("indexing {}", describe()),
                    )?;
                } else {
                    tx.take(Tree::Events, key, || format!("removing {}", describe()))?;
                    purged += 1;
                }
            }
            Ok(purged)
        })
    }

    /// Runs one operation, recording its failure.
    fn step<R>(&mut self, op: impl FnOnce(&Self) -> Result<R, TxFailure>) -> Result<R, TxError> {
        if self.failure.is_some() {
            return Err(TxError { _private: () });
        }
        match op(self) {
            Ok(value) => Ok(value),
            Err(failure) => {
                self.failure = Some(failure);
                Err(TxError { _private: () })
            }
        }
    }

    /// Writes a value to the `stories` tree.
    fn write(&self, key: &[u8], value: Vec<u8>) -> Result<(), TxFailure> {
        self.put(Tree::Stories, key, value.into(), || {
            format!("writing {}", keys::describe(key))
        })
    }

    /// Fails when `key` already holds a value.
    fn refuse_overwrite(&self, key: &[u8]) -> Result<(), TxFailure> {
        if self.stories.read(key)?.is_some() {
            return Err(StoreError::AlreadyExists {
                key: keys::describe(key),
            }
            .into());
        }
        Ok(())
    }

    /// A story, as this transaction sees it.
    pub fn story(&mut self, id: StoryId) -> Result<Option<Story>, TxError> {
        self.step(|tx| read_story(tx.stories, id))
    }

    /// Stores a story as given (including `audit_len` and `version`, which the caller keeps).
    pub fn put_story(&mut self, story: &Story) -> Result<(), TxError> {
        self.step(|tx| {
            let record = StoryRecordV3::from(story);
            tx.write(&keys::story(story.id), records::encode("story", &record)?)
        })
    }

    /// Hands out the next story number (1, 2, 3, …). A number is used once, unless the
    /// transaction that took it does not commit.
    pub fn next_story_id(&mut self) -> Result<StoryId, TxError> {
        self.step(|tx| {
            let key = keys::NEXT_STORY;
            let next = match tx.stories.read(key)? {
                None => 1,
                Some(bytes) => <[u8; 8]>::try_from(bytes.as_ref())
                    .map(u64::from_be_bytes)
                    .map_err(|_| StoreError::Corrupt {
                        key: keys::describe(key),
                        reason: format!("{} bytes instead of 8", bytes.len()),
                    })?,
            };
            let after = next.checked_add(1).ok_or_else(|| StoreError::Corrupt {
                key: keys::describe(key),
                reason: "the story counter is exhausted".into(),
            })?;
            tx.write(key, after.to_be_bytes().to_vec())?;
            Ok(StoryId(next))
        })
    }

    /// Revision `number` of a section.
    pub fn revision(
        &mut self,
        story: StoryId,
        section: &str,
        number: u32,
    ) -> Result<Option<Revision>, TxError> {
        self.step(|tx| read_revision(tx.stories, story, section, number))
    }

    /// Stores a new revision. Revisions are history: one that exists is never overwritten
    /// ([`StoreError::AlreadyExists`]).
    pub fn put_revision(&mut self, revision: &Revision) -> Result<(), TxError> {
        self.step(|tx| {
            let key = keys::revision(revision.story, &revision.section, revision.number)?;
            tx.refuse_overwrite(&key)?;
            let record = RevisionRecordV1::from(revision);
            tx.write(&key, records::encode("revision", &record)?)
        })
    }

    /// Source `number` of a story, with its text.
    pub fn source(&mut self, story: StoryId, number: u32) -> Result<Option<Source>, TxError> {
        self.step(|tx| read_source(tx.stories, story, number, tx.source_key.as_ref()))
    }

    /// Stores a source with its text (replacing one with the same number).
    pub fn put_source(&mut self, source: &Source) -> Result<(), TxError> {
        self.step(|tx| {
            let key = keys::source(source.story, source.number);
            let body = match &tx.source_key {
                Some(k) => SourceBodyRecord::Sealed(seal::seal(k, &key, source.text.as_bytes())),
                None => SourceBodyRecord::Text(source.text.clone()),
            };
            let record = SourceRecordV2::new(source, body);
            tx.write(&key, records::encode("source", &record)?)
        })
    }

    /// Deletes a source's text; true when it existed.
    pub fn delete_source(&mut self, story: StoryId, number: u32) -> Result<bool, TxError> {
        self.step(|tx| {
            let key = keys::source(story, number);
            tx.take(Tree::Stories, &key, || {
                format!("deleting {}", keys::describe(&key))
            })
            .map(|old| old.is_some())
        })
    }

    /// Appends an entry to a story's audit log under `entry.seq`. The caller numbers
    /// entries from the story's `audit_len` (0, 1, 2, … without gaps, which is how an old
    /// story record's count is recovered) and saves the story with the advanced count in the
    /// same transaction. An existing entry is never overwritten
    /// ([`StoreError::AlreadyExists`]): a numbering mistake fails loudly instead of erasing
    /// history.
    pub fn append_audit(&mut self, story: StoryId, entry: &AuditEntry) -> Result<(), TxError> {
        self.step(|tx| {
            let key = keys::audit(story, entry.seq);
            tx.refuse_overwrite(&key)?;
            let record = AuditRecordV2::from(entry);
            tx.write(&key, records::encode("audit", &record)?)
        })
    }

    /// A channel's stories (empty when it has none).
    pub fn channel(&mut self, channel: &ChannelKey) -> Result<ChannelStories, TxError> {
        self.step(|tx| read_channel(tx.stories, channel))
    }

    /// Stores a channel's stories.
    pub fn put_channel(
        &mut self,
        channel: &ChannelKey,
        stories: &ChannelStories,
    ) -> Result<(), TxError> {
        self.step(|tx| {
            let key = keys::channel(channel)?;
            let record = ChannelRecordV1::from(stories);
            tx.write(&key, records::encode("channel", &record)?)
        })
    }

    /// The latest assisted draft of a section, as this transaction sees it.
    pub fn suggestion(
        &mut self,
        story: StoryId,
        section: &str,
    ) -> Result<Option<Suggestion>, TxError> {
        self.step(|tx| read_suggestion(tx.stories, story, section, tx.source_key.as_ref()))
    }

    /// Stores a section's assisted draft, replacing the previous one of that section. Its
    /// content is made from the sources, so it is sealed like them when a source key is set.
    pub fn put_suggestion(&mut self, suggestion: &Suggestion) -> Result<(), TxError> {
        self.step(|tx| {
            let key = keys::suggestion(suggestion.story, &suggestion.section)?;
            let content = SuggestionContentRecord::from(suggestion);
            let body = match &tx.source_key {
                Some(k) => SuggestionBodyRecord::Sealed(seal::seal(
                    k,
                    &key,
                    &records::encode("suggestion content", &content)?,
                )),
                None => SuggestionBodyRecord::Plain(content),
            };
            let record = SuggestionRecordV1::new(suggestion, body);
            tx.write(&key, records::encode("suggestion", &record)?)
        })
    }

    /// Deletes a section's assisted draft; true when there was one.
    pub fn delete_suggestion(&mut self, story: StoryId, section: &str) -> Result<bool, TxError> {
        self.step(|tx| {
            let key = keys::suggestion(story, section)?;
            tx.take(Tree::Stories, &key, || {
                format!("deleting {}", keys::describe(&key))
            })
            .map(|old| old.is_some())
        })
    }

    /// One person's kept conflicting submission of a section.
    pub fn conflict(
        &mut self,
        story: StoryId,
        section: &str,
        person: &str,
    ) -> Result<Option<KeptConflict>, TxError> {
        self.step(|tx| read_conflict(tx.stories, story, section, person))
    }

    /// Keeps a conflicting submission, replacing the same person's earlier one of the section.
    pub fn put_conflict(&mut self, conflict: &KeptConflict) -> Result<(), TxError> {
        self.step(|tx| {
            let key = keys::conflict(conflict.story, &conflict.section, &conflict.author.id)?;
            let record = records::ConflictRecordV1::from(conflict);
            tx.write(&key, records::encode("conflict", &record)?)
        })
    }

    /// Deletes a person's kept conflicting submission; true when there was one.
    pub fn delete_conflict(
        &mut self,
        story: StoryId,
        section: &str,
        person: &str,
    ) -> Result<bool, TxError> {
        self.step(|tx| {
            let key = keys::conflict(story, section, person)?;
            tx.stories
                .remove(key.as_slice())
                .map(|old| old.is_some())
                .map_err(tx_failure(|| format!("deleting {}", keys::describe(&key))))
        })
    }

    /// The revision of a section a person last saw.
    pub fn seen(
        &mut self,
        story: StoryId,
        section: &str,
        person: &str,
    ) -> Result<Option<u32>, TxError> {
        self.step(|tx| read_seen(tx.stories, story, section, person))
    }

    /// Records the revision of a section a person was shown (or wrote).
    pub fn put_seen(
        &mut self,
        story: StoryId,
        section: &str,
        person: &str,
        revision: u32,
    ) -> Result<(), TxError> {
        self.step(|tx| {
            let key = keys::seen(story, section, person)?;
            let record = records::SeenRecordV1 {
                v: records::SEEN_VERSION,
                revision,
            };
            tx.write(&key, records::encode("seen", &record)?)
        })
    }

    /// An anchor.
    pub fn anchor(&mut self, name: &str) -> Result<Option<String>, TxError> {
        self.step(|tx| read_anchor(tx.stories, name))
    }

    /// Stores an anchor: an opaque string an adapter keeps under a name of its choosing
    /// (for example the platform message id of a story's board).
    pub fn put_anchor(&mut self, name: &str, value: &str) -> Result<(), TxError> {
        self.step(|tx| {
            let record = AnchorRecordV1 {
                v: records::ANCHOR_VERSION,
                value: value.to_string(),
            };
            tx.write(&keys::anchor(name), records::encode("anchor", &record)?)
        })
    }

    /// Claims an inbound event's idempotency key for `ttl_ms` milliseconds. True when the
    /// key was free (never seen, or its claim expired at `now`): the claim is recorded and
    /// commits together with the transaction's other changes, so a retried event either
    /// finds both or neither. False when the event was seen: do nothing.
    pub fn claim_event(&mut self, key: &str, now: Timestamp, ttl_ms: i64) -> Result<bool, TxError> {
        self.step(|tx| {
            let k = keys::event(key);
            let describe = || keys::describe_event(&k);
            let seen = tx
                .events
                .get(k.as_slice())
                .map_err(tx_failure(|| format!("reading {}", describe())))?;
            if let Some(bytes) = seen {
                let old = records::decode_event(&describe, &bytes)?;
                if old.expires_at > now.0 {
                    return Ok(false);
                }
                // The expired claim's index entry goes with it.
                tx.take(
                    Tree::Events,
                    &keys::event_expiry(old.expires_at, &k),
                    || format!("renewing {}", describe()),
                )?;
            }
            let record = EventRecordV1 {
                v: records::EVENT_VERSION,
                claimed_at: now.0,
                expires_at: now.0.saturating_add(ttl_ms.max(0)),
            };
            tx.put(
                Tree::Events,
                &k,
                records::encode("event", &record)?.into(),
                || format!("writing {}", describe()),
            )?;
            tx.put(
                Tree::Events,
                &keys::event_expiry(record.expires_at, &k),
                IVec::default(),
                || format!("indexing {}", describe()),
            )?;
            Ok(true)
        })
    }

    /// Stores the digest of source `number` (see [`crate::model::SourceDigest`]), sealed
    /// with the source key when sources are sealed. Written in the transaction that stores
    /// the source, so the two never disagree.
    pub fn put_source_digest(
        &mut self,
        story: StoryId,
        number: u32,
        digest: &crate::model::SourceDigest,
    ) -> Result<(), TxError> {
        self.step(|tx| {
            let key = keys::source_digest(story, number);
            let body = records::SourceDigestRecordV1::from(digest).body();
            let value = match &tx.source_key {
                Some(k) => records::encode_digest(seal::seal_bytes(k, &key, &body), true),
                None => records::encode_digest(body, false),
            };
            tx.write(&key, value)
        })
    }

    /// Deletes the digest of source `number`; true when it existed.
    pub fn delete_source_digest(&mut self, story: StoryId, number: u32) -> Result<bool, TxError> {
        self.step(|tx| {
            let key = keys::source_digest(story, number);
            tx.take(Tree::Stories, &key, || {
                format!("deleting {}", keys::describe(&key))
            })
            .map(|old| old.is_some())
        })
    }

    /// True when source `number` has a digest (without reading it).
    pub fn has_source_digest(&mut self, story: StoryId, number: u32) -> Result<bool, TxError> {
        self.step(|tx| {
            let key = keys::source_digest(story, number);
            Ok(tx.stories.read(&key)?.is_some())
        })
    }
}

#[cfg(test)]
mod tests;
