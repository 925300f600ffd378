//! Storage through Diesel, on SQLite or PostgreSQL: the connection pool,
//! embedded migrations, the generated schema, row types and the queries.
//!
//! Query functions take `&mut Conn` (either backend) and return
//! `QueryResult` (or [`connections::StoreError`] where secrets are opened);
//! use cases run them through [`call`] when they only read and [`write`]
//! when they write, never on the async executor.
//! Backend-specific SQL stays in [`backend`] (connection set-up,
//! transactions), [`maintenance`] (SQLite's vacuum) and the migrations.
//!
//! A lookup by a unique key ends in `get_result`, not `first`: Diesel
//! sends `first`'s `LIMIT 1` as a bound parameter, and SQLite re-prepares
//! a statement whose LIMIT is bound each time it is bound again, which
//! wastes the prepared-statement cache.

pub mod backend;
pub mod batch;
pub mod connections;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod login_session;
pub mod maintenance;
pub mod models;
pub mod pending_logins;
pub mod reseal;
pub mod schema;
pub mod session_states;
pub mod sessions;
pub mod token_hooks;
pub mod users;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use diesel::RunQueryDsl as _;
use diesel::r2d2::{Pool, PooledConnection};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

pub use backend::{AnyConnection, Database, TransactionError, write_transaction};
/// What a query returns.
pub use diesel::result::{Error as QueryError, QueryResult};

use crate::crypto::Cipher;

/// A connection, as the query functions take it.
pub type Conn = AnyConnection;
/// A connection checked out of [`DbPool`].
pub type DbConnection = PooledConnection<backend::Manager>;

/// How the pool connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections at most. SQLite serialises writers anyway, so a few let
    /// readers proceed beside one writer; on PostgreSQL, every process
    /// holds up to this many, which the server's `max_connections` (or a
    /// pooler in front of it) must allow.
    pub size: u32,
    /// How long a request waits for a connection before it fails.
    pub connect_timeout: Duration,
    /// PostgreSQL: the longest a statement may run.
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            size: 8,
            connect_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

/// The shared pool of connections, and where they go.
#[derive(Clone)]
pub struct DbPool {
    pool: Pool<backend::Manager>,
    database: Arc<Database>,
    /// SQLite's group commit (see [`batch`]); `None` on PostgreSQL.
    writer: Option<batch::Writer>,
}

impl std::fmt::Debug for DbPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbPool")
            .field("database", &self.database.describe())
            .finish_non_exhaustive()
    }
}

impl DbPool {
    /// Where the data lives.
    pub fn database(&self) -> &Database {
        &self.database
    }
}

impl Deref for DbPool {
    type Target = Pool<backend::Manager>;

    fn deref(&self) -> &Self::Target {
        &self.pool
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The folder of the database file cannot be created.
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        /// The folder.
        path: String,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// No connection could be opened.
    #[error("cannot open the database {database}")]
    Pool {
        /// Where, without a password.
        database: String,
        /// The pool's error.
        source: diesel::r2d2::PoolError,
    },
    /// The thread that commits SQLite's writes could not start.
    #[error("cannot start the database writer thread: {0}")]
    Writer(std::io::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migration(String),
}

/// Opens the pool on `database`, creating a SQLite file's folder.
pub fn build_pool(database: &Database, settings: &PoolSettings) -> Result<DbPool, DbError> {
    if let Database::Sqlite(path) = database
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| DbError::Folder {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let manager = backend::Manager::new(database.clone(), settings.statement_timeout);
    let writer =
        match database {
            Database::Sqlite(_) => Some(batch::Writer::start(manager.clone()).map_err(
                |source| DbError::Folder {
                    path: database.describe(),
                    source,
                },
            )?),
            Database::Postgres(_) => None,
        };
    let pool = Pool::builder()
        .max_size(settings.size)
        // Open connections on demand: start-up stays fast, tests stay light.
        .min_idle(Some(1))
        // A server connection can drop while idle, so PostgreSQL's are
        // checked before use; a SQLite file handle cannot, and checking it
        // would parse a `SELECT 1` on every query a request makes.
        .test_on_check_out(!matches!(database, Database::Sqlite(_)))
        .connection_timeout(settings.connect_timeout)
        .error_handler(Box::new(LogConnectError))
        .build(manager)
        .map_err(|source| DbError::Pool {
            database: database.describe(),
            source,
        })?;
    Ok(DbPool {
        pool,
        database: Arc::new(database.clone()),
        writer,
    })
}

/// Logs a failed connection attempt once, as a warning: the pool keeps
/// trying, and a request that needs a connection fails on its own.
#[derive(Debug, Clone, Copy)]
struct LogConnectError;

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for LogConnectError {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        tracing::warn!(error = %error, "cannot connect to the database");
    }
}

/// Brings the schema up to date.
pub fn run_migrations(pool: &DbPool) -> Result<(), DbError> {
    let mut conn = pool.get().map_err(|source| DbError::Pool {
        database: pool.database.describe(),
        source,
    })?;
    backend::run_migrations(&mut conn).map_err(DbError::Migration)?;
    if maintenance::enable_incremental_vacuum(&mut conn)
        .map_err(|e| DbError::Migration(format!("cannot enable incremental vacuum: {e}")))?
    {
        tracing::info!("database switched to incremental vacuuming");
    }
    Ok(())
}

/// Opens the database at start-up: the pool, the schema brought up to
/// date, and secrets sealed by an earlier release sealed again, bound to
/// their rows.
pub async fn open(
    database: &Database,
    settings: &PoolSettings,
    cipher: &Cipher,
) -> anyhow::Result<DbPool> {
    let pool = build_pool(database, settings)?;
    let migrated = pool.clone();
    tokio::task::spawn_blocking(move || run_migrations(&migrated)).await??;
    let resealed = call(&pool, {
        let cipher = cipher.clone();
        move |conn| reseal::reseal_legacy(conn, &cipher)
    })
    .await
    .map_err(|e| e.context("cannot seal stored secrets bound to their rows"))?;
    if resealed != reseal::Resealed::default() {
        tracing::info!(
            tokens = resealed.tokens,
            sessions = resealed.sessions,
            "sealed stored secrets again, bound to their rows"
        );
    }
    Ok(pool)
}

/// Checks that the database answers `SELECT 1` within `timeout` (waiting
/// for a pooled connection included), for health checks.
pub async fn ping(pool: &DbPool, timeout: Duration) -> anyhow::Result<()> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn = pool.get_timeout(timeout)?;
        diesel::sql_query("SELECT 1").execute(&mut *conn)?;
        Ok(())
    })
    .await?
}

/// The current time as stored: UTC, whole seconds (so that stored values
/// compare correctly as text).
pub fn now() -> PrimitiveDateTime {
    to_db_time(OffsetDateTime::now_utc())
}

/// Converts a point in time to the stored form (UTC, whole seconds).
pub fn to_db_time(at: OffsetDateTime) -> PrimitiveDateTime {
    let utc = at.to_offset(UtcOffset::UTC);
    let utc = utc.replace_nanosecond(0).unwrap_or(utc);
    PrimitiveDateTime::new(utc.date(), utc.time())
}

/// Reads a stored time back (it is always UTC).
pub fn from_db_time(at: PrimitiveDateTime) -> OffsetDateTime {
    at.assume_utc()
}

/// Runs `f` with a pooled connection on the blocking thread pool, so that
/// Diesel never stalls the async executor. Pool and query failures come back
/// as `anyhow::Error`; a caller that must tell failures apart returns its
/// own `Result` inside `Ok`.
pub async fn call<T, E, F>(pool: &DbPool, f: F) -> anyhow::Result<T>
where
    F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<T> {
        let mut conn = pool.get()?;
        Ok(f(&mut conn)?)
    })
    .await?
}

/// Runs `f`, which writes: on SQLite in a savepoint of the writer's next
/// group commit ([`batch`]), on PostgreSQL as [`call`] does. On SQLite the
/// process so has one writer, which shares each commit among the writes
/// waiting for it and never waits for the file lock behind another thread
/// of the process (SQLite's busy handler waits by sleeping). `f` must be
/// atomic by itself on PostgreSQL: one statement, or a
/// [`write_transaction`]. (Reads that may write, at most once a minute,
/// such as loading a session, stay on [`call`].)
pub async fn write<T, E, F>(pool: &DbPool, f: F) -> anyhow::Result<T>
where
    F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<QueryError> + std::error::Error + Send + Sync + 'static,
{
    match &pool.writer {
        Some(writer) => writer.write(f).await,
        None => call(pool, f).await,
    }
}
