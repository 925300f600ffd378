//! actix-session's [`SessionStore`] over the `sessions` table.
//!
//! The browser holds a random 64-character session key inside an encrypted,
//! authenticated cookie; the table holds only the key's SHA-256, so a copy
//! of the database cannot be turned into cookies. State is a JSON object.
//! Expiry slides forward with use; expired rows are ignored at once and
//! deleted by [`SqliteSessionStore::purge_expired`], which start-up runs
//! periodically.

use std::collections::HashMap;
use std::fmt::Write as _;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::Key;
use sha2::{Digest as _, Sha256};
use time::Duration;

use crate::config::SecretKey;
use crate::crypto::derive_key;
use crate::db::models::NewSession;
use crate::db::{self, DbPool, sessions};

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
    Sha256::digest(key.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// A session's state as stored in its row: a JSON object of JSON texts.
pub fn parse_state(stored: &str) -> serde_json::Result<HashMap<String, String>> {
    serde_json::from_str(stored)
}

/// Sessions kept in SQLite.
#[derive(Debug, Clone)]
pub struct SqliteSessionStore {
    pool: DbPool,
}

impl SqliteSessionStore {
    /// A store on `pool`.
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    /// Deletes every expired session; returns how many.
    pub async fn purge_expired(&self) -> anyhow::Result<usize> {
        db::call(&self.pool, |conn| sessions::purge_expired(conn, db::now())).await
    }

    async fn insert(&self, state: String, ttl: Duration) -> anyhow::Result<SessionKey> {
        let key = generate_session_key();
        let id = session_id(key.as_ref());
        db::call(&self.pool, move |conn| {
            let now = db::now();
            sessions::insert_session(
                conn,
                &NewSession {
                    id: &id,
                    state: &state,
                    expires_at: now + ttl,
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
        let row = db::call(&self.pool, move |conn| {
            sessions::find_session(conn, &id, db::now())
        })
        .await
        .map_err(LoadError::Other)?;
        row.map(|row| parse_state(&row.state))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let state = serde_json::to_string(&session_state)
            .map_err(|e| SaveError::Serialization(e.into()))?;
        self.insert(state, *ttl).await.map_err(SaveError::Other)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let state = serde_json::to_string(&session_state)
            .map_err(|e| UpdateError::Serialization(e.into()))?;
        let id = session_id(session_key.as_ref());
        let ttl = *ttl;
        let row_state = state.clone();
        let updated = db::call(&self.pool, move |conn| {
            let now = db::now();
            sessions::update_session(conn, &id, &row_state, now + ttl, now)
        })
        .await
        .map_err(UpdateError::Other)?;
        if updated {
            Ok(session_key)
        } else {
            // The row expired or was purged meanwhile: start a new session
            // rather than resurrect the old key.
            self.insert(state, ttl).await.map_err(UpdateError::Other)
        }
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        let id = session_id(session_key.as_ref());
        let ttl = *ttl;
        db::call(&self.pool, move |conn| {
            let now = db::now();
            sessions::extend_session(conn, &id, now + ttl, now, EXTEND_GRANULARITY)
        })
        .await
        .map(|_| ())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let id = session_id(session_key.as_ref());
        db::call(&self.pool, move |conn| sessions::delete_session(conn, &id)).await
    }
}
