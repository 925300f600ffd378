//! What demo Twitter remembers: pending request tokens and their consent
//! (in memory, short-lived), issued access tokens (kept in a JSON file under
//! the data directory, so logins survive a restart), and recent nonces.
//!
//! Twitter's access tokens never expire; they end only when invalidated.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context as _;
use rand::Rng as _;
use rand::distributions::Alphanumeric;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use super::nonces::NonceCache;
use super::signed_request::SignedRequest;
use crate::knobs::lock;
use crate::oauth2_server::token_hash;
use crate::people::{self, Person};
use crate::replay::RecentAnswers;

/// How long a request token waits for consent and exchange.
const REQUEST_TOKEN_TTL_SECS: i64 = 15 * 60;
/// Pending request tokens kept at most: unauthenticated browsers cannot open
/// consent pages, but a signing client could otherwise grow this without bound.
const MAX_PENDING: usize = 10_000;
/// The file issued access tokens are kept in, under the data directory.
pub const STATE_FILE: &str = "demo-twitter.json";

/// A temporary credential of [RFC 5849 §2.1](https://www.rfc-editor.org/rfc/rfc5849#section-2.1)
/// waiting for the person's decision and the exchange.
#[derive(Debug, Clone)]
pub struct RequestToken {
    /// The temporary credentials' shared secret.
    pub secret: String,
    /// The confirmed `oauth_callback`.
    pub callback: String,
    expires_at: i64,
    /// Binds the consent form to this token: the decision must carry it.
    consent_id: Option<String>,
    /// Set once the person authorized: who, and the verifier sent back.
    approval: Option<Approval>,
}

#[derive(Debug, Clone)]
struct Approval {
    person: &'static Person,
    verifier: String,
}

/// An issued access token's secret and owner, as stored on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessGrant {
    /// The token secret.
    pub token_secret: String,
    /// The key of the demo person it belongs to.
    pub person: String,
    /// Unix time of issue.
    pub issued_at: i64,
}

impl AccessGrant {
    /// The demo person the token belongs to, if they still exist.
    pub fn person(&self) -> Option<&'static Person> {
        people::find(&self.person)
    }
}

/// The person's answer on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Authorize the app as this person.
    Authorize(&'static Person),
    /// Deny the app.
    Deny,
}

/// Why a consent decision or an exchange was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// The request token is unknown, expired, used or decided already.
    #[error("unknown, expired or used request token")]
    UnknownRequestToken,
    /// The consent form did not carry the id bound to the token.
    #[error("consent form does not belong to this request token")]
    ConsentMismatch,
    /// The exchange came before consent or with another verifier.
    #[error("wrong or missing oauth_verifier")]
    WrongVerifier,
    /// Too many pending request tokens.
    #[error("too many pending request tokens")]
    OverCapacity,
}

/// Where the browser goes after the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentOutcome {
    /// Authorized: back to the callback with `oauth_token` and `oauth_verifier`.
    Authorized {
        /// The callback.
        callback: String,
        /// The verifier.
        verifier: String,
    },
    /// Denied: back to the callback with `denied` (the request token).
    Denied {
        /// The callback.
        callback: String,
    },
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Persisted {
    access_tokens: BTreeMap<String, AccessGrant>,
}

#[derive(Debug, Default)]
struct Inner {
    pending: HashMap<String, RequestToken>,
    /// Recent decisions by the hash of request token and consent id.
    answered: RecentAnswers<Decision, ConsentOutcome>,
    granted: Persisted,
    nonces: NonceCache,
}

impl Inner {
    /// The pending request token `token` while it waits for a decision.
    fn undecided(&mut self, token: &str, now: i64) -> Result<&mut RequestToken, GrantError> {
        self.pending
            .get_mut(token)
            .filter(|t| t.expires_at > now && t.approval.is_none())
            .ok_or(GrantError::UnknownRequestToken)
    }

    fn decide(
        &mut self,
        token: &str,
        consent_id: &str,
        decision: Decision,
        now: i64,
    ) -> Result<ConsentOutcome, GrantError> {
        let pending = self.undecided(token, now)?;
        let bound = pending.consent_id.as_deref().unwrap_or_default();
        // The consent id is the form's CSRF token: only the page this server
        // rendered for this request token can decide it.
        if bound.is_empty() || !bool::from(bound.as_bytes().ct_eq(consent_id.as_bytes())) {
            return Err(GrantError::ConsentMismatch);
        }
        pending.consent_id = None;
        match decision {
            Decision::Authorize(person) => {
                let verifier = random_string(32);
                pending.approval = Some(Approval {
                    person,
                    verifier: verifier.clone(),
                });
                Ok(ConsentOutcome::Authorized {
                    callback: pending.callback.clone(),
                    verifier,
                })
            }
            Decision::Deny => {
                let callback = pending.callback.clone();
                self.pending.remove(token);
                Ok(ConsentOutcome::Denied { callback })
            }
        }
    }
}

/// Demo Twitter's state, shared by every worker.
#[derive(Debug)]
pub struct TwitterState {
    path: PathBuf,
    inner: Mutex<Inner>,
}

impl TwitterState {
    /// Loads the issued access tokens kept in `data_dir`, if any.
    pub fn load(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join(STATE_FILE);
        let granted = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("reading demo Twitter state {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Persisted::default(),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("reading demo Twitter state {}", path.display()));
            }
        };
        Ok(Self {
            path,
            inner: Mutex::new(Inner {
                granted,
                ..Inner::default()
            }),
        })
    }

    /// Issues temporary credentials for `callback`; returns token and secret.
    pub fn issue_request_token(
        &self,
        callback: &str,
        now: i64,
    ) -> Result<(String, String), GrantError> {
        let mut inner = lock(&self.inner);
        inner.pending.retain(|_, t| t.expires_at > now);
        if inner.pending.len() >= MAX_PENDING {
            return Err(GrantError::OverCapacity);
        }
        let token = random_string(32);
        let secret = random_string(40);
        inner.pending.insert(
            token.clone(),
            RequestToken {
                secret: secret.clone(),
                callback: callback.to_owned(),
                expires_at: now + REQUEST_TOKEN_TTL_SECS,
                consent_id: None,
                approval: None,
            },
        );
        Ok((token, secret))
    }

    /// The pending request token `token`, unless expired.
    pub fn request_token(&self, token: &str, now: i64) -> Option<RequestToken> {
        lock(&self.inner)
            .pending
            .get(token)
            .filter(|t| t.expires_at > now)
            .cloned()
    }

    /// Opens the consent page for `token`: the consent id its form must carry.
    pub fn open_consent(&self, token: &str, now: i64) -> Result<String, GrantError> {
        let mut inner = lock(&self.inner);
        let pending = inner.undecided(token, now)?;
        // Two tabs on the same token show the same form rather than invalidating each other.
        Ok(pending
            .consent_id
            .get_or_insert_with(|| random_string(32))
            .clone())
    }

    /// Records the decision taken on the consent form for `token`. The
    /// same decision on the same form again within a few seconds (a
    /// double-click) gets the same outcome, with the same verifier.
    pub fn decide(
        &self,
        token: &str,
        consent_id: &str,
        decision: Decision,
        now: i64,
    ) -> Result<ConsentOutcome, GrantError> {
        let mut inner = lock(&self.inner);
        let key = token_hash(&format!("{token} {consent_id}"));
        if let Some(outcome) = inner.answered.recall(&key, &decision, now) {
            return Ok(outcome);
        }
        let outcome = inner.decide(token, consent_id, decision, now)?;
        inner.answered.remember(key, decision, outcome.clone(), now);
        Ok(outcome)
    }

    /// Exchanges an authorized request token for the person's access token
    /// ([RFC 5849 §2.3](https://www.rfc-editor.org/rfc/rfc5849#section-2.3)).
    ///
    /// The request token is used up by any attempt, right or wrong, so a
    /// verifier cannot be guessed by retrying. Like Twitter, a person who
    /// authorizes the app again gets the token they already hold.
    pub fn exchange(
        &self,
        token: &str,
        verifier: Option<&str>,
        now: i64,
    ) -> Result<(String, AccessGrant, &'static Person), GrantError> {
        let mut inner = lock(&self.inner);
        let pending = inner
            .pending
            .remove(token)
            .filter(|t| t.expires_at > now)
            .ok_or(GrantError::UnknownRequestToken)?;
        let approval = pending.approval.ok_or(GrantError::WrongVerifier)?;
        let verifier_matches =
            verifier.is_some_and(|v| bool::from(approval.verifier.as_bytes().ct_eq(v.as_bytes())));
        if !verifier_matches {
            return Err(GrantError::WrongVerifier);
        }
        let person = approval.person;
        let existing = inner
            .granted
            .access_tokens
            .iter()
            .find(|(_, grant)| grant.person == person.key)
            .map(|(token, grant)| (token.clone(), grant.clone()));
        if let Some((token, grant)) = existing {
            return Ok((token, grant, person));
        }
        // Twitter's access tokens start with the user id.
        let access_token = format!("{}-{}", person.twitter_id, random_string(40));
        let grant = AccessGrant {
            token_secret: random_string(45),
            person: person.key.to_owned(),
            issued_at: now,
        };
        inner
            .granted
            .access_tokens
            .insert(access_token.clone(), grant.clone());
        self.save(&inner.granted);
        Ok((access_token, grant, person))
    }

    /// The grant behind an access token, unless invalidated.
    pub fn access_grant(&self, token: &str) -> Option<AccessGrant> {
        lock(&self.inner).granted.access_tokens.get(token).cloned()
    }

    /// Invalidates one access token; false if it was not valid.
    pub fn invalidate(&self, token: &str) -> bool {
        let mut inner = lock(&self.inner);
        let removed = inner.granted.access_tokens.remove(token).is_some();
        if removed {
            self.save(&inner.granted);
        }
        removed
    }

    /// Invalidates every access token and forgets every pending request token.
    pub fn revoke_all(&self) {
        let mut inner = lock(&self.inner);
        inner.pending.clear();
        inner.answered = RecentAnswers::default();
        inner.granted.access_tokens.clear();
        self.save(&inner.granted);
    }

    /// Records the nonce of a signed request
    /// ([RFC 5849 §3.3](https://www.rfc-editor.org/rfc/rfc5849#section-3.3));
    /// false for a replay.
    pub fn record_nonce(&self, request: &SignedRequest, now: i64) -> bool {
        lock(&self.inner).nonces.insert(
            &request.consumer_key,
            request.token.as_deref(),
            request.timestamp,
            &request.nonce,
            now,
        )
    }

    /// Writes the issued tokens: to a temporary file, then renamed over the
    /// old one, so a crash leaves either the old or the new file, never half.
    ///
    /// A failed write only costs the tokens at the next restart, so it is
    /// logged rather than failing the request that changed them.
    fn save(&self, granted: &Persisted) {
        if let Err(error) = write_atomically(&self.path, granted) {
            tracing::warn!(path = %self.path.display(), %error, "could not save demo Twitter tokens");
        }
    }
}

fn write_atomically(path: &Path, granted: &Persisted) -> anyhow::Result<()> {
    use std::io::Write as _;

    let json = serde_json::to_vec_pretty(granted)?;
    let temporary = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    // Token secrets must stay readable for HMAC checks, so the file holds
    // them as they are: readable by the owner only.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&temporary)?.write_all(&json)?;
    std::fs::rename(&temporary, path)?;
    Ok(())
}

/// A random alphanumeric string from the thread's CSPRNG (seeded by the OS).
pub fn random_string(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::PEOPLE;
    use crate::replay::REPLAY_SECS;

    const NOW: i64 = 1_700_000_000;

    /// A state on a fresh data directory, which lives as long as the state is used.
    fn fresh() -> (tempfile::TempDir, TwitterState) {
        let dir = tempfile::tempdir().unwrap();
        let state = TwitterState::load(dir.path()).unwrap();
        (dir, state)
    }

    /// A fresh state holding one request token Grace authorized: the data
    /// directory, the state, the token and its verifier.
    fn fresh_authorized() -> (tempfile::TempDir, TwitterState, String, String) {
        let (dir, state) = fresh();
        let (token, verifier) = authorized(&state);
        (dir, state, token, verifier)
    }

    /// Why exchanging `token` with `verifier` at `now` is refused.
    fn refusal(state: &TwitterState, token: &str, verifier: &str, now: i64) -> GrantError {
        state.exchange(token, Some(verifier), now).unwrap_err()
    }

    /// Whether `token` is gone at `now`: even its verifier no longer exchanges it.
    fn used_up(state: &TwitterState, token: &str, verifier: &str, now: i64) -> bool {
        refusal(state, token, verifier, now) == GrantError::UnknownRequestToken
    }

    fn authorized(state: &TwitterState) -> (String, String) {
        let (token, _) = state.issue_request_token("http://cb", NOW).unwrap();
        let consent = state.open_consent(&token, NOW).unwrap();
        let outcome = state
            .decide(&token, &consent, Decision::Authorize(&PEOPLE[1]), NOW)
            .unwrap();
        let ConsentOutcome::Authorized { verifier, .. } = outcome else {
            panic!("not authorized: {outcome:?}");
        };
        (token, verifier)
    }

    #[test]
    fn a_decision_needs_the_consent_id_bound_to_the_token() {
        let (_dir, state) = fresh();
        let (token, _) = state.issue_request_token("http://cb", NOW).unwrap();
        assert_eq!(
            state.decide(&token, "", Decision::Deny, NOW),
            Err(GrantError::ConsentMismatch)
        );
        let consent = state.open_consent(&token, NOW).unwrap();
        assert_eq!(state.open_consent(&token, NOW).unwrap(), consent);
        assert_eq!(
            state.decide(&token, "forged", Decision::Deny, NOW),
            Err(GrantError::ConsentMismatch)
        );
        assert_eq!(
            state.decide(&token, &consent, Decision::Deny, NOW),
            Ok(ConsentOutcome::Denied {
                callback: "http://cb".into()
            })
        );
        assert!(used_up(&state, &token, "x", NOW));
    }

    #[test]
    fn the_same_decision_again_gets_the_same_verifier_and_another_is_refused() {
        let (_dir, state) = fresh();
        let (token, _) = state.issue_request_token("http://cb", NOW).unwrap();
        let consent = state.open_consent(&token, NOW).unwrap();
        let ada = Decision::Authorize(&PEOPLE[0]);
        let first = state.decide(&token, &consent, ada, NOW).unwrap();
        assert_eq!(state.decide(&token, &consent, ada, NOW + 1), Ok(first));
        assert_eq!(
            state.decide(&token, &consent, Decision::Deny, NOW + 1),
            Err(GrantError::UnknownRequestToken)
        );
        assert_eq!(
            state.decide(&token, &consent, ada, NOW + REPLAY_SECS),
            Err(GrantError::UnknownRequestToken)
        );
    }

    #[test]
    fn a_wrong_verifier_uses_up_the_request_token() {
        let (_dir, state, token, verifier) = fresh_authorized();
        assert_eq!(
            refusal(&state, &token, "guess", NOW),
            GrantError::WrongVerifier
        );
        assert!(used_up(&state, &token, &verifier, NOW));
    }

    #[test]
    fn request_tokens_expire() {
        let (_dir, state, token, verifier) = fresh_authorized();
        let later = NOW + REQUEST_TOKEN_TTL_SECS;
        assert!(state.request_token(&token, later).is_none());
        assert!(used_up(&state, &token, &verifier, later));
    }

    #[test]
    fn access_tokens_survive_a_reload_and_repeat_logins_get_the_same_token() {
        let (dir, state, token, verifier) = fresh_authorized();
        let (access, grant, person) = state.exchange(&token, Some(&verifier), NOW).unwrap();
        assert_eq!(person.key, "grace");
        assert!(access.starts_with(&format!("{}-", person.twitter_id)));

        let reloaded = TwitterState::load(dir.path()).unwrap();
        let kept = reloaded.access_grant(&access).unwrap();
        assert_eq!(kept.token_secret, grant.token_secret);
        let (token, verifier) = authorized(&reloaded);
        let (again, _, _) = reloaded.exchange(&token, Some(&verifier), NOW).unwrap();
        assert_eq!(again, access);

        assert!(reloaded.invalidate(&access));
        assert!(!reloaded.invalidate(&access));
        let after = TwitterState::load(dir.path()).unwrap();
        assert!(after.access_grant(&access).is_none());
        assert!(!dir.path().join("demo-twitter.json.tmp").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(STATE_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
