//! Queries on `sessions`, the server-side session store's table.
//!
//! Rows are keyed by the SHA-256 of the session key; the query functions
//! never see the key itself, only [`SessionStates`] does.
//! An expired row is treated as absent even before the purge removes it.

use std::collections::HashMap;

use diesel::prelude::*;
use sha2::{Digest as _, Sha256};
use time::{Duration, PrimitiveDateTime};

use super::maintenance::{self, Purged};
use super::models::{NewSession, SessionRow};
use super::schema::sessions;
use super::{Conn, DbPool, call, now};
use crate::crypto::{Cipher, SealedAt};

/// A session's state: a JSON object of JSON texts, as actix-session keeps it.
pub type SessionState = HashMap<String, String>;

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
        .first(conn)
        .optional()
}

/// Inserts a new session.
pub fn insert_session(conn: &mut Conn, new: &NewSession<'_>) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(new)
        .execute(conn)
        .map(|_| ())
}

/// Replaces the state of live session `id`, its lifetime and expiry (`now`
/// plus `ttl`); false when the session is gone (expired or deleted
/// meanwhile). A gone session stays gone: nothing is inserted.
pub fn update_session(
    conn: &mut Conn,
    id: &str,
    state: &str,
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
        sessions::expires_at.eq(now + ttl),
        sessions::ttl_seconds.eq(ttl_seconds(ttl)),
        sessions::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Moves the expiry of live session `id` to `now` plus the session's own
/// lifetime (the sliding TTL), unless that moves it by less than
/// `min_step`: a burst of requests then costs one write, not one each.
pub fn extend_session(
    conn: &mut Conn,
    id: &str,
    now: PrimitiveDateTime,
    min_step: Duration,
) -> QueryResult<bool> {
    let live = sessions::table
        .find(id)
        .filter(sessions::expires_at.gt(now))
        .select((sessions::expires_at, sessions::ttl_seconds))
        .first::<(PrimitiveDateTime, i32)>(conn)
        .optional()?;
    let Some((expires_at, ttl)) = live else {
        return Ok(false);
    };
    let target = now + Duration::seconds(ttl.into());
    if target - expires_at < min_step {
        return Ok(false);
    }
    // Only while the row is as read: a concurrent update that set a
    // shorter lifetime wins over this extension.
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::expires_at.eq(expires_at))
            .filter(sessions::ttl_seconds.eq(ttl)),
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

/// Deletes every session that expired before `now`; returns how many.
pub fn purge_expired(conn: &mut Conn, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}

/// The session store as the web layer uses it: states keyed by the
/// browser's session key, sealed to their row, on the pool. The table holds
/// only the key's SHA-256 ([`session_id`]), so a copy of the database cannot
/// be turned into cookies.
#[derive(Debug, Clone)]
pub struct SessionStates {
    pool: DbPool,
    cipher: Cipher,
}

/// The row id of a session key: its SHA-256, hex-encoded.
pub fn session_id(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl SessionStates {
    /// States on `pool`, sealed with `cipher`.
    pub fn new(pool: DbPool, cipher: Cipher) -> Self {
        Self { pool, cipher }
    }

    fn seal(&self, id: &str, state: &SessionState) -> anyhow::Result<String> {
        let json = serde_json::to_string(state)?;
        Ok(self
            .cipher
            .seal(&SealedAt::new(SEALED_STATE, &[id]), &json)?)
    }

    /// The state of live session `key`. `None` when there is none, or when
    /// its state does not open (another `SECRET_KEY`, or a state moved from
    /// another row): the browser then starts over, logged out.
    pub async fn load(&self, key: &str) -> anyhow::Result<Option<SessionState>> {
        let id = session_id(key);
        let lookup = id.clone();
        let row = call(&self.pool, move |conn| find_session(conn, &lookup, now())).await?;
        let Some(row) = row else {
            return Ok(None);
        };
        match self
            .cipher
            .open(&SealedAt::new(SEALED_STATE, &[&id]), &row.state)
        {
            Ok(json) => Ok(Some(serde_json::from_str(&json)?)),
            Err(e) => {
                tracing::warn!(error = %e, "session state does not open; starting a new session");
                Ok(None)
            }
        }
    }

    /// Stores a new session `key` holding `state`, living `ttl` unused.
    pub async fn insert(
        &self,
        key: &str,
        state: &SessionState,
        ttl: Duration,
    ) -> anyhow::Result<()> {
        let id = session_id(key);
        let sealed = self.seal(&id, state)?;
        call(&self.pool, move |conn| {
            insert_session(
                conn,
                &NewSession {
                    id: &id,
                    state: &sealed,
                    expires_at: now() + ttl,
                    ttl_seconds: ttl_seconds(ttl),
                },
            )
        })
        .await
    }

    /// Replaces the state of live session `key`; false when it is gone
    /// (logged out or expired meanwhile), and then nothing is stored.
    pub async fn update(
        &self,
        key: &str,
        state: &SessionState,
        ttl: Duration,
    ) -> anyhow::Result<bool> {
        let id = session_id(key);
        let sealed = self.seal(&id, state)?;
        call(&self.pool, move |conn| {
            update_session(conn, &id, &sealed, ttl, now())
        })
        .await
    }

    /// Slides live session `key`'s expiry forward by its own lifetime,
    /// writing only when that moves it by at least `min_step`.
    pub async fn extend(&self, key: &str, min_step: Duration) -> anyhow::Result<bool> {
        let id = session_id(key);
        call(&self.pool, move |conn| {
            extend_session(conn, &id, now(), min_step)
        })
        .await
    }

    /// Deletes session `key`.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        let id = session_id(key);
        call(&self.pool, move |conn| delete_session(conn, &id)).await
    }

    /// Deletes every expired session and pending login, and compacts the
    /// database file.
    pub async fn purge_expired(&self) -> anyhow::Result<Purged> {
        call(&self.pool, |conn| maintenance::purge_expired(conn, now())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_sha256_hex() {
        assert_eq!(
            session_id("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
