//! SQLite storage through Diesel: the connection pool and its pragmas,
//! embedded migrations, the generated schema, row types and the queries.
//!
//! Query functions take `&mut SqliteConnection` and return
//! `diesel::QueryResult` (or [`tokens::StoreError`] where secrets are
//! opened); handlers call them inside `web::block`, never on the async
//! executor. SQLite-only SQL stays here (pragmas) and in `migrations/`.

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

use std::path::Path;
use std::time::Duration;

use diesel::RunQueryDsl as _;
use diesel::connection::SimpleConnection as _;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness as _, embed_migrations};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::crypto::Cipher;

/// The migrations under `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// A connection, as the query functions take it.
pub type Conn = SqliteConnection;
/// What a query returns.
pub use diesel::result::{Error as QueryError, QueryResult};

/// The shared pool of SQLite connections.
pub type DbPool = Pool<ConnectionManager<SqliteConnection>>;
/// A connection checked out of [`DbPool`].
pub type DbConnection = PooledConnection<ConnectionManager<SqliteConnection>>;

/// Connections in the pool. SQLite serialises writers anyway; a few
/// connections let readers proceed beside one writer (WAL).
const POOL_SIZE: u32 = 8;

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
    #[error("cannot open the database {url}: {source}")]
    Pool {
        /// `DATABASE_URL`.
        url: String,
        /// The pool's error.
        source: diesel::r2d2::PoolError,
    },
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migration(String),
}

/// Sets the pragmas every connection needs, the busy timeout first (the
/// pool opens connections side by side, and switching a new file to WAL
/// takes a lock the others must wait for): incremental vacuuming (set
/// before the first table exists, so a new file starts with it), write-ahead
/// logging so readers do not block the writer, a cap on what the WAL keeps
/// on disk after a checkpoint, foreign keys (SQLite leaves them off by
/// default, which would ignore `ON DELETE CASCADE`), a busy timeout instead
/// of immediate `SQLITE_BUSY`, and `synchronous=NORMAL`, which is durable
/// enough under WAL.
///
/// The busy timeout only helps statements that have to wait for the write
/// lock; a deferred transaction that read first and then writes fails at
/// once instead. So every transaction that writes starts with
/// `immediate_transaction`.
#[derive(Debug, Clone, Copy)]
struct Pragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(
            "PRAGMA busy_timeout = 5000;
             PRAGMA auto_vacuum = INCREMENTAL;
             PRAGMA journal_mode = WAL;
             PRAGMA journal_size_limit = 16777216;
             PRAGMA foreign_keys = ON;
             PRAGMA synchronous = NORMAL;",
        )
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Opens the pool on `database_url` (a file path), creating its folder.
pub fn build_pool(database_url: &str) -> Result<DbPool, DbError> {
    if let Some(dir) = Path::new(database_url)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| DbError::Folder {
            path: dir.display().to_string(),
            source,
        })?;
    }
    Pool::builder()
        .max_size(POOL_SIZE)
        // Open connections on demand: start-up stays fast, tests stay light.
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(Pragmas))
        .build(ConnectionManager::new(database_url))
        .map_err(|source| DbError::Pool {
            url: database_url.to_owned(),
            source,
        })
}

/// Brings the schema up to date.
pub fn run_migrations(pool: &DbPool) -> Result<(), DbError> {
    let mut conn = pool.get().map_err(|source| DbError::Pool {
        url: "(pool)".to_owned(),
        source,
    })?;
    conn.run_pending_migrations(MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    if maintenance::enable_incremental_vacuum(&mut conn)
        .map_err(|e| DbError::Migration(format!("cannot enable incremental vacuum: {e}")))?
    {
        tracing::info!("database switched to incremental vacuuming");
    }
    Ok(())
}

/// Opens the database at start-up: the pool on `database_url`, the schema
/// brought up to date, and secrets sealed by an earlier release sealed
/// again, bound to their rows.
pub async fn open(database_url: &str, cipher: &Cipher) -> anyhow::Result<DbPool> {
    let pool = build_pool(database_url)?;
    run_migrations(&pool)?;
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
        diesel::sql_query("SELECT 1").execute(&mut conn)?;
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

/// Runs `f` in a write transaction: the write lock is taken first
/// (`BEGIN IMMEDIATE`), so a concurrent writer waits for the busy timeout
/// instead of failing the transaction half-way. Rolled back when `f` fails.
pub fn write_transaction<T, E, F>(conn: &mut Conn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Conn) -> Result<T, E>,
    E: From<QueryError>,
{
    conn.immediate_transaction(f)
}

/// Runs `f` with a pooled connection on the blocking thread pool, so that
/// Diesel never stalls the async executor. Pool and query failures come back
/// as `anyhow::Error`; a caller that must tell failures apart returns its
/// own `Result` inside `Ok`.
pub async fn call<T, E, F>(pool: &DbPool, f: F) -> anyhow::Result<T>
where
    F: FnOnce(&mut SqliteConnection) -> Result<T, E> + Send + 'static,
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
