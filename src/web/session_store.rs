//! actix-session's [`SessionStore`] over the `sessions` table.
//!
//! The browser holds a random 64-character session key inside an encrypted,
//! authenticated cookie; the table holds only the key's SHA-256, so a copy
//! of the database cannot be turned into cookies. The state (a JSON object)
//! is sealed, bound to its row, so it is neither readable nor movable to
//! another session.
//!
//! The rows and their sealing are the storage crate's
//! ([`SessionStates`]); this module adds what the web layer decides.
//!
//! Lifetimes: a session with someone logged in lives `SESSION_TTL` past its
//! last use; any other (pending logins, a flash message) no longer than a
//! pending login, so anonymous requests cannot pile up rows for weeks.
//! The expiry slides when a request loads the session, at most once a
//! minute. Expired rows are ignored at once and deleted by
//! [`DbSessionStore::purge_expired`], which start-up runs periodically.
//!
//! A session that was deleted (logout) or expired never comes back: an
//! update of a missing row starts a new, empty session.

use std::collections::HashMap;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::Key;
use time::Duration;

use super::session::{state_is_logged_in, state_user_id};
use crate::config::SecretKey;
use trilogin_accounts::crypto::derive_key;
use trilogin_accounts::db::maintenance::Purged;
use trilogin_accounts::db::session_states::SessionStates;
use trilogin_oauth::lookup_key::ordered_token;
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

/// How long a session with `state` lives unused, `ttl` being the setting.
fn lifetime(state: &HashMap<String, String>, ttl: Duration) -> Duration {
    if state_is_logged_in(state) {
        ttl
    } else {
        ttl.min(PENDING_TTL)
    }
}

/// A new session key: 256 random bits behind the time it was made, so
/// that its row goes to the end of the index (see
/// [`trilogin_oauth::lookup_key`]).
fn ordered_session_key() -> SessionKey {
    // Only a key over 4 KiB is refused.
    SessionKey::try_from(ordered_token(32)).unwrap_or_else(|_| generate_session_key())
}

/// Sessions kept in the database.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    states: SessionStates,
}

impl DbSessionStore {
    /// A store over `states`.
    pub fn new(states: SessionStates) -> Self {
        Self { states }
    }

    /// Deletes every expired session and pending login, and compacts the
    /// database file.
    pub async fn purge_expired(&self) -> anyhow::Result<Purged> {
        self.states.purge_expired().await
    }
}

impl SessionStore for DbSessionStore {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        self.states
            .load(session_key.as_ref(), EXTEND_GRANULARITY)
            .await
            .map_err(LoadError::Other)
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let key = ordered_session_key();
        let ttl = lifetime(&session_state, *ttl);
        self.states
            .insert(
                key.as_ref(),
                &session_state,
                state_user_id(&session_state),
                ttl,
            )
            .await
            .map_err(SaveError::Other)?;
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let ttl = lifetime(&session_state, *ttl);
        let updated = self
            .states
            .update(
                session_key.as_ref(),
                &session_state,
                state_user_id(&session_state),
                ttl,
            )
            .await
            .map_err(UpdateError::Other)?;
        if updated {
            Ok(session_key)
        } else {
            // Logged out or expired while this request ran: its state must
            // not outlive the session. A new key with no row is an empty
            // session, so the browser is logged out.
            Ok(ordered_session_key())
        }
    }

    async fn update_ttl(
        &self,
        _session_key: &SessionKey,
        _ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        // Loading the session already slid its expiry (the row knows its own
        // lifetime), in the same database call: a second one here would cost
        // every page view a query for nothing.
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        self.states.delete(session_key.as_ref()).await
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
}
