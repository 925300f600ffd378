//! Pending logins: what a callback must match, kept server-side between
//! the redirect to the provider and the callback.
//!
//! Each pending login is its own entry in the [`LoginSession`], so several
//! tabs can log in at once. Entries are keyed by a hash of the state (or
//! OAuth 1 request token): the store never holds the handle in clear, and a
//! lookup with attacker input reveals nothing through timing; the caller
//! still compares the stored secret in constant time. A pending login
//! expires after [`PENDING_TTL`], is removed when taken (single use), and a
//! browser keeps at most [`MAX_PENDING`] of them per client.

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Duration, OffsetDateTime};

use super::error::{Error, Result};
use super::lookup_key::lookup_digest;
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

/// The pending logins of one client in one browser.
pub struct PendingLogins<'s> {
    session: &'s dyn LoginSession,
    client: &'s str,
}

impl<'s> PendingLogins<'s> {
    /// Pending logins of the client registered as `client_name`.
    pub fn new(session: &'s dyn LoginSession, client_name: &'s str) -> Self {
        Self {
            session,
            client: client_name,
        }
    }

    /// Saves `value` under `handle` (the state, or the request token); past
    /// [`MAX_PENDING`], the oldest pending logins of this client go.
    ///
    /// # Errors
    ///
    /// [`Error::Session`] when `value` cannot be encoded or the store fails.
    pub async fn save<T: Serialize>(
        &self,
        handle: &str,
        value: &T,
        now: OffsetDateTime,
    ) -> Result<()> {
        let envelope = Envelope {
            created_at: now.unix_timestamp(),
            value,
        };
        let json = serde_json::to_value(&envelope)
            .map_err(|e| Error::Session(format!("cannot encode pending login: {e}")))?;
        self.session
            .save_pending(
                self.client,
                &handle_digest(handle),
                json,
                now + PENDING_TTL,
                MAX_PENDING,
            )
            .await
            .map_err(Error::Session)
    }

    /// Removes and returns the pending login under `handle`, if it exists and
    /// has not expired. A second call for the same handle finds nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Session`] when the store fails.
    pub async fn take<T: DeserializeOwned>(
        &self,
        handle: &str,
        now: OffsetDateTime,
    ) -> Result<Option<T>> {
        let Some(json) = self
            .session
            .take_pending(self.client, &handle_digest(handle), now)
            .await
            .map_err(Error::Session)?
        else {
            return Ok(None);
        };
        // An entry of another format (an older release) is as good as none.
        let Ok(envelope) = serde_json::from_value::<Envelope<T>>(json) else {
            return Ok(None);
        };
        Ok((!is_expired(envelope.created_at, now)).then_some(envelope.value))
    }
}

/// The key of a pending login: the digest of its handle (see
/// [`lookup_digest`]).
fn handle_digest(handle: &str) -> String {
    lookup_digest(handle)
}

fn is_expired(created_at: i64, now: OffsetDateTime) -> bool {
    // The distance, not the difference: a stored time at either end of the
    // range must not overflow, nor make a login live for ever.
    now.unix_timestamp().abs_diff(created_at) > PENDING_TTL.whole_seconds().unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::MemoryLoginSession;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-06-01 10:00:00 UTC);

    #[tokio::test]
    async fn a_pending_login_is_taken_once() {
        let session = MemoryLoginSession::new();
        let pending = PendingLogins::new(&session, "github");
        pending
            .save("state-1", &"verifier".to_owned(), NOW)
            .await
            .unwrap();
        let taken: Option<String> = pending.take("state-1", NOW).await.unwrap();
        assert_eq!(taken.as_deref(), Some("verifier"));
        assert_eq!(pending.take::<String>("state-1", NOW).await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_unknown_handle_finds_nothing() {
        let session = MemoryLoginSession::new();
        let pending = PendingLogins::new(&session, "github");
        pending.save("state-1", &1, NOW).await.unwrap();
        assert_eq!(pending.take::<i32>("state-2", NOW).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_pending_login_expires_after_ten_minutes() {
        let session = MemoryLoginSession::new();
        let pending = PendingLogins::new(&session, "github");
        pending.save("s", &1, NOW).await.unwrap();
        let late = NOW + Duration::minutes(11);
        assert_eq!(pending.take::<i32>("s", late).await.unwrap(), None);
        pending.save("t", &2, NOW).await.unwrap();
        let just_in_time = NOW + Duration::minutes(10) - Duration::seconds(1);
        assert_eq!(
            pending.take::<i32>("t", just_in_time).await.unwrap(),
            Some(2)
        );
    }

    #[tokio::test]
    async fn several_tabs_can_be_pending_and_the_oldest_drop_past_the_cap() {
        let session = MemoryLoginSession::new();
        let pending = PendingLogins::new(&session, "github");
        for i in 0..7 {
            let at = NOW + Duration::seconds(i);
            pending.save(&format!("s{i}"), &i, at).await.unwrap();
        }
        let later = NOW + Duration::seconds(10);
        assert_eq!(pending.take::<i64>("s0", later).await.unwrap(), None);
        assert_eq!(pending.take::<i64>("s1", later).await.unwrap(), None);
        for i in 2..7 {
            let taken = pending.take::<i64>(&format!("s{i}"), later).await.unwrap();
            assert_eq!(taken, Some(i));
        }
    }

    #[tokio::test]
    async fn clients_do_not_see_each_others_pending_logins() {
        let session = MemoryLoginSession::new();
        let github = PendingLogins::new(&session, "github");
        github.save("s", &1, NOW).await.unwrap();
        let google = PendingLogins::new(&session, "google");
        assert_eq!(google.take::<i32>("s", NOW).await.unwrap(), None);
        assert_eq!(github.take::<i32>("s", NOW).await.unwrap(), Some(1));
    }

    #[test]
    fn the_store_never_sees_the_handle_in_clear() {
        let digest = handle_digest("my-secret-state");
        assert_eq!(digest.len(), 64);
        assert!(!digest.contains("my-secret-state"));
        assert_ne!(digest, handle_digest("my-secret-statf"));
    }

    /// Stores `envelope` as the pending login `handle` the way a store
    /// would hand it back, whatever it holds.
    async fn plant(session: &MemoryLoginSession, handle: &str, envelope: serde_json::Value) {
        let until = NOW + Duration::days(1);
        session
            .save_pending(
                "github",
                &handle_digest(handle),
                envelope,
                until,
                MAX_PENDING,
            )
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_stored_creation_time_at_the_end_of_the_number_range_is_expired_not_a_crash() {
        let session = MemoryLoginSession::new();
        let pending = PendingLogins::new(&session, "github");
        for created_at in [i64::MIN, i64::MAX] {
            plant(
                &session,
                "s",
                serde_json::json!({"created_at": created_at, "value": 1}),
            )
            .await;
            assert_eq!(pending.take::<i32>("s", NOW).await.unwrap(), None);
            pending.save("t", &2, NOW).await.unwrap();
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::strategies::json;

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
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap_or_else(|e| panic!("{e}"));
                let session = MemoryLoginSession::new();
                let pending = PendingLogins::new(&session, "github");
                for (i, entry) in entries.iter().enumerate() {
                    runtime.block_on(plant(&session, &i.to_string(), entry.clone()));
                }
                for (i, entry) in entries.iter().enumerate() {
                    let created_at = serde_json::from_value::<Envelope<serde_json::Value>>(entry.clone())
                        .ok()
                        .map(|envelope| envelope.created_at);
                    let taken = runtime
                        .block_on(pending.take::<serde_json::Value>(&i.to_string(), NOW))
                        .unwrap_or_else(|e| panic!("{e}"));
                    if taken.is_some() {
                        let age = created_at.map(|t| i128::from(NOW.unix_timestamp()) - i128::from(t));
                        prop_assert!(
                            age.is_some_and(|age| age.abs() <= i128::from(PENDING_TTL.whole_seconds())),
                            "{}", entry
                        );
                    }
                }
                for (i, entry) in entries.iter().enumerate() {
                    runtime.block_on(plant(&session, &i.to_string(), entry.clone()));
                }
                prop_assert!(runtime.block_on(pending.save("new", &1, NOW)).is_ok());
                prop_assert!(session.len() <= MAX_PENDING);
            }
        }
    }
}
