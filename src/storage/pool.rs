//! Connections: opening them on either engine, the pool, and the blocking bridge every request's
//! database work crosses. Round trips are the cost of a small request on PostgreSQL, so this
//! module spends as few as it can: a connection returned a moment ago is not pinged again, a
//! read transaction starts in one statement, and a read of one statement runs without one.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::{
    AnsiTransactionManager, Connection, InstrumentationEvent, SimpleConnection, TransactionManager,
};
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use prometheus::IntCounter;

use super::notify::{self, CallerFactsEpoch};
use super::DbConnection;
use crate::config::DatabaseUrl;
use crate::error::{Error, Result};

/// Set on every PostgreSQL connection the service opens. No JIT compilation: the service's
/// statements are short or, for summaries and rankings, one grouped scan, and PostgreSQL's
/// cost estimate of the summary's facts statement (its latest-value probes) crosses
/// `jit_above_cost`, so each summary spent 30–50 ms compiling a 15 ms statement and a ranking
/// about 1 s (issue 14, `EXPLAIN ANALYZE` at national size). `scripts/bench.py` gives pgbench
/// the same setting (`POSTGRES_SESSION` there), so both sides run the same plans.
pub const POSTGRES_SESSION: &str = "SET jit = off";

/// Opens connections to the engine `DATABASE_URL` names. The derive's own `establish` would
/// try each engine in turn, and SQLite accepts any string as a file name.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn establish(&self) -> ConnectionResult<DbConnection> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                conn.batch_execute(POSTGRES_SESSION).map_err(|e| {
                    ConnectionError::BadConnection(format!("{POSTGRES_SESSION} failed: {e}"))
                })?;
                Ok(DbConnection::Postgres(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                // The first connections to a new file turn it to WAL, which takes the file's
                // exclusive lock without waiting for the busy timeout: a process starting beside
                // another may see "database is locked" here, and tries again for a while.
                let started = Instant::now();
                loop {
                    match Self::establish_sqlite(path) {
                        Err(error)
                            if error.to_string().contains("database is locked")
                                && started.elapsed() < Duration::from_secs(10) =>
                        {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        other => return other,
                    }
                }
            }
        }
    }

    fn establish_sqlite(path: &std::path::Path) -> ConnectionResult<DbConnection> {
        let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
        // busy_timeout first, so switching to WAL waits rather than fails; NORMAL in
        // WAL mode keeps every acknowledged commit through a process kill.
        for pragma in [
            "PRAGMA busy_timeout = 5000",
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
        ] {
            conn.batch_execute(pragma)
                .map_err(|e| ConnectionError::BadConnection(format!("{pragma} failed: {e}")))?;
        }
        Ok(DbConnection::Sqlite(conn))
    }
}

thread_local! {
    /// Statements started on this thread (its connection's instrumentation counts them): how a
    /// request's own statements are told apart from other requests' on a shared pool.
    static STATEMENTS_ON_THIS_THREAD: Cell<u64> = const { Cell::new(0) };
}

/// Statements started so far on this thread's pooled connections.
pub fn statements_on_this_thread() -> u64 {
    STATEMENTS_ON_THIS_THREAD.with(Cell::get)
}

/// A connection in the pool, with what the pool knows about it.
pub struct Pooled {
    conn: DbConnection,
    /// When it was last handed back: a connection that worked a moment ago is not pinged.
    returned_at: Instant,
    /// Its last request failed as if the database had gone away: pinged before its next use.
    suspect: bool,
}

/// A connection that came back within this long is trusted without a `SELECT 1` at check-out
/// (under load, that is every one: the ping was one of a GET's six round trips). One idle
/// longer, or suspect, is pinged, and replaced when the ping fails. The price: after a database
/// restart, each connection used in the last second fails one request with a 503 (retryable)
/// before it is replaced — at most the pool's size per instance.
const TRUSTED_AFTER_USE: Duration = Duration::from_secs(1);

struct PoolManager {
    manager: ConnectionManager,
    statements: IntCounter,
}

impl r2d2::ManageConnection for PoolManager {
    type Connection = Pooled;
    type Error = ConnectionError;

    fn connect(&self) -> std::result::Result<Pooled, ConnectionError> {
        let mut conn = self.manager.establish()?;
        let statements = self.statements.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = event {
                statements.inc();
                STATEMENTS_ON_THIS_THREAD.with(|count| count.set(count.get() + 1));
            }
        });
        Ok(Pooled {
            conn,
            returned_at: Instant::now(),
            suspect: false,
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> std::result::Result<(), ConnectionError> {
        if !pooled.suspect && pooled.returned_at.elapsed() < TRUSTED_AFTER_USE {
            return Ok(());
        }
        pooled
            .conn
            .batch_execute("SELECT 1")
            .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
        pooled.suspect = false;
        Ok(())
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        // Called as it is handed back: the moment it last worked.
        pooled.returned_at = Instant::now();
        // A connection handed back inside a transaction (a panic mid-request) is not reused.
        let status =
            <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(
                &mut pooled.conn,
            );
        !matches!(status.transaction_depth(), Ok(None))
    }
}

/// The pool and the blocking bridge: diesel is synchronous, so every database call runs on
/// actix's blocking threads, never on the async workers.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<PoolManager>,
    engine: &'static str,
    caller_facts: Arc<CallerFactsEpoch>,
}

impl Database {
    /// Opens the pool; `statements` counts every statement its connections start. On
    /// PostgreSQL it also listens for changes of the facts callers are resolved from, which any
    /// instance (or an operator's `psql`) may make (`notify`).
    pub fn connect(
        url: &DatabaseUrl,
        pool_size: u32,
        statements: IntCounter,
    ) -> anyhow::Result<Self> {
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            // Queue for a connection on a bound we chose, then answer 503 rather than hang.
            .connection_timeout(Duration::from_secs(10))
            .build(PoolManager {
                manager: ConnectionManager::new(url.clone()),
                statements,
            })
            .map_err(|e| anyhow::anyhow!("opening the pool for {}: {e}", url.redacted()))?;
        let caller_facts = Arc::new(CallerFactsEpoch::default());
        if let DatabaseUrl::Postgres(url) = url {
            notify::listen_for_caller_facts(url.clone(), Arc::downgrade(&caller_facts))?;
        }
        Ok(Self {
            pool,
            engine: url.engine(),
            caller_facts,
        })
    }

    pub fn engine(&self) -> &'static str {
        self.engine
    }

    pub fn pool_state(&self) -> r2d2::State {
        self.pool.state()
    }

    /// Whether the facts a cached caller was resolved from may still be current.
    pub fn caller_facts_epoch(&self) -> &Arc<CallerFactsEpoch> {
        &self.caller_facts
    }

    /// Runs `work` on a blocking thread with a pooled connection, in the caller's span.
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let caller_facts = self.caller_facts.clone();
        let span = tracing::Span::current();
        actix_web::rt::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut pooled = pool.get()?;
            notify::take_local_caller_facts_change();
            let result = work(&mut pooled.conn);
            // Changed here (and committed, or rolled back): this instance forgets its cached
            // callers before it answers, so its own next request sees the change.
            if notify::take_local_caller_facts_change() {
                caller_facts.changed();
            }
            if let Err(Error::Unavailable(_)) = result {
                pooled.suspect = true;
            }
            result
        })
        .await
        .map_err(|e| Error::Internal(format!("database task failed: {e}")))?
    }

    /// Like `run`, inside one write transaction: all of it is stored, or none.
    pub async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, work)).await
    }

    /// Like `run`, inside one read-only transaction, so a response is one consistent snapshot
    /// (SQLite: a deferred transaction reads one snapshot; PostgreSQL: REPEATABLE READ, begun
    /// in one statement).
    pub async fn read<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    {
        self.run(move |conn| read_transaction(conn, work)).await
    }
}

/// A transaction that will write. On SQLite it starts with `BEGIN IMMEDIATE`: a deferred
/// transaction that reads first fails with SQLITE_BUSY, busy timeout or not, when another
/// writer commits before it writes.
pub fn write_transaction<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    transaction(conn, "BEGIN", "BEGIN IMMEDIATE", work)
}

/// A read-only transaction: one snapshot for every statement of `work`.
pub fn read_transaction<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    transaction(
        conn,
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        "BEGIN",
        work,
    )
}

/// `work` between the engine's `BEGIN` statement and a `COMMIT` (a `ROLLBACK` when it fails).
fn transaction<T>(
    conn: &mut DbConnection,
    postgres_begin: &str,
    sqlite_begin: &str,
    work: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    type Manager = <DbConnection as Connection>::TransactionManager;
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, sqlite_begin)?
        }
        DbConnection::Postgres(pg) => {
            AnsiTransactionManager::begin_transaction_sql(pg, postgres_begin)?
        }
    }
    match work(conn) {
        Ok(value) => match Manager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                let _ = Manager::rollback_transaction(conn);
                Err(commit_error.into())
            }
        },
        Err(error) => {
            // A rollback that fails too (the connection died mid-transaction) leaves the
            // connection broken, and the pool drops it (`has_broken`); the request's own error
            // (a 503 for a closed connection) is the one to answer with, not the rollback's.
            if let Err(rollback) = Manager::rollback_transaction(conn) {
                tracing::warn!(%rollback, "rolling back after an error failed too");
            }
            Err(error)
        }
    }
}
