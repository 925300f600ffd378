//! Queries on `pending_logins`: logins started in a browser and waiting for
//! their callback, one row each (see `db::login_session`).
//!
//! These functions see digests only (`trilogin_oauth::lookup_key`): the
//! handle is the state's, the binding the browser's login binding's; and
//! the value arrives sealed.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::models::NewPendingLogin;
use super::schema::pending_logins;
use super::{Conn, write_transaction};

/// Inserts `new`, then drops the browser's oldest pending logins of that client beyond the
/// newest `keep`. One write transaction, the lock taken up front.
pub fn insert_pending(conn: &mut Conn, new: &NewPendingLogin<'_>, keep: usize) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        // No upsert: a handle that exists already (a state seen twice) is
        // an error, never a way to take over another browser's login.
        diesel::insert_into(pending_logins::table)
            .values(new)
            .execute(conn)?;
        let newest_first: Vec<i32> = pending_logins::table
            .filter(pending_logins::binding.eq(new.binding))
            .filter(pending_logins::client.eq(new.client))
            .order(pending_logins::id.desc())
            .select(pending_logins::id)
            .load(conn)?;
        let surplus = newest_first.get(keep..).unwrap_or_default();
        if !surplus.is_empty() {
            diesel::delete(pending_logins::table.filter(pending_logins::id.eq_any(surplus)))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Deletes the pending login `handle` of `client` if the browser `binding`
/// saved it, and returns its sealed value and expiry. One statement, so of
/// two concurrent takes only one gets the row.
pub fn take_pending(
    conn: &mut Conn,
    client: &str,
    handle: &str,
    binding: &str,
) -> QueryResult<Option<(String, PrimitiveDateTime)>> {
    diesel::delete(
        pending_logins::table
            .filter(pending_logins::client.eq(client))
            .filter(pending_logins::handle.eq(handle))
            .filter(pending_logins::binding.eq(binding)),
    )
    .returning((pending_logins::value, pending_logins::expires_at))
    .get_result(conn)
    .optional()
}

/// Deletes every pending login that expired before `now`; returns how many.
pub fn purge_expired(conn: &mut Conn, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(pending_logins::table.filter(pending_logins::expires_at.le(now))).execute(conn)
}
