//! Pending logins in the browser's session: what a callback must match.
//!
//! Each pending login sits under its own key, so several tabs can log in at
//! once. Keys are a hash of the state (or OAuth 1 request token), so a lookup
//! with attacker input reveals nothing through timing; the caller still
//! compares the stored secret in constant time. A pending login expires after
//! [`PENDING_TTL`], is removed when taken (single use), and a browser keeps
//! at most [`MAX_PENDING`] of them per client.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::error::{Error, Result};
use super::session::LoginSession;

/// How long a started login may wait for its callback.
pub const PENDING_TTL: Duration = Duration::minutes(10);
/// How many logins a browser may have pending per client.
pub const MAX_PENDING: usize = 5;

#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope<T> {
    created_at: i64,
    value: T,
}

/// The pending logins of one client in one browser session.
pub struct PendingLogins<'s> {
    session: &'s dyn LoginSession,
    prefix: String,
}

impl<'s> PendingLogins<'s> {
    /// Pending logins of the client registered as `client_name`.
    pub fn new(session: &'s dyn LoginSession, client_name: &str) -> Self {
        Self {
            session,
            prefix: format!("oauth.pending.{client_name}."),
        }
    }

    fn key(&self, handle: &str) -> String {
        let digest = Sha256::digest(handle.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}{hex}", self.prefix)
    }

    /// Saves `value` under `handle` (the state, or the request token), after
    /// dropping expired entries and, past the cap, the oldest ones.
    pub fn save<T: Serialize>(&self, handle: &str, value: &T, now: OffsetDateTime) -> Result<()> {
        let mut live: Vec<(i64, String)> = Vec::new();
        for key in self.session.keys_with_prefix(&self.prefix) {
            let created = self
                .session
                .get(&key)
                .ok()
                .flatten()
                .and_then(|v| v.get("created_at").and_then(serde_json::Value::as_i64));
            match created {
                Some(t) if !is_expired(t, now) => live.push((t, key)),
                _ => {
                    self.session.remove(&key);
                }
            }
        }
        live.sort();
        while live.len() >= MAX_PENDING {
            let (_, oldest) = live.remove(0);
            self.session.remove(&oldest);
        }
        let envelope = Envelope {
            created_at: now.unix_timestamp(),
            value,
        };
        let json = serde_json::to_value(&envelope)
            .map_err(|e| Error::Session(format!("cannot encode pending login: {e}")))?;
        self.session
            .insert(&self.key(handle), json)
            .map_err(Error::Session)
    }

    /// Removes and returns the pending login under `handle`, if it exists and
    /// has not expired. A second call for the same handle finds nothing.
    pub fn take<T: DeserializeOwned>(&self, handle: &str, now: OffsetDateTime) -> Option<T> {
        let json = self.session.remove(&self.key(handle))?;
        let envelope: Envelope<T> = serde_json::from_value(json).ok()?;
        (!is_expired(envelope.created_at, now)).then_some(envelope.value)
    }
}

fn is_expired(created_at: i64, now: OffsetDateTime) -> bool {
    // The distance, not the difference: a stored time at either end of the
    // range must not overflow, nor make a login live for ever.
    now.unix_timestamp().abs_diff(created_at) > PENDING_TTL.whole_seconds().unsigned_abs()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;
    use time::macros::datetime;

    /// A session in memory, for the client layer's tests.
    #[derive(Default)]
    pub(crate) struct MemorySession(RefCell<BTreeMap<String, serde_json::Value>>);

    impl LoginSession for MemorySession {
        fn get(&self, key: &str) -> Result<Option<serde_json::Value>, String> {
            Ok(self.0.borrow().get(key).cloned())
        }
        fn insert(&self, key: &str, value: serde_json::Value) -> Result<(), String> {
            self.0.borrow_mut().insert(key.to_owned(), value);
            Ok(())
        }
        fn remove(&self, key: &str) -> Option<serde_json::Value> {
            self.0.borrow_mut().remove(key)
        }
        fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
            self.0
                .borrow()
                .keys()
                .filter(|k| k.starts_with(prefix))
                .cloned()
                .collect()
        }
    }

    const NOW: OffsetDateTime = datetime!(2026-06-01 10:00:00 UTC);

    #[test]
    fn a_pending_login_is_taken_once() {
        let session = MemorySession::default();
        let pending = PendingLogins::new(&session, "github");
        pending
            .save("state-1", &"verifier".to_owned(), NOW)
            .unwrap();
        assert_eq!(
            pending.take::<String>("state-1", NOW).as_deref(),
            Some("verifier")
        );
        assert_eq!(pending.take::<String>("state-1", NOW), None);
    }

    #[test]
    fn an_unknown_handle_finds_nothing() {
        let session = MemorySession::default();
        let pending = PendingLogins::new(&session, "github");
        pending.save("state-1", &1, NOW).unwrap();
        assert_eq!(pending.take::<i32>("state-2", NOW), None);
    }

    #[test]
    fn a_pending_login_expires_after_ten_minutes() {
        let session = MemorySession::default();
        let pending = PendingLogins::new(&session, "github");
        pending.save("s", &1, NOW).unwrap();
        assert_eq!(pending.take::<i32>("s", NOW + Duration::minutes(11)), None);
        pending.save("t", &2, NOW).unwrap();
        assert_eq!(
            pending.take::<i32>("t", NOW + Duration::minutes(10)),
            Some(2)
        );
    }

    #[test]
    fn several_tabs_can_be_pending_and_the_oldest_drop_past_the_cap() {
        let session = MemorySession::default();
        let pending = PendingLogins::new(&session, "github");
        for i in 0..7 {
            pending
                .save(&format!("s{i}"), &i, NOW + Duration::seconds(i))
                .unwrap();
        }
        let later = NOW + Duration::seconds(10);
        assert_eq!(pending.take::<i64>("s0", later), None);
        assert_eq!(pending.take::<i64>("s1", later), None);
        for i in 2..7 {
            assert_eq!(pending.take::<i64>(&format!("s{i}"), later), Some(i));
        }
    }

    #[test]
    fn clients_do_not_see_each_others_pending_logins() {
        let session = MemorySession::default();
        PendingLogins::new(&session, "github")
            .save("s", &1, NOW)
            .unwrap();
        assert_eq!(
            PendingLogins::new(&session, "google").take::<i32>("s", NOW),
            None
        );
    }

    #[test]
    fn the_session_never_holds_the_handle_in_clear() {
        let session = MemorySession::default();
        PendingLogins::new(&session, "github")
            .save("my-secret-state", &1, NOW)
            .unwrap();
        assert!(
            session
                .0
                .borrow()
                .keys()
                .all(|k| !k.contains("my-secret-state"))
        );
    }

    #[test]
    fn a_stored_creation_time_at_the_end_of_the_number_range_is_expired_not_a_crash() {
        let session = MemorySession::default();
        let pending = PendingLogins::new(&session, "github");
        for created_at in [i64::MIN, i64::MAX] {
            let key = pending.key("s");
            session
                .insert(
                    &key,
                    serde_json::json!({"created_at": created_at, "value": 1}),
                )
                .unwrap();
            assert_eq!(pending.take::<i32>("s", NOW), None);
            session
                .insert(
                    &key,
                    serde_json::json!({"created_at": created_at, "value": 1}),
                )
                .unwrap();
            pending.save("t", &2, NOW).unwrap();
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::oauth::strategies::json;

        /// Envelopes as stored, with anything where the fields are.
        fn stored() -> impl Strategy<Value = serde_json::Value> {
            prop_oneof![
                (any::<i64>(), json()).prop_map(|(created_at, value)| {
                    serde_json::json!({"created_at": created_at, "value": value})
                }),
                json(),
            ]
        }

        proptest! {
            #[test]
            fn arbitrary_stored_logins_never_panic_and_only_live_ones_are_taken(
                entries in prop::collection::vec(stored(), 0..8),
            ) {
                let session = MemorySession::default();
                let pending = PendingLogins::new(&session, "github");
                for (i, entry) in entries.iter().enumerate() {
                    session.insert(&pending.key(&i.to_string()), entry.clone()).unwrap_or_default();
                }
                for (i, entry) in entries.iter().enumerate() {
                    let created_at = serde_json::from_value::<Envelope<serde_json::Value>>(entry.clone())
                        .ok()
                        .map(|envelope| envelope.created_at);
                    let taken = pending.take::<serde_json::Value>(&i.to_string(), NOW);
                    if taken.is_some() {
                        let age = created_at.map(|t| i128::from(NOW.unix_timestamp()) - i128::from(t));
                        prop_assert!(
                            age.is_some_and(|age| age.abs() <= i128::from(PENDING_TTL.whole_seconds())),
                            "{}", entry
                        );
                    }
                }
                for (i, entry) in entries.iter().enumerate() {
                    session.insert(&pending.key(&i.to_string()), entry.clone()).unwrap_or_default();
                }
                prop_assert!(pending.save("new", &1, NOW).is_ok());
                prop_assert!(session.keys_with_prefix("oauth.pending.github.").len() <= MAX_PENDING);
            }
        }
    }
}
