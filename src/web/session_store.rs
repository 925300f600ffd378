//! actix-session's [`SessionStore`] over the `sessions` table.
//!
//! The browser holds a random 64-character session key inside an encrypted,
//! authenticated cookie; the table holds only the key's SHA-256, so a copy
//! of the database cannot be turned into cookies. The state (a JSON object)
//! is sealed, bound to its row, so it is neither readable nor movable to
//! another session.
//!
//! Lifetimes: a session with someone logged in lives `SESSION_TTL` past its
//! last use; any other (pending logins, a flash message) no longer than a
//! pending login, so anonymous requests cannot pile up rows for weeks.
//! Expired rows are ignored at once and deleted by
//! [`SqliteSessionStore::purge_expired`], which start-up runs periodically.
//!
//! A session that was deleted (logout) or expired never comes back: an
//! update of a missing row starts a new, empty session.

use std::collections::HashMap;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::Key;
use sha2::{Digest as _, Sha256};
use time::Duration;

use super::session::state_is_logged_in;
use crate::config::SecretKey;
use crate::crypto::{Cipher, SealedAt, derive_key};
use crate::db::maintenance::{self, Purged};
use crate::db::models::NewSession;
use crate::db::sessions::SEALED_STATE;
use crate::db::{self, DbPool, sessions};
use trilogin_oauth::pending::PENDING_TTL;

/// HKDF `info` of the cookie key, distinct from the column key's.
const COOKIE_KEY_LABEL: &[u8] = b"trilogin v1 session cookie";

/// Expiry moves only when it would move by more than this, so a burst of
/// requests does not write the same row again and again.
const EXTEND_GRANULARITY: Duration = Duration::minutes(1);

/// The key that encrypts and authenticates the session cookie, derived from
/// `SECRET_KEY`: the same key after a restart, so sessions survive it.
pub fn cookie_key(secret: &SecretKey) -> Key {
    Key::from(&derive_key::<64>(secret, COOKIE_KEY_LABEL))
}

/// The row id of a session key: its SHA-256, hex-encoded.
pub fn session_id(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// How long a session with `state` lives unused, `ttl` being the setting.
fn lifetime(state: &HashMap<String, String>, ttl: Duration) -> Duration {
    if state_is_logged_in(state) {
        ttl
    } else {
        ttl.min(PENDING_TTL)
    }
}

/// A session's state as stored in its row: a JSON object of JSON texts.
pub fn parse_state(stored: &str) -> serde_json::Result<HashMap<String, String>> {
    serde_json::from_str(stored)
}

/// Sessions kept in SQLite.
#[derive(Debug, Clone)]
pub struct SqliteSessionStore {
    pool: DbPool,
    cipher: Cipher,
}

impl SqliteSessionStore {
    /// A store on `pool`, sealing states with `cipher`.
    pub fn new(pool: DbPool, cipher: Cipher) -> Self {
        Self { pool, cipher }
    }

    /// Deletes every expired session and pending login, and compacts the
    /// database file.
    pub async fn purge_expired(&self) -> anyhow::Result<Purged> {
        db::call(&self.pool, |conn| {
            maintenance::purge_expired(conn, db::now())
        })
        .await
    }

    fn seal(&self, id: &str, state: &HashMap<String, String>) -> Result<String, anyhow::Error> {
        let json = serde_json::to_string(state)?;
        Ok(self
            .cipher
            .seal(&SealedAt::new(SEALED_STATE, &[id]), &json)?)
    }

    async fn insert(
        &self,
        state: &HashMap<String, String>,
        ttl: Duration,
    ) -> anyhow::Result<SessionKey> {
        let key = generate_session_key();
        let id = session_id(key.as_ref());
        let sealed = self.seal(&id, state)?;
        let ttl = lifetime(state, ttl);
        db::call(&self.pool, move |conn| {
            let now = db::now();
            sessions::insert_session(
                conn,
                &NewSession {
                    id: &id,
                    state: &sealed,
                    expires_at: now + ttl,
                    ttl_seconds: sessions::ttl_seconds(ttl),
                },
            )
        })
        .await?;
        Ok(key)
    }
}

impl SessionStore for SqliteSessionStore {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        let id = session_id(session_key.as_ref());
        let lookup = id.clone();
        let row = db::call(&self.pool, move |conn| {
            sessions::find_session(conn, &lookup, db::now())
        })
        .await
        .map_err(LoadError::Other)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let json = match self
            .cipher
            .open(&SealedAt::new(SEALED_STATE, &[&id]), &row.state)
        {
            Ok(json) => json,
            Err(e) => {
                // Another SECRET_KEY, or a state moved from another row:
                // the browser starts over, logged out.
                tracing::warn!(error = %e, "session state does not open; starting a new session");
                return Ok(None);
            }
        };
        parse_state(&json)
            .map(Some)
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        self.insert(&session_state, *ttl)
            .await
            .map_err(SaveError::Other)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let id = session_id(session_key.as_ref());
        let sealed = self
            .seal(&id, &session_state)
            .map_err(UpdateError::Serialization)?;
        let ttl = lifetime(&session_state, *ttl);
        let updated = db::call(&self.pool, move |conn| {
            sessions::update_session(conn, &id, &sealed, ttl, db::now())
        })
        .await
        .map_err(UpdateError::Other)?;
        if updated {
            Ok(session_key)
        } else {
            // Logged out or expired while this request ran: its state must
            // not outlive the session. A new key with no row is an empty
            // session, so the browser is logged out.
            Ok(generate_session_key())
        }
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        _ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        // The row knows its own lifetime (set from its state when written).
        let id = session_id(session_key.as_ref());
        db::call(&self.pool, move |conn| {
            sessions::extend_session(conn, &id, db::now(), EXTEND_GRANULARITY)
        })
        .await
        .map(|_| ())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let id = session_id(session_key.as_ref());
        db::call(&self.pool, move |conn| sessions::delete_session(conn, &id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn only_a_logged_in_session_lives_as_long_as_the_setting() {
        let week = Duration::days(7);
        assert_eq!(lifetime(&state(&[("user_id", "1")]), week), week);
        assert_eq!(
            lifetime(&state(&[("login_binding", "\"b\"")]), week),
            PENDING_TTL
        );
        assert_eq!(lifetime(&state(&[]), week), PENDING_TTL);
        let short = Duration::minutes(2);
        assert_eq!(lifetime(&state(&[]), short), short);
    }

    #[test]
    fn session_ids_are_sha256_hex() {
        assert_eq!(
            session_id("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
