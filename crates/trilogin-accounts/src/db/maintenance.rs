//! Keeping the database file bounded: expired sessions and pending logins
//! are deleted, the write-ahead log is checkpointed and truncated, and the
//! freed pages go back to the file system.
//!
//! Without this, anonymous login starts (each one a session and a pending
//! login) would grow the file and its WAL without bound. The vacuum and the
//! checkpoint are SQLite's; PostgreSQL's autovacuum does that work there.

use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use diesel::sql_types::Integer;
use time::PrimitiveDateTime;

use super::{AnyConnection, Conn, pending_logins, sessions};

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Expired sessions deleted.
    pub sessions: usize,
    /// Expired pending logins deleted.
    pub pending_logins: usize,
}

/// Deletes every session and pending login that expired before `now`, then
/// [`compact`]s the file.
pub fn purge_expired(conn: &mut Conn, now: PrimitiveDateTime) -> QueryResult<Purged> {
    let purged = Purged {
        sessions: sessions::purge_expired(conn, now)?,
        pending_logins: pending_logins::purge_expired(conn, now)?,
    };
    compact(conn)?;
    Ok(purged)
}

/// Hands free pages back to the file system (`auto_vacuum = INCREMENTAL`,
/// see [`super::backend`]), then copies the WAL into the database and
/// truncates it to zero bytes. In this order: the vacuum itself writes to
/// the WAL. A checkpoint that readers keep from finishing leaves the WAL
/// for the next one; `journal_size_limit` still caps what it keeps on disk.
pub fn compact(conn: &mut Conn) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => {
            c.batch_execute("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")
        }
        AnyConnection::Postgresql(_) => Ok(()),
    }
}

#[derive(QueryableByName)]
struct AutoVacuum {
    #[diesel(sql_type = Integer)]
    auto_vacuum: i32,
}

/// Switches a database made before incremental vacuuming to it. SQLite
/// changes the mode of a database with tables only through a `VACUUM`,
/// which rewrites the file: done once, at start-up.
/// Nothing to do on PostgreSQL.
pub fn enable_incremental_vacuum(conn: &mut Conn) -> QueryResult<bool> {
    const INCREMENTAL: i32 = 2;
    let AnyConnection::Sqlite(conn) = conn else {
        return Ok(false);
    };
    let mode = diesel::sql_query("PRAGMA auto_vacuum").get_result::<AutoVacuum>(conn)?;
    if mode.auto_vacuum == INCREMENTAL {
        return Ok(false);
    }
    conn.batch_execute("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
    Ok(true)
}
