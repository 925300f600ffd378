//! Queries on `sessions`, the server-side session store's table.
//!
//! Rows are keyed by the SHA-256 of the session key (see
//! `web::session_store`); these functions never see the key itself.
//! An expired row is treated as absent even before the purge removes it.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::models::{NewSession, SessionRow};
use super::schema::sessions;

/// The live session `id` at time `now`.
pub fn find_session(
    conn: &mut SqliteConnection,
    id: &str,
    now: PrimitiveDateTime,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .find(id)
        .filter(sessions::expires_at.gt(now))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

/// Inserts a new session.
pub fn insert_session(conn: &mut SqliteConnection, new: &NewSession<'_>) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(new)
        .execute(conn)
        .map(|_| ())
}

/// Replaces the state of live session `id` and moves its expiry; false when
/// the session is gone (expired or deleted meanwhile).
pub fn update_session(
    conn: &mut SqliteConnection,
    id: &str,
    state: &str,
    expires_at: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::expires_at.gt(now)),
    )
    .set((
        sessions::state.eq(state),
        sessions::expires_at.eq(expires_at),
        sessions::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Moves the expiry of live session `id` to `expires_at` (the sliding TTL),
/// unless it already lies within `min_step` of it: a burst of requests then
/// costs one write, not one each.
pub fn extend_session(
    conn: &mut SqliteConnection,
    id: &str,
    expires_at: PrimitiveDateTime,
    now: PrimitiveDateTime,
    min_step: time::Duration,
) -> QueryResult<bool> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::expires_at.gt(now))
            .filter(sessions::expires_at.lt(expires_at - min_step)),
    )
    .set(sessions::expires_at.eq(expires_at))
    .execute(conn)
    .map(|n| n == 1)
}

/// Deletes session `id`.
pub fn delete_session(conn: &mut SqliteConnection, id: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.find(id))
        .execute(conn)
        .map(|_| ())
}

/// Deletes every session that expired before `now`; returns how many.
pub fn purge_expired(conn: &mut SqliteConnection, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}
