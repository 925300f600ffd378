//! [`SessionStates`]: the session store as the web layer uses it. States
//! are keyed by the browser's session key, sealed to their row, and kept on
//! the pool; the table holds only the key's digest
//! ([`session_id`](super::sessions::session_id)), so a copy of the database
//! cannot be turned into cookies.

use std::collections::HashMap;

use time::Duration;

use super::maintenance::{self, Purged};
use super::models::NewSession;
use super::sessions::{
    SEALED_STATE, delete_session, find_session, insert_session, session_id, slide_session,
    ttl_seconds, update_session,
};
use super::{DbPool, call, now, write};
use crate::UserId;
use crate::crypto::{Cipher, SealedAt};

/// A session's state: a JSON object of JSON texts, as actix-session keeps it.
pub type SessionState = HashMap<String, String>;

/// Sessions' states in the database.
#[derive(Debug, Clone)]
pub struct SessionStates {
    pool: DbPool,
    cipher: Cipher,
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
    ///
    /// Loading is a use of the session, so its expiry slides forward by its
    /// own lifetime here, in the same database call, writing only when that
    /// moves it by at least `min_step`.
    pub async fn load(
        &self,
        key: &str,
        min_step: Duration,
    ) -> anyhow::Result<Option<SessionState>> {
        let id = session_id(key);
        let lookup = id.clone();
        let row = call(&self.pool, move |conn| {
            let now = now();
            let row = find_session(conn, &lookup, now)?;
            if let Some(row) = &row {
                slide_session(conn, row, now, min_step)?;
            }
            Ok::<_, diesel::result::Error>(row)
        })
        .await?;
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

    /// Stores a new session `key` holding `state`, logged in to `owner`,
    /// living `ttl` unused.
    pub async fn insert(
        &self,
        key: &str,
        state: &SessionState,
        owner: Option<UserId>,
        ttl: Duration,
    ) -> anyhow::Result<()> {
        let id = session_id(key);
        let sealed = self.seal(&id, state)?;
        write(&self.pool, move |conn| {
            insert_session(
                conn,
                &NewSession {
                    id: &id,
                    state: &sealed,
                    expires_at: now() + ttl,
                    ttl_seconds: ttl_seconds(ttl),
                    user_id: owner.map(UserId::get),
                },
            )
        })
        .await
    }

    /// Replaces the state of live session `key` and its owner; false when
    /// it is gone (logged out or expired meanwhile), and then nothing is
    /// stored.
    pub async fn update(
        &self,
        key: &str,
        state: &SessionState,
        owner: Option<UserId>,
        ttl: Duration,
    ) -> anyhow::Result<bool> {
        let id = session_id(key);
        let sealed = self.seal(&id, state)?;
        write(&self.pool, move |conn| {
            update_session(conn, &id, &sealed, owner, ttl, now())
        })
        .await
    }

    /// Deletes session `key`.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        let id = session_id(key);
        write(&self.pool, move |conn| delete_session(conn, &id)).await
    }

    /// Deletes every expired session and pending login, and compacts the
    /// database file.
    pub async fn purge_expired(&self) -> anyhow::Result<Purged> {
        call(&self.pool, |conn| maintenance::purge_expired(conn, now())).await
    }
}
