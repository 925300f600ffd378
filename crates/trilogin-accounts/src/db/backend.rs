//! The two backends behind one connection type: SQLite (the embedded
//! default, one file) and PostgreSQL (several app processes on one
//! database).
//!
//! [`AnyConnection`] is Diesel's `MultiConnection` over both, so every query
//! is written once in Diesel's DSL. What differs stays here and in the
//! migrations: how a connection is opened and set up, how a write
//! transaction begins, and which migrations run. The few statements the
//! common subset cannot express (upserts) run on the inner connection
//! through [`on_each_backend!`](crate::on_each_backend), with the same DSL
//! in each arm.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection as _, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, R2D2Connection as _};
use diesel::result::{DatabaseErrorKind, Error as QueryError, QueryResult};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection as _, RunQueryDsl as _};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness as _, embed_migrations};

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL.
    Postgresql(PgConnection),
    /// SQLite.
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the inner connection of `$conn`, once
/// per backend: for the statements Diesel's multi-backend subset does not
/// cover (`ON CONFLICT`), written once and type-checked for each backend.
#[macro_export]
#[doc(hidden)]
macro_rules! on_each_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::backend::AnyConnection::Postgresql($c) => $body,
            $crate::db::backend::AnyConnection::Sqlite($c) => $body,
        }
    };
}

/// The SQLite migrations, compiled into the binary.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// The PostgreSQL migrations: the same schema.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl Database {
    /// The backend's name, as `/healthz` reports it.
    pub fn backend(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgresql",
        }
    }

    /// Where, for logs and errors: the file, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(url) => match url::Url::parse(url) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("***"));
                    }
                    parsed.to_string()
                }
                Err(_) => "(a PostgreSQL URL)".to_owned(),
            },
        }
    }
}

/// How connections are opened and set up.
#[derive(Debug, Clone)]
pub struct Manager {
    database: Database,
    statement_timeout: Duration,
}

impl Manager {
    /// Connections to `database`; on PostgreSQL, no statement runs longer
    /// than `statement_timeout`.
    pub fn new(database: Database, statement_timeout: Duration) -> Self {
        Self {
            database,
            statement_timeout,
        }
    }

    /// Where the connections go.
    pub fn database(&self) -> &Database {
        &self.database
    }
}

/// The set-up of every SQLite connection, the busy timeout first (the pool
/// opens connections side by side, and switching a new file to WAL takes a
/// lock the others must wait for): incremental vacuuming (set before the
/// first table exists, so a new file starts with it), write-ahead logging
/// so readers do not block the writer, a cap on what the WAL keeps on disk
/// after a checkpoint, foreign keys (SQLite leaves them off by default,
/// which would ignore `ON DELETE CASCADE`), and `synchronous=NORMAL`, which
/// is durable enough under WAL. Each connection caches at most 256 KiB of
/// pages (SQLite's default is 2 MiB): a request reads a few rows by key,
/// the pages it misses are in the operating system's cache, and the pool's
/// connections would otherwise hold the file's recent pages several times
/// over (docs/PERFORMANCE.md).
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000;
     PRAGMA auto_vacuum = INCREMENTAL;
     PRAGMA journal_mode = WAL;
     PRAGMA journal_size_limit = 16777216;
     PRAGMA foreign_keys = ON;
     PRAGMA synchronous = NORMAL;
     PRAGMA cache_size = -256;";

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        match &self.database {
            Database::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
            Database::Postgres(url) => {
                let mut conn = PgConnection::establish(url).map_err(|e| {
                    // libpq writes hints on further lines: one line reads better in a log.
                    let one_line = e
                        .to_string()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                        one_line,
                    ))
                })?;
                // Stored times are UTC; so is `now()` in defaults.
                conn.batch_execute(&format!(
                    "SET statement_timeout = {}; SET TIME ZONE 'UTC';",
                    self.statement_timeout.as_millis()
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(AnyConnection::Postgresql(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

/// A lock key of this app's schema changes, so that processes starting at
/// once on one PostgreSQL database migrate one after the other.
const MIGRATION_LOCK: i64 = 0x7472_696c_6f67;

/// Brings the schema up to date with the backend's own migrations.
///
/// On PostgreSQL every pending migration runs inside one transaction that
/// holds a transaction-level advisory lock: a pooler in transaction mode
/// (PgBouncer) keeps the whole of it on one server connection, and the lock
/// is released at commit or when the process dies, never left behind.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<(), String> {
    type Failure = Box<dyn std::error::Error + Send + Sync>;
    match conn {
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        AnyConnection::Postgresql(c) => c
            .transaction(|c| -> Result<(), Failure> {
                diesel::sql_query(format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                    .execute(c)?;
                c.run_pending_migrations(POSTGRES_MIGRATIONS)?;
                Ok(())
            })
            .map_err(|e| e.to_string()),
    }
}

/// An error a write transaction can end with, and the database error
/// inside it, if any: a transaction that lost a race is tried again.
pub trait TransactionError: From<QueryError> {
    /// The database error this error carries.
    fn query_error(&self) -> Option<&QueryError>;
}

impl TransactionError for QueryError {
    fn query_error(&self) -> Option<&QueryError> {
        Some(self)
    }
}

/// How often a write transaction that lost a race is run at most.
const WRITE_ATTEMPTS: u32 = 8;

/// The longest pause before a transaction that lost a race runs again.
const MAX_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// The pause before attempt `attempt` (2, 3, ...): random up to a bound
/// that doubles each time ("full jitter"). Transactions that collided and
/// were retried at once would mostly collide again; spread over a few
/// milliseconds they run one after the other.
fn retry_pause(attempt: u32) -> Duration {
    let bound = Duration::from_millis(2)
        .saturating_mul(1 << attempt.min(16))
        .min(MAX_RETRY_PAUSE);
    bound.mul_f64(rand::random::<f64>())
}

/// True for the failures of a transaction that a concurrent one caused:
/// PostgreSQL's serialization failures, and a unique key that another
/// transaction took first (the retry then sees its row).
fn lost_a_race(error: &QueryError) -> bool {
    matches!(
        error,
        QueryError::DatabaseError(
            DatabaseErrorKind::SerializationFailure | DatabaseErrorKind::UniqueViolation,
            _
        )
    )
}

/// Runs `f` in a write transaction, rolled back when `f` fails.
///
/// SQLite: `BEGIN IMMEDIATE` takes the write lock first, so a concurrent
/// writer waits for the busy timeout instead of failing half-way (a
/// deferred transaction that read first cannot upgrade under WAL).
/// PostgreSQL: `SERIALIZABLE`, so a check and the write it decides (is this
/// identity taken? is this the last connection?) cannot interleave with
/// another transaction's; one that loses a race is run again after a short
/// random pause, up to [`WRITE_ATTEMPTS`] times in all. It runs on the
/// blocking thread pool (see [`call`](super::call)), where a pause blocks
/// no other request.
pub fn write_transaction<T, E, F>(conn: &mut AnyConnection, mut f: F) -> Result<T, E>
where
    F: FnMut(&mut AnyConnection) -> Result<T, E>,
    E: TransactionError,
{
    if in_transaction(conn) {
        // Inside a group commit (see `super::batch`), which holds the write
        // lock: nothing can race it, so a savepoint and one attempt.
        return diesel::Connection::transaction(conn, |conn| f(conn));
    }
    let mut attempt = 1;
    loop {
        match once(conn, &mut f) {
            Err(e) if attempt < WRITE_ATTEMPTS && e.query_error().is_some_and(lost_a_race) => {
                attempt += 1;
                std::thread::sleep(retry_pause(attempt));
            }
            done => return done,
        }
    }
}

fn in_transaction(conn: &mut AnyConnection) -> bool {
    // A broken transaction state counts as none: `once` then reports it.
    transaction_depth(conn).is_ok_and(|depth| depth.is_some())
}

/// How many transactions are open on `conn` (`None` outside one); an error
/// when Diesel lost track of them.
pub(super) fn transaction_depth(conn: &mut AnyConnection) -> QueryResult<Option<NonZeroU32>> {
    on_each_backend!(conn, |c| {
        AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
    })
}

/// Begins a write transaction: on SQLite with the write lock taken first,
/// on PostgreSQL serializable (see [`write_transaction`]).
pub(super) fn begin_write(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        AnyConnection::Postgresql(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN ISOLATION LEVEL SERIALIZABLE")
        }
    }
}

fn once<T, E, F>(conn: &mut AnyConnection, f: &mut F) -> Result<T, E>
where
    F: FnMut(&mut AnyConnection) -> Result<T, E>,
    E: TransactionError,
{
    begin_write(conn)?;
    match f(conn) {
        Ok(value) => {
            <AnyConnection as diesel::Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            <AnyConnection as diesel::Connection>::TransactionManager::rollback_transaction(conn)
                .map_err(E::from)?;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_between_attempts_grow_and_stay_bounded() {
        for _ in 0..200 {
            assert!(retry_pause(2) <= Duration::from_millis(8));
            assert!(retry_pause(WRITE_ATTEMPTS) <= MAX_RETRY_PAUSE);
            assert!(retry_pause(u32::MAX) <= MAX_RETRY_PAUSE);
        }
        let longest = (0..200).map(|_| retry_pause(6)).max().unwrap_or_default();
        assert!(longest > Duration::from_millis(8), "{longest:?}");
    }
}
