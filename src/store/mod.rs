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
//! `source-index/{story}/` holds each story's source index (`index.rs`): derived from the
//! source digests, checked against the story's sources at each use, and rebuilt from the
//! digests when missing, behind or damaged; so it is not part of a backup's records.
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
//! [`Store::transact`] runs a closure against a [`Tx`] over both trees, atomically. The
//! closure runs once, on the store's writer lock, against sled as seen through the changes
//! that earlier transactions committed and the flusher has not applied yet (`staged.rs`).
//! Its writes are staged when it returns `Ok`; the flusher applies everything staged since
//! its last round as one sled transaction, flushes, and then every writer of the round is
//! answered. Transactions run one at a time (sled 0.34 runs its own under one process-wide
//! lock anyway), so the closure must be short (no network, no waiting on anything) and
//! **pure**: no messages sent, no files written, no counters bumped outside the [`Tx`].
//! Calling a [`Store`] method from inside the closure would deadlock on the writer lock;
//! the store detects it and returns [`StoreError::Reentrant`] instead.
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
//! deadlock. Reads outside transactions see what sled has: every answered change, and
//! changes of a round being flushed; never a change still staged (not yet answered). A
//! round that sled refuses to apply fails every writer it carried, and the store then takes
//! no more changes until it is reopened (later transactions may have read the lost ones).
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
mod index;
mod integrity;
mod jobs;
mod keys;
mod people;
mod postgres;
mod records;
mod seal;
mod staged;

pub use backup::{verify_backup, BackupError, BackupSummary, RestoreError};
pub use index::{IndexAnswers, IndexError, IndexedSource, SourceStamp};
pub use jobs::Job;
pub use people::PersonSettings;
pub use seal::{BadKey, SourceKey};

/// A PostgreSQL URL as it may be shown: host, port and database, without user or password.
pub fn describe_database(url: &str) -> String {
    postgres::describe_url(url)
}

use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use sled::IVec;

use crate::model::{
    AuditEntry, ChannelKey, ChannelStories, KeptConflict, Person, Revision, Source, Story, StoryId,
    Suggestion, Timestamp,
};
use commit::{GroupCommit, Syncer};
use integrity::{Delta, MarkFile, Tally, Tree};
use records::{
    AnchorRecordV1, AuditRecordV2, ChannelRecordV1, EventRecordV1, RevisionRecordV1,
    SourceBodyRecord, SourceRecordV2, StoryRecord, StoryRecordV3, SuggestionBodyRecord,
    SuggestionContentRecord, SuggestionRecordV1,
};
use staged::{Changes, Staged};

/// The layout version written to `m/schema`. Raise it when keys change meaning; records
/// carry their own versions and do not need it. 2: a channel's stories have a key each
/// (`n/…`) instead of a list in the channel's record, which a store of version 1 still
/// holds and this build still reads; a store opened for use is raised to this version, so
/// an older build, which would not see the stories with keys, refuses it.
const SCHEMA_VERSION: u32 = 2;
/// The tree of stories and everything that belongs to them.
const STORIES_TREE: &str = "stories";
/// The tree of processed event ids.
const EVENTS_TREE: &str = "events";

/// How to open the store. Comes from the operator's configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// A PostgreSQL database (`postgres://…`, from `STORYDESK_DATABASE_URL` or `[store]
    /// url`) instead of the embedded store in the data directory. Default: none.
    pub database_url: Option<String>,
    /// At most this many connections to PostgreSQL (`[store] pool_size`). Default 16.
    pub pool_size: u32,
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
            database_url: None,
            pool_size: 16,
            source_key: None,
            cache_capacity_bytes: 4 * 1024 * 1024,
            fsync: false,
        }
    }
}

impl fmt::Debug for StoreOptions {
    /// Shows the database without its credentials, and never the source key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field(
                "database",
                &self.database_url.as_deref().map(postgres::describe_url),
            )
            .field("pool_size", &self.pool_size)
            .field("sealed", &self.source_key.is_some())
            .field("cache_capacity_bytes", &self.cache_capacity_bytes)
            .field("fsync", &self.fsync)
            .finish()
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
    /// Statements sent to PostgreSQL (each a round trip); 0 on the embedded store.
    pub round_trips: u64,
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
    /// PostgreSQL refused or failed a statement.
    #[error("PostgreSQL failed {context}: {reason}")]
    Postgres {
        /// What the store was doing.
        context: String,
        /// PostgreSQL's (or the driver's) reason, without the statement's parameters.
        reason: String,
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

/// What a sled transaction does after committing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// Returns once its changes are flushed.
    Durable,
    /// Asks for a flush and returns.
    Asked,
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
    /// True while this thread runs a transaction closure. It holds the store's writer lock
    /// then: a `Store` call that writes would hang the thread for good, so the store
    /// refuses every `Store` call instead.
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

/// The right to run one piece of work that must run in one process only (see
/// [`Store::singleton`]). Dropping it lets another process take it.
pub struct Singleton {
    /// The work's name.
    name: String,
    /// PostgreSQL's advisory lock; none on the embedded store.
    hold: Option<postgres::PgHold>,
}

impl fmt::Debug for Singleton {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Singleton")
            .field("name", &self.name)
            .finish()
    }
}

impl Singleton {
    /// The work's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True while this process still holds the work: on PostgreSQL, while the lock's
    /// connection answers (blocks up to 3 s; call it from a blocking thread). Once false, stop
    /// the work and drop the hold; another process may have taken it.
    pub fn still_held(&self) -> bool {
        self.hold.as_ref().is_none_or(|hold| hold.still_held())
    }
}

/// The state behind a [`Store`].
struct Inner {
    /// Where the records are.
    engine: Engine,
    /// Where the data lives, for messages (and the console's history, the admin socket).
    dir: PathBuf,
    /// The key source texts are sealed with, if the operator set one.
    source_key: Option<SourceKey>,
    /// What opening found about the store's integrity.
    integrity: IntegrityCheck,
    /// The stories' source indexes, in files beside the records (`index.rs`).
    indexes: index::Indexes,
}

/// The database engine behind a store.
enum Engine {
    /// The embedded sled database in the data directory (the default).
    Sled(Sled),
    /// A PostgreSQL database, which several processes may share.
    Postgres(postgres::Pg),
}

/// The embedded engine.
struct Sled {
    /// Stories and everything under them.
    stories: sled::Tree,
    /// Processed event ids.
    events: sled::Tree,
    /// Shares flushes between concurrent writers; its thread runs `durability`'s flushes.
    commit: GroupCommit,
    /// What one flush does (shared with the flusher thread).
    durability: Arc<Durability>,
    /// The salt of the integrity record's hashes (see `integrity.rs`).
    salt: integrity::Salt,
}

/// What the writers and the flusher share: the database, what is staged for it, the
/// `fsync`s and the integrity mark.
struct Durability {
    /// The sled database, to flush.
    db: sled::Db,
    /// Stories, where the integrity record is.
    stories: sled::Tree,
    /// Processed events.
    events: sled::Tree,
    /// The writer lock: held by a transaction while its closure runs and its writes are
    /// staged, and by the flusher while it takes a round.
    staged: std::sync::Mutex<Staged>,
    /// Held shared while a round is applied to sled and exclusively by a backup or a
    /// restore, so a backup sees each round (and so each transaction) whole or not at all.
    gate: std::sync::RwLock<()>,
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
    /// The engine keeps its own checksums and log (PostgreSQL): no record of ours.
    Engine,
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
        match &self.inner.engine {
            Engine::Sled(sled) => f
                .debug_struct("Store")
                .field("dir", &self.inner.dir)
                .field("fsync", &sled.durability.syncer.is_some())
                .finish_non_exhaustive(),
            Engine::Postgres(pg) => f
                .debug_struct("Store")
                .field("database", &pg.name())
                .finish_non_exhaustive(),
        }
    }
}

impl Durability {
    /// The writer lock (the staged changes), even after a panic while it was held: a
    /// transaction stages its writes in one call that cannot panic half-way.
    fn lock_staged(&self) -> std::sync::MutexGuard<'_, Staged> {
        self.staged.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies everything staged so far to sled, as one sled transaction.
    fn apply_staged(&self) -> Result<(), String> {
        let round = {
            let mut staged = self.lock_staged();
            if let Some(why) = staged.failure() {
                return Err(why.to_string());
            }
            staged.start_round()
        };
        let Some(round) = round else { return Ok(()) };
        let applied = {
            let _gate = self.gate.read().unwrap_or_else(|e| e.into_inner());
            (&self.stories, &self.events).transaction(|(stories, events)| {
                for (tree, changes) in [(stories, &round.stories), (events, &round.events)] {
                    for (key, value) in changes {
                        match value {
                            Some(value) => tree.insert(key.as_slice(), value.clone())?,
                            None => tree.remove(key.as_slice())?,
                        };
                    }
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            })
        };
        let mut staged = self.lock_staged();
        match applied {
            Ok(()) => {
                staged.round_applied();
                Ok(())
            }
            Err(e) => {
                let why = match e {
                    TransactionError::Storage(e) => format!("applying committed changes: {e}"),
                    TransactionError::Abort(()) => "applying committed changes".to_string(),
                };
                staged.round_failed(why.clone());
                Err(why)
            }
        }
    }

    /// One flush of everything committed so far, plus the `fsync`s when configured.
    fn flush_durably(&self) -> Result<(), String> {
        self.apply_staged()?;
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

impl Sled {
    /// One of the trees.
    fn tree(&self, tree: Tree) -> &sled::Tree {
        match tree {
            Tree::Stories => &self.stories,
            Tree::Events => &self.events,
        }
    }

    /// Waits until every write up to `ticket` is durable (the flusher flushes).
    fn wait_durable(&self, ticket: u64) -> Result<(), StoreError> {
        self.commit
            .wait_durable(ticket)
            .map_err(|reason| StoreError::Flush { reason })
    }
}

impl Drop for Sled {
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

/// Checks the layout version of a store that holds records; the version.
fn check_schema<R: Reader<Fail = StoreError>>(stories: &R) -> Result<u32, StoreError> {
    let key = keys::SCHEMA;
    let describe = || keys::describe(key);
    match stories.read(key)? {
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
            Ok(version)
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
        if let Some(url) = &options.database_url {
            return Store::connect(dir, url, &options, purpose, true);
        }
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
        let schema = if fresh {
            SCHEMA_VERSION
        } else {
            check_schema(&stories)?
        };

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
            events: events.clone(),
            staged: std::sync::Mutex::new(Staged::default()),
            gate: std::sync::RwLock::new(()),
            syncer,
            mark: mark_file.map(std::sync::Mutex::new),
        });
        let flusher = durability.clone();
        let commit = GroupCommit::start(Box::new(move || flusher.flush_durably()))
            .map_err(|e| fail(OpenFailure::Io(format!("cannot start the flusher: {e}"))))?;
        let store = Store {
            inner: Arc::new(Inner {
                engine: Engine::Sled(Sled {
                    stories,
                    events,
                    commit,
                    durability,
                    salt,
                }),
                dir: dir.to_path_buf(),
                source_key: options.source_key,
                integrity: check,
                indexes: index::Indexes::new(dir, options.source_key.as_ref()),
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
                )
                .map_err(TransactError::flatten)?;
        } else if purpose == Purpose::Use && schema < SCHEMA_VERSION {
            store.raise_schema()?;
        }
        // No claims yet, so all of them are indexed (see `purge_expired_events`).
        if !fresh
            && purpose == Purpose::Use
            && store.raw_is_empty(Tree::Events)?
            && store
                .raw_get(Tree::Stories, keys::EVENTS_INDEXED)?
                .is_none()
        {
            store
                .transact(|tx| -> Result<(), StoreError> {
                    Ok(tx.put_setting(keys::EVENTS_INDEXED, Vec::new())?)
                })
                .map_err(TransactError::flatten)?;
        }
        if let Some(key) = &options.source_key {
            store.check_source_key(key).map_err(|e| match e {
                KeyCheck::Wrong => fail(OpenFailure::WrongSourceKey),
                KeyCheck::Store(e) => e,
            })?;
        }
        Ok(store)
    }

    /// Opens the store on the PostgreSQL database at `url`, running the migrations it lacks
    /// first when `migrate` (and the purpose is to use it). `dir` keeps what is not
    /// records (the console's history, the admin socket).
    fn connect(
        dir: &Path,
        url: &str,
        options: &StoreOptions,
        purpose: Purpose,
        migrate: bool,
    ) -> Result<Store, StoreError> {
        let pg = postgres::Pg::connect(url, options.pool_size)?;
        if purpose == Purpose::Use {
            // What is not records stays in the data directory (the admin socket, the
            // console's history): it must exist, as it would for the embedded store.
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                dir: dir.to_path_buf(),
                reason: OpenFailure::Io(e.to_string()),
            })?;
        }
        if migrate && purpose == Purpose::Use {
            pg.migrate()?;
        }
        let store = Store {
            inner: Arc::new(Inner {
                engine: Engine::Postgres(pg),
                dir: dir.to_path_buf(),
                source_key: options.source_key,
                integrity: IntegrityCheck::Engine,
                indexes: index::Indexes::new(dir, options.source_key.as_ref()),
            }),
        };
        if purpose == Purpose::Use {
            match store.raw_get(Tree::Stories, keys::SCHEMA)? {
                Some(_) => {
                    if check_schema(&store.base())? < SCHEMA_VERSION {
                        store.raise_schema()?;
                    }
                }
                None => store
                    .transact(|tx| -> Result<(), StoreError> {
                        tx.put_setting(keys::SCHEMA, SCHEMA_VERSION.to_be_bytes().to_vec())?;
                        tx.put_setting(keys::EVENTS_INDEXED, Vec::new())?;
                        Ok(())
                    })
                    .map_err(TransactError::flatten)?,
            }
            let sealed = store.raw_get(Tree::Stories, SOURCE_KEY_CHECK)?.is_some();
            if sealed && options.source_key.is_none() {
                return Err(StoreError::Open {
                    dir: PathBuf::from(postgres::describe_url(url)),
                    reason: OpenFailure::SourceKeyMissing,
                });
            }
            if let Some(key) = &options.source_key {
                store.check_source_key(key).map_err(|e| match e {
                    KeyCheck::Wrong => StoreError::Open {
                        dir: PathBuf::from(postgres::describe_url(url)),
                        reason: OpenFailure::WrongSourceKey,
                    },
                    KeyCheck::Store(e) => e,
                })?;
            }
        }
        Ok(store)
    }

    /// Runs the PostgreSQL migrations this binary carries that the database at `url`
    /// lacks (`storydesk migrate`); how many ran.
    pub fn migrate(url: &str) -> Result<usize, StoreError> {
        postgres::Pg::connect(url, 1)?.migrate()
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
        let found = self.raw_get(Tree::Stories, SOURCE_KEY_CHECK)?;
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
        Ok(self.raw_get(Tree::Stories, SOURCE_KEY_CHECK)?.is_some())
    }

    /// True when new source texts are sealed with a source key.
    pub fn seals_sources(&self) -> bool {
        self.inner.source_key.is_some()
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The sources the story's source index covers, for term scheme `tag`, each with
    /// whether it is blank. An index written for another scheme or key, or damaged, is
    /// removed here and covers none. The index is derived data kept in files beside the
    /// records (on either engine, in this process's data directory): see `index.rs`.
    pub fn source_index_covered(
        &self,
        story: StoryId,
        tag: u64,
    ) -> Result<Vec<(SourceStamp, bool)>, IndexError> {
        self.inner.indexes.covered(story, tag)
    }

    /// Adds sources' terms to the story's source index (a source it covers already is
    /// left as it is).
    pub fn source_index_add(
        &self,
        story: StoryId,
        tag: u64,
        sources: Vec<IndexedSource>,
    ) -> Result<(), IndexError> {
        self.inner.indexes.add(story, tag, sources)
    }

    /// Removes the story's source index (its sources were purged).
    pub fn source_index_clear(&self, story: StoryId) -> Result<(), IndexError> {
        self.inner.indexes.clear(story)
    }

    /// Looks terms up in the story's source index when it covers exactly the sources
    /// `expected`; `None` when it does not (it needs catching up first).
    pub fn source_index_look_up(
        &self,
        story: StoryId,
        tag: u64,
        expected: &[SourceStamp],
        postings: &[u64],
        facts: &[u64],
    ) -> Result<Option<IndexAnswers>, IndexError> {
        self.inner
            .indexes
            .look_up(story, tag, expected, postings, facts)
    }

    /// The bytes the story's source index takes on disk.
    pub fn source_index_bytes(&self, story: StoryId) -> u64 {
        self.inner.indexes.size(story)
    }

    /// Runs `f` as one atomic transaction and returns once its changes are durable.
    ///
    /// `f` runs once, on the writer lock, and must be short and pure (see the module documentation); it must
    /// not call `Store` methods. It returns `Err(e)` to abort: nothing is written and the
    /// result is [`TransactError::Aborted`]`(e)`. If a [`Tx`] call failed, nothing is written
    /// and the result is [`TransactError::Store`], whatever `f` returned.
    pub fn transact<T, E>(
        &self,
        f: impl Fn(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, TransactError<E>> {
        self.run(f, false)
    }

    /// A transaction for a record of storydesk's own whose loss in a crash costs at most a
    /// message posted again (where a message it posted went): committed and visible at
    /// once, its flush asked for and not waited for, so a channel's send queue goes on to
    /// its next post while the disk catches up. Never for anything a person is told is
    /// done. A transaction that reads such a record before it is durable is answered only
    /// once it is (the barrier in [`Store::run_then`]); reads outside transactions find it
    /// before it is applied only through [`Store::anchor_as_recorded`]; and the log is
    /// flushed in commit order, so any later durable write carries it too. On PostgreSQL
    /// the commit is durable anyway.
    pub fn record<T, E>(
        &self,
        f: impl Fn(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, TransactError<E>> {
        self.run_then(f, false, Wait::Asked)
    }

    /// Record a processed event id in a transaction of its own (durable, like every
    /// transaction). True when the key was new (or its claim had expired).
    pub fn remember_event(
        &self,
        key: &str,
        now: Timestamp,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        self.run(
            |tx| -> Result<bool, StoreError> { Ok(tx.claim_event(key, now, ttl_ms)?) },
            false,
        )
        .map_err(TransactError::flatten)
    }

    /// One transaction, returned once its changes are durable. `fresh`: the store is being
    /// created, and the transaction writes its first integrity record.
    ///
    /// The closure runs once, on the writer lock, against sled as seen through the changes
    /// staged and not yet applied (`staged.rs`); its writes are staged with a ticket, and
    /// the flusher applies them with everything else staged in one sled transaction.
    fn run<T, E>(
        &self,
        f: impl Fn(&mut Tx<'_>) -> Result<T, E>,
        fresh: bool,
    ) -> Result<T, TransactError<E>> {
        self.run_then(f, fresh, Wait::Durable)
    }

    /// [`Store::run`], waiting for the flush or only asking for it.
    fn run_then<T, E>(
        &self,
        f: impl Fn(&mut Tx<'_>) -> Result<T, E>,
        fresh: bool,
        wait: Wait,
    ) -> Result<T, TransactError<E>> {
        outside_transaction("transact").map_err(TransactError::Store)?;
        let inner = &*self.inner;
        let sled = match &inner.engine {
            Engine::Sled(sled) => sled,
            Engine::Postgres(pg) => return self.run_postgres(pg, f),
        };
        let (value, ticket) = {
            let mut staged = sled.durability.lock_staged();
            if let Some(reason) = staged.failure() {
                return Err(TransactError::Store(StoreError::Flush {
                    reason: format!("{reason}; the store takes no more changes until restarted"),
                }));
            }
            let mut tx = Tx::new(
                Base::Sled {
                    staged: &staged,
                    stories: &sled.stories,
                    events: &sled.events,
                },
                inner.source_key,
                Some(sled.salt),
            );
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
            let value = match (tx.failure, result) {
                (Some(TxFailure::Store(e)), _) => return Err(TransactError::Store(e)),
                (None, Err(e)) => return Err(TransactError::Aborted(e)),
                (None, Ok(value)) => value,
            };
            let writes = tx.writes.into_inner();
            if writes.is_empty() {
                // Wrote nothing, but may have read staged changes: answer once they are
                // durable too.
                if staged.is_idle() {
                    return Ok(value);
                }
                (value, sled.commit.barrier())
            } else {
                staged.stage(writes);
                // Taken after staging: every ticket up to the one a round reads is staged.
                (value, sled.commit.committed())
            }
        };
        match wait {
            Wait::Durable => sled.wait_durable(ticket).map_err(TransactError::Store)?,
            Wait::Asked => sled.commit.ask(ticket),
        }
        Ok(value)
    }

    /// One transaction on PostgreSQL: the closure runs on a transaction that locks what it
    /// reads and writes, and runs again when PostgreSQL breaks a deadlock by failing it
    /// (`postgres.rs`). Returns once the commit is durable.
    fn run_postgres<T, E>(
        &self,
        pg: &postgres::Pg,
        f: impl Fn(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, TransactError<E>> {
        let aborted = RefCell::new(None);
        let outcome = pg.retrying(|ptx| {
            let mut tx = Tx::new(Base::Postgres(&ptx), self.inner.source_key, None);
            let result = {
                let _scope = TransactionScope::enter();
                f(&mut tx)
            };
            let value = match (tx.failure, result) {
                (Some(_), _) if ptx.must_retry() => return Err(postgres::Attempt::Retry),
                (Some(TxFailure::Store(e)), _) => return Err(postgres::Attempt::Store(e)),
                (None, Err(e)) => {
                    *aborted.borrow_mut() = Some(e);
                    return Err(postgres::Attempt::Aborted);
                }
                (None, Ok(value)) => value,
            };
            let writes = tx.writes.into_inner();
            match ptx.commit(writes) {
                Ok(()) => {
                    pg.committed();
                    Ok(value)
                }
                Err(postgres::Commit::Retry) => Err(postgres::Attempt::Retry),
                Err(postgres::Commit::Failed(e)) => Err(postgres::Attempt::Store(e)),
            }
        });
        match outcome {
            Ok(value) => Ok(value),
            Err(postgres::Attempt::Aborted) => match aborted.into_inner() {
                Some(e) => Err(TransactError::Aborted(e)),
                None => Err(TransactError::Store(StoreError::InTransaction)),
            },
            Err(postgres::Attempt::Store(e)) => Err(TransactError::Store(e)),
            Err(postgres::Attempt::Retry) => Err(TransactError::Store(StoreError::Postgres {
                context: "committing a transaction".into(),
                reason: "it collided with other writers too often".into(),
            })),
        }
    }

    /// Flushes everything committed so far (with `fsync` when configured). Transactions
    /// flush on their own; this is for shutdown and for writes made outside them. On
    /// PostgreSQL every commit is durable already.
    pub fn flush(&self) -> Result<(), StoreError> {
        outside_transaction("flush")?;
        match &self.inner.engine {
            Engine::Sled(sled) => {
                let ticket = sled.commit.barrier();
                sled.wait_durable(ticket)
            }
            Engine::Postgres(_) => Ok(()),
        }
    }

    /// Read the layout version back from the store: proves it is open and answering (for
    /// `GET /readyz`). Fails when the database cannot be read, the record is damaged, or
    /// (sled) a round of changes could not be applied.
    pub fn ping(&self) -> Result<(), StoreError> {
        outside_transaction("ping")?;
        if let Engine::Sled(sled) = &self.inner.engine {
            if let Some(reason) = sled.durability.lock_staged().failure() {
                return Err(StoreError::Flush {
                    reason: reason.to_string(),
                });
            }
        }
        if let Engine::Postgres(pg) = &self.inner.engine {
            pg.ping()?;
        }
        check_schema(&self.base()).map(|_| ())
    }

    /// Counters since the store was opened.
    pub fn stats(&self) -> StoreStats {
        match &self.inner.engine {
            Engine::Sled(sled) => {
                let counts = sled.commit.counts();
                StoreStats {
                    transactions: counts.transactions,
                    flushes: counts.flushes,
                    durable_writes: counts.durable_writes,
                    waiting_for_flush: sled.commit.waiting(),
                    round_trips: 0,
                }
            }
            Engine::Postgres(pg) => {
                let commits = pg.commits();
                StoreStats {
                    transactions: commits,
                    flushes: commits,
                    durable_writes: commits,
                    waiting_for_flush: 0,
                    round_trips: pg.statements(),
                }
            }
        }
    }

    /// Which engine holds the records: `"sled"` or `"postgres"`.
    pub fn engine(&self) -> &'static str {
        match &self.inner.engine {
            Engine::Sled(_) => "sled",
            Engine::Postgres(_) => "postgres",
        }
    }

    /// The PostgreSQL database, without credentials (none for the embedded store).
    pub fn database(&self) -> Option<String> {
        match &self.inner.engine {
            Engine::Sled(_) => None,
            Engine::Postgres(pg) => Some(pg.name().to_string()),
        }
    }

    /// Tries to become the one process that runs the work called `name` (the Slack Socket
    /// Mode connection, the Discord gateway, the purges): `None` when another process holds
    /// it. On PostgreSQL the hold is an advisory lock on a connection of its own, released
    /// when the hold is dropped or this process dies; check [`Singleton::still_held`] before
    /// each round of the work. On the embedded store the data directory's lock already
    /// makes this process the only one, so the hold is always granted.
    pub fn singleton(&self, name: &str) -> Result<Option<Singleton>, StoreError> {
        outside_transaction("singleton")?;
        match &self.inner.engine {
            Engine::Sled(_) => Ok(Some(Singleton {
                name: name.to_string(),
                hold: None,
            })),
            Engine::Postgres(pg) => Ok(pg.try_hold(name)?.map(|hold| Singleton {
                name: name.to_string(),
                hold: Some(hold),
            })),
        }
    }

    /// The PostgreSQL pool: connections open and idle (none for the embedded store).
    pub fn pool_state(&self) -> Option<(u32, usize)> {
        match &self.inner.engine {
            Engine::Sled(_) => None,
            Engine::Postgres(pg) => Some(pg.pool_state()),
        }
    }

    /// True when reads are answered from this process's memory or disk without a network
    /// round trip (the embedded engine), so they may run on an async thread.
    pub fn reads_are_local(&self) -> bool {
        matches!(self.inner.engine, Engine::Sled(_))
    }

    /// The stories tree, for the `read_*` functions.
    fn base(&self) -> StoreTree<'_> {
        StoreTree {
            store: self,
            tree: Tree::Stories,
            staged: false,
        }
    }

    /// The value under `key`, as committed.
    fn raw_get(&self, tree: Tree, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        match &self.inner.engine {
            Engine::Sled(sled) => sled
                .tree(tree)
                .get(key)
                .map_err(|e| sled_error(format!("reading {}", keys::describe(key)), e)),
            Engine::Postgres(pg) => pg.get(tree, key),
        }
    }

    /// The records of `tree` with keys in `from..to` (no end when `to` is none), in key
    /// order, at most `limit`.
    fn raw_scan(
        &self,
        tree: Tree,
        from: &[u8],
        to: Option<&[u8]>,
        limit: Option<usize>,
        what: &str,
    ) -> Result<Vec<(IVec, IVec)>, StoreError> {
        match &self.inner.engine {
            Engine::Sled(sled) => {
                let t = sled.tree(tree);
                let range: Box<dyn Iterator<Item = sled::Result<(IVec, IVec)>>> = match to {
                    Some(to) => Box::new(t.range(from.to_vec()..to.to_vec())),
                    None => Box::new(t.range(from.to_vec()..)),
                };
                range
                    .take(limit.unwrap_or(usize::MAX))
                    .map(|item| item.map_err(|e| sled_error(format!("listing {what}"), e)))
                    .collect()
            }
            Engine::Postgres(pg) => pg.scan(tree, from, to, limit),
        }
    }

    /// The records of `tree` whose keys start with `prefix`, in key order.
    fn raw_scan_prefix(
        &self,
        tree: Tree,
        prefix: &[u8],
        what: &str,
    ) -> Result<Vec<(IVec, IVec)>, StoreError> {
        let end = keys::prefix_end(prefix);
        self.raw_scan(tree, prefix, end.as_deref(), None, what)
    }

    /// True when `tree` holds no record.
    fn raw_is_empty(&self, tree: Tree) -> Result<bool, StoreError> {
        match &self.inner.engine {
            Engine::Sled(sled) => Ok(sled.tree(tree).is_empty()),
            Engine::Postgres(pg) => pg.is_empty(tree),
        }
    }

    /// A story.
    pub fn story(&self, id: StoryId) -> Result<Option<Story>, StoreError> {
        outside_transaction("story")?;
        read_story(&self.base(), id)
    }

    /// Every stored story's number, ascending.
    pub fn story_ids(&self) -> Result<Vec<StoryId>, StoreError> {
        outside_transaction("story_ids")?;
        let mut ids = Vec::new();
        for (key, _) in self.raw_scan_prefix(Tree::Stories, keys::story_prefix(), "stories")? {
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
        read_revision(&self.base(), story, section, number)
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
        read_source(&self.base(), story, number, self.inner.source_key.as_ref())
    }

    /// A story's audit log, oldest first.
    pub fn audit(&self, story: StoryId) -> Result<Vec<AuditEntry>, StoreError> {
        outside_transaction("audit")?;
        let prefix = keys::audit_prefix(story);
        self.scan(&prefix, "the audit log", |key, bytes| {
            records::decode_audit(&|| keys::describe(key), bytes).map(AuditEntry::from)
        })
    }

    /// Writes this build's layout version ([`SCHEMA_VERSION`]) over the older one the caller
    /// found.
    fn raise_schema(&self) -> Result<(), StoreError> {
        self.transact(|tx| -> Result<(), StoreError> {
            tx.put_setting(keys::SCHEMA, SCHEMA_VERSION.to_be_bytes().to_vec())?;
            Ok(())
        })
        .map_err(TransactError::flatten)
    }

    /// A channel's stories (empty when the channel has none): every story started in it,
    /// oldest first, and who works on which. Reads one key per story; a command that only
    /// needs the story it acts on asks [`Store::active_story`] and [`Store::in_channel`].
    pub fn channel(&self, channel: &ChannelKey) -> Result<ChannelStories, StoreError> {
        outside_transaction("channel")?;
        let mut found = read_channel(&self.base(), channel)?;
        let prefix = keys::channel_story_prefix(channel)?;
        for (key, _) in self.raw_scan_prefix(Tree::Stories, &prefix, "a channel's stories")? {
            let story =
                keys::story_of_channel_story(&prefix, &key).ok_or_else(|| StoreError::Corrupt {
                    key: keys::describe(&key),
                    reason: "not a story number".into(),
                })?;
            found.stories.push(story);
        }
        // Stories listed in the record by older stores are older than any with a key.
        found.stories.sort_unstable();
        found.stories.dedup();
        Ok(found)
    }

    /// The story `person`'s commands act on in `channel` when they name none: the one they
    /// chose (or started last), or else the channel's latest. Reads the channel's record and
    /// at most one story key, however many stories the channel has.
    pub fn active_story(
        &self,
        channel: &ChannelKey,
        person: &Person,
    ) -> Result<Option<StoryId>, StoreError> {
        outside_transaction("active_story")?;
        let record = read_channel(&self.base(), channel)?;
        if let Some(&chosen) = record.people.get(&person.id) {
            if record.stories.contains(&chosen) || self.has_channel_story(channel, chosen)? {
                return Ok(Some(chosen));
            }
        }
        Ok(record.active)
    }

    /// True when `story` was started in `channel`.
    pub fn in_channel(&self, channel: &ChannelKey, story: StoryId) -> Result<bool, StoreError> {
        outside_transaction("in_channel")?;
        if self.has_channel_story(channel, story)? {
            return Ok(true);
        }
        Ok(read_channel(&self.base(), channel)?
            .stories
            .contains(&story))
    }

    /// True when `story` has its key among `channel`'s stories.
    fn has_channel_story(&self, channel: &ChannelKey, story: StoryId) -> Result<bool, StoreError> {
        let key = keys::channel_story(channel, story)?;
        Ok(self.raw_get(Tree::Stories, &key)?.is_some())
    }

    /// The latest assisted draft of a section, if one was ever asked for.
    pub fn suggestion(
        &self,
        story: StoryId,
        section: &str,
    ) -> Result<Option<Suggestion>, StoreError> {
        outside_transaction("suggestion")?;
        read_suggestion(&self.base(), story, section, self.inner.source_key.as_ref())
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
        read_conflict(&self.base(), story, section, person)
    }

    /// The revision of a section a person last saw, if the desk ever showed it to them.
    pub fn seen(
        &self,
        story: StoryId,
        section: &str,
        person: &str,
    ) -> Result<Option<u32>, StoreError> {
        outside_transaction("seen")?;
        read_seen(&self.base(), story, section, person)
    }

    /// An anchor an adapter stored with [`Tx::put_anchor`].
    pub fn anchor(&self, name: &str) -> Result<Option<String>, StoreError> {
        outside_transaction("anchor")?;
        read_anchor(&self.base(), name)
    }

    /// An anchor as the ones who record anchors see it: through the changes staged and not
    /// yet applied, so a record made with [`Store::record`] is found at once, before it is
    /// durable (a channel's send queue, looking for the board or the thread its last job
    /// posted, must not post another). Not for anything shown to a person.
    pub fn anchor_as_recorded(&self, name: &str) -> Result<Option<String>, StoreError> {
        outside_transaction("anchor")?;
        read_anchor(
            &StoreTree {
                staged: true,
                ..self.base()
            },
            name,
        )
    }

    /// True when the event was claimed and its claim has not expired at `now` (the same
    /// clock the claim was made with). A quick check before doing work; the claim that
    /// counts is [`Tx::claim_event`].
    pub fn event_seen(&self, key: &str, now: Timestamp) -> Result<bool, StoreError> {
        outside_transaction("event_seen")?;
        let k = keys::event(key);
        let describe = || keys::describe_event(&k);
        match self.raw_get(Tree::Events, &k)? {
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
        let indexed = self.raw_get(Tree::Stories, keys::EVENTS_INDEXED)?.is_some();
        if !indexed {
            return self.purge_and_index_events(now);
        }
        let end = keys::event_expiry_after(now.0);
        let mut purged = 0;
        loop {
            // A batch of due index entries at a time, each batch one transaction (so the
            // integrity record moves with it), never holding sled's lock for long.
            let batch = self
                .raw_scan(
                    Tree::Events,
                    keys::EVENT_EXPIRY_PREFIX,
                    Some(&end),
                    Some(PURGE_BATCH),
                    "expired events",
                )?
                .into_iter()
                .map(|(key, _)| key)
                .collect::<Vec<IVec>>();
            if batch.is_empty() {
                return Ok(purged);
            }
            purged += self
                .run(
                    |tx| -> Result<usize, StoreError> { Ok(tx.expire_claims(&batch, now)?) },
                    false,
                )
                .map_err(TransactError::flatten)?;
        }
    }

    /// The purge of a store whose claims are not all indexed: one pass over every claim,
    /// removing the expired ones and indexing the rest, then the mark that all are indexed.
    fn purge_and_index_events(&self, now: Timestamp) -> Result<usize, StoreError> {
        let mut claims = Vec::new();
        for (key, _) in self.raw_scan(Tree::Events, &[], None, None, "processed events")? {
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
                )
                .map_err(TransactError::flatten)?;
        }
        self.run(
            |tx| -> Result<(), StoreError> {
                Ok(tx.put_setting(keys::EVENTS_INDEXED, Vec::new())?)
            },
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
        for (key, value) in self.raw_scan_prefix(Tree::Stories, prefix, what)? {
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
        read_source_digest(&self.base(), story, number, self.inner.source_key.as_ref())
    }
}

/// How a transaction failed, kept inside the [`Tx`].
enum TxFailure {
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

/// Reads by key, inside or outside a transaction, so decoding is written once.
trait Reader {
    /// The error of a read: a [`StoreError`] outside, a [`TxFailure`] inside.
    type Fail: From<StoreError>;
    /// The value under `key`.
    fn read(&self, key: &[u8]) -> Result<Option<IVec>, Self::Fail>;
}

/// A tree of the store as committed, outside any transaction.
struct StoreTree<'s> {
    /// The store.
    store: &'s Store,
    /// Which tree.
    tree: Tree,
    /// Seen through the changes staged and not yet applied as well
    /// ([`Store::anchor_as_recorded`]).
    staged: bool,
}

impl Reader for StoreTree<'_> {
    type Fail = StoreError;
    fn read(&self, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        if let (true, Engine::Sled(sled)) = (self.staged, &self.store.inner.engine) {
            // A key in neither the open changes nor the round being applied is in sled
            // already, or was never staged.
            if let Some(value) = sled.durability.lock_staged().get(self.tree, key) {
                return Ok(value.clone());
            }
        }
        self.store.raw_get(self.tree, key)
    }
}

impl Reader for sled::Tree {
    type Fail = StoreError;
    fn read(&self, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        self.get(key)
            .map_err(|e| sled_error(format!("reading {}", keys::describe(key)), e))
    }
}

/// One tree as a transaction sees it: its own writes, then the staged changes, then sled.
struct TxTree<'t, 'a> {
    /// The transaction.
    tx: &'t Tx<'a>,
    /// Which tree.
    tree: Tree,
}

impl Reader for TxTree<'_, '_> {
    type Fail = TxFailure;
    fn read(&self, key: &[u8]) -> Result<Option<IVec>, TxFailure> {
        self.tx.get(self.tree, key)
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

/// Reads a channel's record: who works on which story, the latest story, and the stories
/// listed in it by stores written before each story had its own key
/// ([`keys::channel_story`]).
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
    /// What the transaction reads below its own writes.
    base: Base<'a>,
    /// This transaction's writes, staged (sled) or written (PostgreSQL) when it commits.
    writes: RefCell<Changes>,
    /// The first failure, which decides the transaction's outcome.
    failure: Option<TxFailure>,
    /// The key new source texts are sealed with.
    source_key: Option<SourceKey>,
    /// The salt of the integrity record's hashes; none where there is no integrity record
    /// (PostgreSQL keeps its own checksums and log).
    salt: Option<integrity::Salt>,
    /// What this run of the closure changed, applied to the integrity record at its end.
    delta: RefCell<Delta>,
}

/// What a transaction reads below its own writes.
enum Base<'a> {
    /// sled: the changes staged and not yet applied (the writer lock), then the trees.
    Sled {
        /// Committed, not yet in sled.
        staged: &'a Staged,
        /// The `stories` tree, as applied.
        stories: &'a sled::Tree,
        /// The `events` tree, as applied.
        events: &'a sled::Tree,
    },
    /// PostgreSQL: the open serializable transaction.
    Postgres(&'a postgres::PgTx<'a>),
}

impl<'a> Tx<'a> {
    /// A transaction over `base`, with nothing written yet.
    fn new(base: Base<'a>, source_key: Option<SourceKey>, salt: Option<integrity::Salt>) -> Self {
        Tx {
            base,
            writes: RefCell::new(Changes::default()),
            failure: None,
            source_key,
            salt,
            delta: RefCell::new(Delta::default()),
        }
    }

    /// One tree, for the `read_*` functions.
    fn on(&self, tree: Tree) -> TxTree<'_, 'a> {
        TxTree { tx: self, tree }
    }

    /// The value under `key` as this transaction sees it.
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<IVec>, TxFailure> {
        if let Some(value) = self.writes.borrow().tree(tree).get(key) {
            return Ok(value.clone());
        }
        match &self.base {
            Base::Sled {
                staged,
                stories,
                events,
            } => {
                if let Some(value) = staged.get(tree, key) {
                    return Ok(value.clone());
                }
                let sled = match tree {
                    Tree::Stories => stories,
                    Tree::Events => events,
                };
                sled.get(key).map_err(|e| {
                    TxFailure::Store(sled_error(format!("reading {}", keys::describe(key)), e))
                })
            }
            Base::Postgres(ptx) => Ok(ptx.get(tree, key)?),
        }
    }

    /// The value under `key`, unless another transaction holds it: on PostgreSQL the row
    /// is read `FOR UPDATE SKIP LOCKED`, and `None` means absent or held elsewhere; on sled
    /// transactions take turns, so this is [`Tx::get`].
    fn get_unless_locked(&self, tree: Tree, key: &[u8]) -> Result<Option<IVec>, TxFailure> {
        if let Some(value) = self.writes.borrow().tree(tree).get(key) {
            return Ok(value.clone());
        }
        match &self.base {
            Base::Postgres(ptx) => Ok(ptx.get_unless_locked(tree, key)?),
            Base::Sled { .. } => self.get(tree, key),
        }
    }

    /// Writes `value` under `key`, keeping the integrity delta.
    fn put(
        &self,
        tree: Tree,
        key: &[u8],
        value: IVec,
        _what: impl FnOnce() -> String,
    ) -> Result<(), TxFailure> {
        if let Some(salt) = &self.salt {
            let old = self.get(tree, key)?;
            self.delta
                .borrow_mut()
                .change(salt, tree, key, old.as_deref(), Some(&value));
        }
        self.writes
            .borrow_mut()
            .tree_mut(tree)
            .insert(key.to_vec(), Some(value));
        Ok(())
    }

    /// Removes `key`, keeping the integrity delta; the old value.
    fn take(
        &self,
        tree: Tree,
        key: &[u8],
        _what: impl FnOnce() -> String,
    ) -> Result<Option<IVec>, TxFailure> {
        let old = self.get(tree, key)?;
        if old.is_some() {
            if let Some(salt) = &self.salt {
                self.delta
                    .borrow_mut()
                    .change(salt, tree, key, old.as_deref(), None);
            }
            self.writes
                .borrow_mut()
                .tree_mut(tree)
                .insert(key.to_vec(), None);
        }
        Ok(old)
    }

    /// Moves the integrity record by what this run changed (nothing when it wrote
    /// nothing). `fresh`: the store is being created and has no record yet.
    fn commit_integrity(&self, fresh: bool) -> Result<(), TxFailure> {
        let delta = self.delta.borrow();
        let Some(salt) = self.salt else { return Ok(()) };
        if delta.is_empty() {
            return Ok(());
        }
        let found = self.get(Tree::Stories, integrity::RECORD)?;
        let mut tally = match found {
            Some(bytes) => Tally::decode(&bytes)?,
            None if fresh => Tally {
                generation: 0,
                salt,
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
        // Not a counted record: written without moving the delta.
        self.writes
            .borrow_mut()
            .stories
            .insert(integrity::RECORD.to_vec(), Some(tally.encode()?.into()));
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
                    let found = tx.get(Tree::Events, key)?;
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
                let found = tx.get(Tree::Events, key)?;
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
        if self.get(Tree::Stories, key)?.is_some() {
            return Err(StoreError::AlreadyExists {
                key: keys::describe(key),
            }
            .into());
        }
        Ok(())
    }

    /// A story, as this transaction sees it.
    pub fn story(&mut self, id: StoryId) -> Result<Option<Story>, TxError> {
        self.step(|tx| read_story(&tx.on(Tree::Stories), id))
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
            let next = match tx.get(Tree::Stories, key)? {
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
        self.step(|tx| read_revision(&tx.on(Tree::Stories), story, section, number))
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
        self.step(|tx| read_source(&tx.on(Tree::Stories), story, number, tx.source_key.as_ref()))
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

    /// Records that `story` was started in `channel` by `person`: one key of its own (so a
    /// story costs the same in a channel of ten stories or ten thousand), and the channel's
    /// record makes it the channel's latest and `person`'s active story.
    pub fn start_in_channel(
        &mut self,
        channel: &ChannelKey,
        story: StoryId,
        person: &Person,
    ) -> Result<(), TxError> {
        self.step(|tx| {
            tx.write(&keys::channel_story(channel, story)?, Vec::new())?;
            tx.update_channel(channel, |record| {
                record.active = Some(story);
                record.people.insert(person.id.clone(), story);
            })
        })
    }

    /// Makes `story` (one of `channel`'s) the one `person`'s commands act on there.
    pub fn choose_in_channel(
        &mut self,
        channel: &ChannelKey,
        person: &Person,
        story: StoryId,
    ) -> Result<(), TxError> {
        self.step(|tx| {
            tx.update_channel(channel, |record| {
                record.people.insert(person.id.clone(), story);
            })
        })
    }

    /// Changes `channel`'s record. Stories an older store listed in the record move to keys
    /// of their own on the way, once, so the record stops growing with the channel.
    fn update_channel(
        &self,
        channel: &ChannelKey,
        change: impl FnOnce(&mut ChannelStories),
    ) -> Result<(), TxFailure> {
        let mut record = read_channel(&self.on(Tree::Stories), channel)?;
        for story in std::mem::take(&mut record.stories) {
            self.write(&keys::channel_story(channel, story)?, Vec::new())?;
        }
        change(&mut record);
        let key = keys::channel(channel)?;
        self.write(
            &key,
            records::encode("channel", &ChannelRecordV1::from(&record))?,
        )
    }

    /// The latest assisted draft of a section, as this transaction sees it.
    pub fn suggestion(
        &mut self,
        story: StoryId,
        section: &str,
    ) -> Result<Option<Suggestion>, TxError> {
        self.step(|tx| {
            read_suggestion(
                &tx.on(Tree::Stories),
                story,
                section,
                tx.source_key.as_ref(),
            )
        })
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
        self.step(|tx| read_conflict(&tx.on(Tree::Stories), story, section, person))
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
            Ok(tx
                .take(Tree::Stories, &key, || {
                    format!("deleting {}", keys::describe(&key))
                })?
                .is_some())
        })
    }

    /// The revision of a section a person last saw.
    pub fn seen(
        &mut self,
        story: StoryId,
        section: &str,
        person: &str,
    ) -> Result<Option<u32>, TxError> {
        self.step(|tx| read_seen(&tx.on(Tree::Stories), story, section, person))
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
        self.step(|tx| read_anchor(&tx.on(Tree::Stories), name))
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
            let seen = tx.get(Tree::Events, &k)?;
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
            Ok(tx.get(Tree::Stories, &key)?.is_some())
        })
    }
}

#[cfg(test)]
impl Store {
    /// The embedded engine, for tests that look at sled itself.
    fn sled(&self) -> &Sled {
        match &self.inner.engine {
            Engine::Sled(sled) => sled,
            Engine::Postgres(_) => panic!("a sled test opened a PostgreSQL store"),
        }
    }
}

#[cfg(test)]
mod suite;
#[cfg(test)]
mod tests;
