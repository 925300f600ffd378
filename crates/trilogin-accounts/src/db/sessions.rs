//! Queries on `sessions`, the server-side session store's table.
//!
//! Rows are keyed by the digest of the session key; the query functions
//! never see the key itself, only `session_states` does.
//! An expired row is treated as absent even before the purge removes it.

use diesel::prelude::*;
use time::{Duration, PrimitiveDateTime};

use super::Conn;
use super::models::{NewSession, SessionRow};
use super::schema::sessions;
use crate::UserId;
use trilogin_oauth::lookup_key::lookup_digest;

/// Associated data of `sessions.state`, with the row id as its identity.
pub const SEALED_STATE: &str = "sessions.state";

/// The live session `id` at time `now`.
pub fn find_session(
    conn: &mut Conn,
    id: &str,
    now: PrimitiveDateTime,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .find(id)
        .filter(sessions::expires_at.gt(now))
        .select(SessionRow::as_select())
        .get_result(conn)
        .optional()
}

/// Inserts a new session.
pub fn insert_session(conn: &mut Conn, new: &NewSession<'_>) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(new)
        .execute(conn)
        .map(|_| ())
}

/// Replaces the state of live session `id`, its owner, its lifetime and
/// expiry (`now` plus `ttl`); false when the session is gone (expired or
/// deleted meanwhile). A gone session stays gone: nothing is inserted.
pub fn update_session(
    conn: &mut Conn,
    id: &str,
    state: &str,
    owner: Option<UserId>,
    ttl: Duration,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::expires_at.gt(now)),
    )
    .set((
        sessions::state.eq(state),
        sessions::user_id.eq(owner.map(UserId::get)),
        sessions::expires_at.eq(now + ttl),
        sessions::ttl_seconds.eq(ttl_seconds(ttl)),
        sessions::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Moves the expiry of live session `row` to `now` plus the session's own
/// lifetime (the sliding TTL), unless that moves it by less than
/// `min_step`: a burst of requests then costs one write, not one each.
/// `row` is the session as just read, so a request that slides nothing
/// makes no statement at all.
pub fn slide_session(
    conn: &mut Conn,
    row: &SessionRow,
    now: PrimitiveDateTime,
    min_step: Duration,
) -> QueryResult<bool> {
    let target = now + Duration::seconds(row.ttl_seconds.into());
    if target - row.expires_at < min_step {
        return Ok(false);
    }
    // Only while the row is as read: a concurrent update that set a
    // shorter lifetime wins over this extension.
    diesel::update(
        sessions::table
            .find(&row.id)
            .filter(sessions::expires_at.eq(row.expires_at))
            .filter(sessions::ttl_seconds.eq(row.ttl_seconds)),
    )
    .set(sessions::expires_at.eq(target))
    .execute(conn)
    .map(|n| n == 1)
}

/// `ttl` in whole seconds, as stored (saturating: no session lives 68 years).
pub fn ttl_seconds(ttl: Duration) -> i32 {
    i32::try_from(ttl.whole_seconds()).unwrap_or(i32::MAX)
}

/// Deletes session `id`.
pub fn delete_session(conn: &mut Conn, id: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.find(id))
        .execute(conn)
        .map(|_| ())
}

/// Deletes every session logged in to user `user_id`, in every browser;
/// returns how many.
pub fn delete_sessions_of(conn: &mut Conn, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id.get()))).execute(conn)
}

/// Deletes every session that expired before `now`; returns how many.
pub fn purge_expired(conn: &mut Conn, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}

/// The row id of a session key: its time of making and its SHA-256 (see
/// [`lookup_digest`]).
pub fn session_id(key: &str) -> String {
    lookup_digest(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_of_an_earlier_release_keeps_its_row_id_the_sha256_hex() {
        assert_eq!(
            session_id("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn an_ordered_key_has_a_row_id_that_starts_with_its_time() {
        assert_eq!(
            session_id("019afb8c2e10.abc"),
            "019afb8c2e10.62769c37e115e670a92586bcfbeb62ef84a48ed1ebb515b58993c0e8a6cd7d00"
        );
    }
}
