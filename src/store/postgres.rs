//! The PostgreSQL engine: the same keys and the same versioned records as the embedded
//! store, one row per record in `storydesk_records (tree, key, value)`.
//!
//! A transaction is a PostgreSQL transaction (READ COMMITTED) under strict two-phase
//! locking of the records it touches: a read locks the row it finds (`SELECT … FOR
//! UPDATE`: PostgreSQL waits for a writer holding it and returns what that writer
//! committed), or, when the record is absent, takes the record's advisory lock and looks
//! again; a write to a record not read first takes its advisory lock at commit. Locks are
//! held until the transaction ends, so the transactions of every replica are serializable,
//! as the embedded store's are within one process: a retried event's claim, read absent by
//! two replicas at once, is taken by one and found by the other. A deadlock (PostgreSQL
//! detects it and fails one transaction) runs the closure again on a fresh transaction.
//! Writers of different records never wait for each other. (SERIALIZABLE was tried first:
//! every `/story new` reads and writes the story counter, and under SERIALIZABLE concurrent
//! writers kept failing and retrying; at 10 writers, throughput fell to 10 a second.)
//!
//! The writes are applied at the end, one statement for upserts and one for removals per
//! tree, then `COMMIT`, which returns once PostgreSQL has made the commit durable (its
//! write-ahead log), so a reply sent after it never announces a change a crash could lose.
//!
//! The store is synchronous (the desk runs on blocking threads); sqlx is asynchronous. The
//! engine keeps a small runtime of its own and runs each statement there, waiting for the
//! result on the caller's thread: this works from any thread, inside another runtime or not.

use std::borrow::Cow;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::future::BoxFuture;
use sled::IVec;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Row, Transaction};

use super::integrity::Tree;
use super::staged::Changes;
use super::StoreError;

/// The schema, in order. A migration that ran is never edited: add a new one.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "records",
    include_str!("../../migrations/0001_records.sql"),
)];

/// How many times a transaction runs again after a serialization failure before giving up.
const RETRIES: usize = 32;

/// The migrations built into this binary.
#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> BoxFuture<'static, Result<Vec<Migration>, Box<dyn std::error::Error + Send + Sync>>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, name, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*name),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The tree's number in the table.
fn tree_id(tree: Tree) -> i16 {
    match tree {
        Tree::Stories => 0,
        Tree::Events => 1,
    }
}

/// A PostgreSQL error, in the store's words (never the statement's parameters).
fn pg_error(context: &str, e: sqlx::Error) -> StoreError {
    StoreError::Postgres {
        context: context.to_string(),
        reason: e.to_string(),
    }
}

/// The advisory lock of a record: FNV-1a over its tree and key. Stable across builds and
/// processes (replicas of different versions must agree); a collision only makes two
/// records share a lock. Singleton work uses the two-key form, whose space does not
/// overlap this one.
fn record_lock(tree: i16, key: &[u8]) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in std::iter::once(tree as u8).chain(key.iter().copied()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash as i64
}

/// True when PostgreSQL asks for the transaction to be tried again.
fn must_retry(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if matches!(db.code().as_deref(), Some("40001") | Some("40P01")))
}

/// A connection pool and the runtime its statements run on.
pub(super) struct Pg {
    /// Runs the pool's work; statements are sent here and waited for. Always `Some` until
    /// dropped.
    runtime: Option<tokio::runtime::Runtime>,
    /// The pool.
    pool: PgPool,
    /// The database, without credentials, for messages.
    name: String,
    /// Transactions committed since the store was opened.
    commits: AtomicU64,
    /// Statements sent (each a round trip to the server).
    statements: AtomicU64,
}

impl std::fmt::Debug for Pg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pg").field("database", &self.name).finish()
    }
}

/// The database named in `url`, without user or password.
pub(crate) fn describe_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("localhost");
            let db = u.path().trim_start_matches('/');
            match u.port() {
                Some(port) => format!("postgres://{host}:{port}/{db}"),
                None => format!("postgres://{host}/{db}"),
            }
        }
        Err(_) => "a PostgreSQL database (its URL does not parse)".to_string(),
    }
}

impl Pg {
    /// Connects to `url` with at most `connections` connections, without migrating.
    pub(super) fn connect(url: &str, connections: u32) -> Result<Pg, StoreError> {
        let name = describe_url(url);
        // The parser's message may quote the URL, password included: not repeated.
        let options: PgConnectOptions =
            url.parse().map_err(|_: sqlx::Error| StoreError::Postgres {
                context: format!("reading the database URL for {name}"),
                reason: "it is not a URL of the form postgres://USER:PASSWORD@HOST:PORT/DATABASE"
                    .into(),
            })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("storydesk-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Postgres {
                context: "starting the database runtime".into(),
                reason: e.to_string(),
            })?;
        let connect = PgPoolOptions::new()
            .max_connections(connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options);
        let pool = run_on(runtime.handle(), connect)
            .and_then(|r| r.map_err(|e| pg_error(&format!("connecting to {name}"), e)))?;
        Ok(Pg {
            runtime: Some(runtime),
            pool,
            name,
            commits: AtomicU64::new(0),
            statements: AtomicU64::new(0),
        })
    }

    /// The database, without credentials.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// Runs the migrations this binary carries that the database lacks; how many ran.
    pub(super) fn migrate(&self) -> Result<usize, StoreError> {
        let pool = self.pool.clone();
        self.run(async move {
            let migrator = Migrator::new(Embedded).await?;
            let before = applied(&pool).await;
            migrator.run(&pool).await?;
            let after = applied(&pool).await;
            Ok::<usize, sqlx::migrate::MigrateError>(after.saturating_sub(before))
        })?
        .map_err(|e| StoreError::Postgres {
            context: "migrating the database".into(),
            reason: e.to_string(),
        })
    }

    /// Runs `future` on the engine's runtime and waits for it on this thread.
    fn run<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        match &self.runtime {
            Some(runtime) => run_on(runtime.handle(), future),
            None => Err(closed()),
        }
    }

    /// Drops a transaction's connection on the engine's runtime (returning it to the pool
    /// needs one).
    fn release(&self, tx: Transaction<'static, Postgres>) {
        if let Some(runtime) = &self.runtime {
            runtime.spawn(async move { drop(tx) });
        }
    }

    /// The value under `key`, outside any transaction.
    pub(super) fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        let pool = self.pool.clone();
        let key = key.to_vec();
        self.run(async move {
            sqlx::query("SELECT value FROM storydesk_records WHERE tree = $1 AND key = $2")
                .bind(tree_id(tree))
                .bind(key)
                .fetch_optional(&pool)
                .await
        })?
        .map(|row| row.map(|r| IVec::from(r.get::<Vec<u8>, _>(0))))
        .map_err(|e| pg_error("reading a record", e))
    }

    /// Every record of `tree` with a key in `from..to` (`to`: none for no end), in key
    /// order, at most `limit`.
    pub(super) fn scan(
        &self,
        tree: Tree,
        from: &[u8],
        to: Option<&[u8]>,
        limit: Option<usize>,
    ) -> Result<Vec<(IVec, IVec)>, StoreError> {
        let pool = self.pool.clone();
        let (from, to) = (from.to_vec(), to.map(<[u8]>::to_vec));
        let limit = limit.map_or(i64::MAX, |n| n as i64);
        self.run(async move {
            sqlx::query(
                "SELECT key, value FROM storydesk_records WHERE tree = $1 AND key >= $2 \
                 AND ($3::bytea IS NULL OR key < $3) ORDER BY key LIMIT $4",
            )
            .bind(tree_id(tree))
            .bind(from)
            .bind(to)
            .bind(limit)
            .fetch_all(&pool)
            .await
        })?
        .map(|rows| {
            rows.into_iter()
                .map(|r| {
                    (
                        IVec::from(r.get::<Vec<u8>, _>(0)),
                        IVec::from(r.get::<Vec<u8>, _>(1)),
                    )
                })
                .collect()
        })
        .map_err(|e| pg_error("listing records", e))
    }

    /// Counts a committed transaction.
    pub(super) fn committed(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(crate::telemetry::STORE_TRANSACTIONS).increment(1);
    }

    /// Statements sent since the store was opened (round trips to the server).
    pub(super) fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Transactions committed since the store was opened.
    pub(super) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Every record, stories first, each tree in key order, read by one statement (one
    /// snapshot): for a backup.
    pub(super) fn all_records(&self) -> Result<Vec<(Tree, IVec, IVec)>, StoreError> {
        let pool = self.pool.clone();
        self.run(async move {
            sqlx::query("SELECT tree, key, value FROM storydesk_records ORDER BY tree, key")
                .fetch_all(&pool)
                .await
        })?
        .map_err(|e| pg_error("reading for a backup", e))?
        .into_iter()
        .map(|r| {
            let tree = match r.get::<i16, _>(0) {
                0 => Tree::Stories,
                1 => Tree::Events,
                n => {
                    return Err(StoreError::Corrupt {
                        key: format!("a record of tree {n}"),
                        reason: "no such tree".into(),
                    })
                }
            };
            Ok((
                tree,
                IVec::from(r.get::<Vec<u8>, _>(1)),
                IVec::from(r.get::<Vec<u8>, _>(2)),
            ))
        })
        .collect()
    }

    /// True when the table holds no record of `tree`.
    pub(super) fn is_empty(&self, tree: Tree) -> Result<bool, StoreError> {
        Ok(self.scan(tree, &[], None, Some(1))?.is_empty())
    }

    /// Proves the database answers.
    pub(super) fn ping(&self) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        self.run(async move { sqlx::query("SELECT 1").execute(&pool).await })?
            .map(|_| ())
            .map_err(|e| pg_error("asking the database", e))
    }

    /// Pool gauges: connections open and idle.
    pub(super) fn pool_state(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Starts a serializable transaction.
    pub(super) fn begin(&self) -> Result<PgTx<'_>, StoreError> {
        let pool = self.pool.clone();
        let tx = self
            .run(async move { pool.begin().await })?
            .map_err(|e| pg_error("starting a transaction", e))?;
        Ok(PgTx {
            pg: self,
            tx: std::cell::RefCell::new(Some(tx)),
            retry: std::cell::Cell::new(false),
            locked: std::cell::RefCell::new(std::collections::HashSet::new()),
        })
    }

    /// Writes `changes` in one transaction of their own (a restore, a copy).
    pub(super) fn write_all(&self, changes: Changes) -> Result<(), StoreError> {
        let tx = self.begin()?;
        tx.commit(changes).map_err(|failure| match failure {
            Commit::Retry => StoreError::Postgres {
                context: "writing records".into(),
                reason: "another writer changed them at the same time".into(),
            },
            Commit::Failed(e) => e,
        })
    }

    /// Runs transactions until one commits or fails for good: `attempt` runs the closure
    /// on a fresh transaction and commits it.
    pub(super) fn retrying<T>(
        &self,
        mut attempt: impl FnMut(PgTx<'_>) -> Result<T, Attempt>,
    ) -> Result<T, Attempt> {
        let mut tries = 0;
        loop {
            let tx = self.begin().map_err(Attempt::Store)?;
            match attempt(tx) {
                Err(Attempt::Retry) if tries < RETRIES => {
                    tries += 1;
                    // Back off a little, more each time, so two replicas do not collide
                    // in step.
                    std::thread::sleep(Duration::from_micros(200 * tries as u64));
                }
                Err(Attempt::Retry) => {
                    return Err(Attempt::Store(StoreError::Postgres {
                        context: "committing a transaction".into(),
                        reason: format!("it collided with other writers {RETRIES} times"),
                    }))
                }
                other => return other,
            }
        }
    }
}

impl Pg {
    /// Tries to take the advisory lock of `name` on a connection of its own, held until the
    /// returned hold is dropped or its connection dies; `None` when another process holds it.
    pub(super) fn try_hold(&self, name: &str) -> Result<Option<PgHold>, StoreError> {
        let pool = self.pool.clone();
        let key = format!("storydesk:{name}");
        let taken = self.run(async move {
            let mut conn = pool.acquire().await?;
            let row = sqlx::query("SELECT pg_try_advisory_lock(21316, hashtext($1))")
                .bind(key)
                .fetch_one(&mut *conn)
                .await?;
            // Held: the lock lives with this connection, which must never go back to the
            // pool (another user of it would hold the lock without knowing), so it is
            // detached. Not held: the connection holds nothing and goes back to the pool,
            // so a replica that keeps asking does not open a connection each time.
            Ok::<_, sqlx::Error>(row.get::<bool, _>(0).then(|| conn.detach()))
        })?;
        match taken {
            Ok(Some(conn)) => match &self.runtime {
                Some(runtime) => Ok(Some(PgHold {
                    runtime: runtime.handle().clone(),
                    conn: std::sync::Mutex::new(Some(conn)),
                })),
                None => Err(closed()),
            },
            Ok(None) => Ok(None),
            Err(e) => Err(pg_error("taking a lock", e)),
        }
    }
}

/// Closes a detached connection on `runtime`.
fn close_on(runtime: &tokio::runtime::Handle, conn: sqlx::PgConnection) {
    runtime.spawn(async move {
        use sqlx::Connection;
        let _ = conn.close().await;
    });
}

/// An advisory lock held on a connection of its own.
pub(crate) struct PgHold {
    /// The engine's runtime.
    runtime: tokio::runtime::Handle,
    /// The connection holding the lock; none once it was found dead.
    conn: std::sync::Mutex<Option<sqlx::PgConnection>>,
}

impl PgHold {
    /// True while the lock's connection answers (the lock is held as long as it lives).
    pub(super) fn still_held(&self) -> bool {
        let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let Some(mut conn) = guard.take() else {
            return false;
        };
        let answered = run_on(&self.runtime, async move {
            let ok = tokio::time::timeout(
                Duration::from_secs(3),
                sqlx::query("SELECT 1").execute(&mut conn),
            )
            .await
            .map(|r| r.is_ok())
            .unwrap_or(false);
            (ok, conn)
        });
        match answered {
            Ok((true, conn)) => {
                *guard = Some(conn);
                true
            }
            Ok((false, conn)) => {
                close_on(&self.runtime, conn);
                false
            }
            Err(_) => false,
        }
    }
}

impl Drop for PgHold {
    fn drop(&mut self) {
        // Closing the connection releases the lock.
        let conn = self
            .conn
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(conn) = conn {
            close_on(&self.runtime, conn);
        }
    }
}

/// How one attempt at a transaction ended, when it did not commit.
pub(super) enum Attempt {
    /// PostgreSQL asks for it to run again.
    Retry,
    /// It failed for good.
    Store(StoreError),
    /// The closure aborted it (its error is kept by the caller).
    Aborted,
}

/// Why a commit did not happen.
pub(super) enum Commit {
    /// Run the transaction again.
    Retry,
    /// Failed for good.
    Failed(StoreError),
}

/// An open serializable transaction.
pub(super) struct PgTx<'p> {
    /// The engine.
    pg: &'p Pg,
    /// The transaction; taken out while a statement runs on the engine's runtime.
    tx: std::cell::RefCell<Option<Transaction<'static, Postgres>>>,
    /// A statement failed with a deadlock or a serialization failure: run again.
    retry: std::cell::Cell<bool>,
    /// The records this transaction holds a lock on (`record_lock`), by tree and key.
    locked: std::cell::RefCell<std::collections::HashSet<(i16, Vec<u8>)>>,
}

impl PgTx<'_> {
    /// Runs one statement on the transaction.
    fn with<T: Send + 'static>(
        &self,
        context: &'static str,
        statement: impl for<'c> FnOnce(
                &'c mut Transaction<'static, Postgres>,
            ) -> BoxFuture<'c, Result<T, sqlx::Error>>
            + Send
            + 'static,
    ) -> Result<T, StoreError> {
        let mut tx = self
            .tx
            .borrow_mut()
            .take()
            .ok_or_else(|| StoreError::Postgres {
                context: context.into(),
                reason: "the transaction was already closed".into(),
            })?;
        let (tx, result) = self.pg.run(async move {
            let result = statement(&mut tx).await;
            (tx, result)
        })?;
        *self.tx.borrow_mut() = Some(tx);
        result.map_err(|e| {
            if must_retry(&e) {
                self.retry.set(true);
            }
            pg_error(context, e)
        })
    }

    /// True when a statement failed because PostgreSQL asks for the transaction again.
    pub(super) fn must_retry(&self) -> bool {
        self.retry.get()
    }

    /// The value under `key`, locked until the transaction ends: the row with `FOR
    /// UPDATE` when it exists (PostgreSQL waits for a writer holding it and returns the
    /// value it committed), else the key's advisory lock, then a second look (a writer may
    /// have created it meanwhile).
    pub(super) fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        let id = tree_id(tree);
        let held = self.locked.borrow().contains(&(id, key.to_vec()));
        let found = self.select(id, key, !held)?;
        if held || found.is_some() {
            self.locked.borrow_mut().insert((id, key.to_vec()));
            return Ok(found);
        }
        self.lock_keys(vec![record_lock(id, key)])?;
        self.locked.borrow_mut().insert((id, key.to_vec()));
        self.select(id, key, true)
    }

    /// One record, locked, unless another transaction holds its row: `None` when it is
    /// absent or held (`FOR UPDATE SKIP LOCKED`), so replicas taking due jobs pass over the
    /// ones another is firing instead of queueing behind it.
    pub(super) fn get_unless_locked(
        &self,
        tree: Tree,
        key: &[u8],
    ) -> Result<Option<IVec>, StoreError> {
        let id = tree_id(tree);
        if self.locked.borrow().contains(&(id, key.to_vec())) {
            return self.select(id, key, false);
        }
        let owned = key.to_vec();
        let row = self.with("reading a record", move |tx| {
            Box::pin(async move {
                sqlx::query(
                    "SELECT value FROM storydesk_records WHERE tree = $1 AND key = $2 \
                     FOR UPDATE SKIP LOCKED",
                )
                .bind(id)
                .bind(owned)
                .fetch_optional(&mut **tx)
                .await
            })
        })?;
        let found = row.map(|r| IVec::from(r.get::<Vec<u8>, _>(0)));
        if found.is_some() {
            self.locked.borrow_mut().insert((id, key.to_vec()));
        }
        Ok(found)
    }

    /// One record, with its row locked when `lock`.
    fn select(&self, id: i16, key: &[u8], lock: bool) -> Result<Option<IVec>, StoreError> {
        let key = key.to_vec();
        let statement = if lock {
            "SELECT value FROM storydesk_records WHERE tree = $1 AND key = $2 FOR UPDATE"
        } else {
            "SELECT value FROM storydesk_records WHERE tree = $1 AND key = $2"
        };
        let row = self.with("reading a record", move |tx| {
            Box::pin(async move {
                sqlx::query(statement)
                    .bind(id)
                    .bind(key)
                    .fetch_optional(&mut **tx)
                    .await
            })
        })?;
        Ok(row.map(|r| IVec::from(r.get::<Vec<u8>, _>(0))))
    }

    /// Takes the advisory locks `locks` (in ascending order, so two transactions taking
    /// the same ones do not deadlock), held until the transaction ends.
    fn lock_keys(&self, mut locks: Vec<i64>) -> Result<(), StoreError> {
        if locks.is_empty() {
            return Ok(());
        }
        locks.sort_unstable();
        locks.dedup();
        self.with("locking records", move |tx| {
            Box::pin(async move {
                sqlx::query(
                    "SELECT count(pg_advisory_xact_lock(h)) \
                     FROM (SELECT unnest($1::bigint[]) AS h ORDER BY 1) AS l",
                )
                .bind(locks)
                .execute(&mut **tx)
                .await
            })
        })
        .map(|_| ())
    }

    /// Applies `changes` and commits.
    pub(super) fn commit(self, changes: Changes) -> Result<(), Commit> {
        let failed = |this: &Self, e: StoreError| {
            if this.retry.get() {
                Commit::Retry
            } else {
                Commit::Failed(e)
            }
        };
        // Keys written without being read first: lock them as a read would have.
        let blind: Vec<i64> = {
            let locked = self.locked.borrow();
            [
                (Tree::Stories, &changes.stories),
                (Tree::Events, &changes.events),
            ]
            .into_iter()
            .flat_map(|(tree, writes)| {
                let id = tree_id(tree);
                writes
                    .keys()
                    .filter(|key| !locked.contains(&(id, key.to_vec())))
                    .map(move |key| record_lock(id, key))
                    .collect::<Vec<_>>()
            })
            .collect()
        };
        self.lock_keys(blind).map_err(|e| failed(&self, e))?;
        for (tree, writes) in [
            (Tree::Stories, changes.stories),
            (Tree::Events, changes.events),
        ] {
            if writes.is_empty() {
                continue;
            }
            let (mut put_keys, mut put_values, mut gone) = (Vec::new(), Vec::new(), Vec::new());
            for (key, value) in writes {
                match value {
                    Some(value) => {
                        put_keys.push(key);
                        put_values.push(value.to_vec());
                    }
                    None => gone.push(key),
                }
            }
            let id = tree_id(tree);
            if !put_keys.is_empty() {
                self.with("writing records", move |tx| {
                    Box::pin(async move {
                        sqlx::query(
                            "INSERT INTO storydesk_records (tree, key, value) \
                             SELECT $1, k, v FROM UNNEST($2::bytea[], $3::bytea[]) AS t(k, v) \
                             ON CONFLICT (tree, key) DO UPDATE SET value = EXCLUDED.value",
                        )
                        .bind(id)
                        .bind(put_keys)
                        .bind(put_values)
                        .execute(&mut **tx)
                        .await
                    })
                })
                .map_err(|e| failed(&self, e))?;
            }
            if !gone.is_empty() {
                self.with("removing records", move |tx| {
                    Box::pin(async move {
                        sqlx::query(
                            "DELETE FROM storydesk_records WHERE tree = $1 AND key = ANY($2::bytea[])",
                        )
                        .bind(id)
                        .bind(gone)
                        .execute(&mut **tx)
                        .await
                    })
                })
                .map_err(|e| failed(&self, e))?;
            }
        }
        let tx = self.tx.borrow_mut().take().ok_or_else(|| {
            Commit::Failed(StoreError::Postgres {
                context: "committing a transaction".into(),
                reason: "the transaction was already closed".into(),
            })
        })?;
        match self.pg.run(async move { tx.commit().await }) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) if must_retry(&e) => Err(Commit::Retry),
            Ok(Err(e)) => Err(Commit::Failed(pg_error("committing a transaction", e))),
            Err(e) => Err(Commit::Failed(e)),
        }
    }
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        // Not committed: rolled back when the connection goes back to the pool.
        if let Some(tx) = self.tx.get_mut().take() {
            self.pg.release(tx);
        }
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        // Without waiting: the store may be dropped on a thread of another runtime, where
        // blocking is not allowed.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The error of a statement sent after the engine closed.
fn closed() -> StoreError {
    StoreError::Postgres {
        context: "using the database".into(),
        reason: "the store is closing".into(),
    }
}

/// How many migrations the database has run (0 before the first).
async fn applied(pool: &PgPool) -> usize {
    sqlx::query("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .map_or(0, |row| row.get::<i64, _>(0).max(0) as usize)
}

/// Runs `future` on `runtime`, waiting on this thread (any thread: inside another runtime
/// or not).
fn run_on<T: Send + 'static>(
    runtime: &tokio::runtime::Handle,
    future: impl Future<Output = T> + Send + 'static,
) -> Result<T, StoreError> {
    let (send, receive) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = send.send(future.await);
    });
    receive.recv().map_err(|_| StoreError::Postgres {
        context: "waiting for the database".into(),
        reason: "the statement's task ended without an answer".into(),
    })
}
