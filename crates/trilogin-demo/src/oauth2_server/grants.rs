//! What a demo authorization server has issued: authorization codes, access
//! tokens and refresh tokens, keyed by the SHA-256 of the token so the state
//! file holds nothing usable.
//!
//! Every token descends from one grant (a *chain*): a code, the tokens its
//! exchange issued and every refresh after. Replaying a used code or a
//! rotated refresh token revokes the whole chain, as RFC 6749 §4.1.2 and
//! RFC 9700 §4.14.2 advise, because one of the two parties is an attacker.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::pkce::{self, PkceError};
use super::{CODE_TTL_SECS, random_token, state_file, token_hash};
use crate::knobs::lock;

/// What the resource owner agreed to; travels from the code to every token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// The demo person's key, or `None` when the client acts for itself
    /// (`client_credentials`).
    pub person: Option<String>,
    /// The granted scope, space separated.
    pub scope: String,
    /// OpenID Connect `nonce` from the authorization request.
    pub nonce: Option<String>,
    /// Whether a refresh token is issued with the access token.
    pub offline: bool,
    /// The JWK thumbprint of the DPoP key the tokens are bound to (RFC 9449).
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

/// The shape of one provider's tokens.
#[derive(Debug, Clone, Copy)]
pub struct TokenStyle {
    /// Prefix of authorization codes.
    pub code_prefix: &'static str,
    /// Random characters after the code prefix.
    pub code_len: usize,
    /// Prefix of access tokens (`ghu_`, `ya29.`).
    pub access_prefix: &'static str,
    /// Random characters after the access token prefix.
    pub access_len: usize,
    /// Prefix of refresh tokens (`ghr_`, `1//`).
    pub refresh_prefix: &'static str,
    /// Random characters after the refresh token prefix.
    pub refresh_len: usize,
}

/// Token lifetimes in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Access token lifetime.
    pub access: i64,
    /// Refresh token lifetime.
    pub refresh: i64,
}

/// Tokens just issued, in the clear: the only time they exist so.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The access token.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The refresh token, when one was issued.
    pub refresh_token: Option<String>,
    /// Seconds until the refresh token expires.
    pub refresh_token_expires_in: i64,
}

/// Why an authorization code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeError {
    /// Never issued.
    Unknown,
    /// Older than ten minutes.
    Expired,
    /// Already exchanged; the tokens it gave are now revoked.
    Reused,
    /// The token request's `redirect_uri` differs from the authorization request's.
    RedirectMismatch,
    /// The PKCE verifier does not match.
    Pkce(PkceError),
}

/// Why a refresh token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshError {
    /// Never issued, or revoked.
    Unknown,
    /// Past its lifetime.
    Expired,
    /// Already rotated away; the whole chain is now revoked.
    Reused,
}

/// An access token the store knows and that has not expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAccess {
    /// What the token may do.
    pub authorization: Authorization,
    /// The SHA-256 of the token, a stable key for per-token budgets.
    pub token_hash: String,
    /// When the token expires (Unix seconds).
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CodeRecord {
    authorization: Authorization,
    redirect_uri: String,
    code_challenge: Option<String>,
    expires_at: i64,
    redeemed: bool,
    chain: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AccessRecord {
    authorization: Authorization,
    expires_at: i64,
    chain: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefreshRecord {
    authorization: Authorization,
    expires_at: i64,
    chain: String,
    rotated: bool,
}

/// Codes and tokens of one provider.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Grants {
    codes: HashMap<String, CodeRecord>,
    access: HashMap<String, AccessRecord>,
    refresh: HashMap<String, RefreshRecord>,
}

impl Grants {
    /// Issues a single-use authorization code for `authorization`.
    pub fn issue_code(
        &mut self,
        authorization: Authorization,
        redirect_uri: &str,
        code_challenge: Option<&str>,
        style: &TokenStyle,
        now: i64,
    ) -> String {
        let code = random_token(style.code_prefix, style.code_len);
        self.codes.insert(
            token_hash(&code),
            CodeRecord {
                authorization,
                redirect_uri: redirect_uri.to_owned(),
                code_challenge: code_challenge.map(str::to_owned),
                expires_at: now + CODE_TTL_SECS,
                redeemed: false,
                chain: random_token("", 16),
            },
        );
        code
    }

    /// Redeems a code (RFC 6749 §4.1.3). Any attempt uses the code up, even
    /// a failed one, so a code cannot be probed for its verifier.
    /// Returns the authorization and the chain the new tokens belong to.
    pub fn redeem_code(
        &mut self,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        now: i64,
    ) -> Result<(Authorization, String), CodeError> {
        let record = self
            .codes
            .get_mut(&token_hash(code))
            .ok_or(CodeError::Unknown)?;
        if record.redeemed {
            let chain = record.chain.clone();
            self.revoke_chain(&chain);
            return Err(CodeError::Reused);
        }
        record.redeemed = true;
        if record.expires_at <= now {
            return Err(CodeError::Expired);
        }
        if redirect_uri.is_some_and(|uri| uri != record.redirect_uri) {
            return Err(CodeError::RedirectMismatch);
        }
        pkce::verify(record.code_challenge.as_deref(), code_verifier).map_err(CodeError::Pkce)?;
        Ok((record.authorization.clone(), record.chain.clone()))
    }

    /// Issues an access token, and a refresh token when the authorization is
    /// offline, on `chain` (a new chain when `None`).
    pub fn issue_tokens(
        &mut self,
        authorization: &Authorization,
        chain: Option<String>,
        style: &TokenStyle,
        lifetimes: Lifetimes,
        now: i64,
    ) -> Issued {
        let chain = chain.unwrap_or_else(|| random_token("", 16));
        let access_token = random_token(style.access_prefix, style.access_len);
        self.access.insert(
            token_hash(&access_token),
            AccessRecord {
                authorization: authorization.clone(),
                expires_at: now + lifetimes.access,
                chain: chain.clone(),
            },
        );
        let refresh_token = authorization.offline.then(|| {
            let token = random_token(style.refresh_prefix, style.refresh_len);
            self.refresh.insert(
                token_hash(&token),
                RefreshRecord {
                    authorization: authorization.clone(),
                    expires_at: now + lifetimes.refresh,
                    chain,
                    rotated: false,
                },
            );
            token
        });
        Issued {
            access_token,
            expires_in: lifetimes.access,
            refresh_token,
            refresh_token_expires_in: lifetimes.refresh,
        }
    }

    /// The refresh grant (RFC 6749 §6). With `rotate`, the old refresh token
    /// is retired and a new one issued (GitHub); without, the same refresh
    /// token stays valid and only an access token is issued (Google).
    pub fn refresh(
        &mut self,
        refresh_token: &str,
        rotate: bool,
        style: &TokenStyle,
        lifetimes: Lifetimes,
        now: i64,
    ) -> Result<(Authorization, Issued), RefreshError> {
        let record = self
            .refresh
            .get_mut(&token_hash(refresh_token))
            .ok_or(RefreshError::Unknown)?;
        if record.rotated {
            let chain = record.chain.clone();
            self.revoke_chain(&chain);
            return Err(RefreshError::Reused);
        }
        if record.expires_at <= now {
            return Err(RefreshError::Expired);
        }
        let authorization = record.authorization.clone();
        let chain = record.chain.clone();
        if rotate {
            record.rotated = true;
            let issued = self.issue_tokens(&authorization, Some(chain), style, lifetimes, now);
            Ok((authorization, issued))
        } else {
            let access_only = Authorization {
                offline: false,
                ..authorization.clone()
            };
            let issued = self.issue_tokens(&access_only, Some(chain), style, lifetimes, now);
            Ok((authorization, issued))
        }
    }

    /// What an unredeemed code grants, without redeeming it.
    pub fn code_authorization(&self, code: &str) -> Option<Authorization> {
        let record = self.codes.get(&token_hash(code))?;
        (!record.redeemed).then(|| record.authorization.clone())
    }

    /// What a refresh token grants, without using it.
    pub fn refresh_authorization(&self, refresh_token: &str) -> Option<Authorization> {
        let record = self.refresh.get(&token_hash(refresh_token))?;
        Some(record.authorization.clone())
    }

    /// The access token's grant, if the token is known and unexpired.
    pub fn access(&self, access_token: &str, now: i64) -> Option<ValidAccess> {
        let hash = token_hash(access_token);
        let record = self.access.get(&hash)?;
        (record.expires_at > now).then(|| ValidAccess {
            authorization: record.authorization.clone(),
            token_hash: hash,
            expires_at: record.expires_at,
        })
    }

    /// Hashes of every unexpired access token.
    pub fn live_access_hashes(&self, now: i64) -> Vec<String> {
        self.access
            .iter()
            .filter(|(_, r)| r.expires_at > now)
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// Revokes every token of one grant.
    pub fn revoke_chain(&mut self, chain: &str) {
        self.access.retain(|_, r| r.chain != chain);
        self.refresh.retain(|_, r| r.chain != chain);
    }

    /// Revokes the grant an access or refresh token belongs to (RFC 7009 §2.1:
    /// revoking a refresh token also invalidates its access tokens; Google
    /// revokes the whole grant either way). False when the token is unknown.
    pub fn revoke_grant_of(&mut self, token: &str) -> bool {
        let hash = token_hash(token);
        let chain = self
            .access
            .get(&hash)
            .map(|r| r.chain.clone())
            .or_else(|| self.refresh.get(&hash).map(|r| r.chain.clone()));
        match chain {
            Some(chain) => {
                self.revoke_chain(&chain);
                true
            }
            None => false,
        }
    }

    /// Revokes one access token only. False when the token is unknown.
    pub fn revoke_access_token(&mut self, token: &str) -> bool {
        self.access.remove(&token_hash(token)).is_some()
    }

    /// Revokes every token one person granted to the client.
    pub fn revoke_person(&mut self, person: &str) {
        let theirs = |a: &Authorization| a.person.as_deref() == Some(person);
        self.access.retain(|_, r| !theirs(&r.authorization));
        self.refresh.retain(|_, r| !theirs(&r.authorization));
    }

    /// Knob: every refresh token stops working.
    pub fn revoke_all_refresh_tokens(&mut self) {
        self.refresh.clear();
    }

    /// Knob: every access token expires now (refresh tokens still work).
    pub fn expire_all_access_tokens(&mut self, now: i64) {
        for record in self.access.values_mut() {
            record.expires_at = record.expires_at.min(now);
        }
    }

    /// Forgets what can no longer be used. Redeemed codes and rotated
    /// refresh tokens are kept until they expire, to recognise a replay.
    pub fn prune(&mut self, now: i64) {
        self.codes.retain(|_, r| r.expires_at > now);
        self.access.retain(|_, r| r.expires_at > now);
        self.refresh.retain(|_, r| r.expires_at > now);
    }
}

/// [`Grants`] behind a lock, saved to a state file after every change so
/// that issued tokens survive a restart.
#[derive(Debug)]
pub struct GrantStore {
    path: PathBuf,
    grants: Mutex<Grants>,
}

impl GrantStore {
    /// Loads the grants saved at `path`, or starts empty.
    pub fn open(path: PathBuf) -> anyhow::Result<Self> {
        let mut grants: Grants = state_file::load(&path)?;
        grants.prune(super::now());
        Ok(Self {
            path,
            grants: Mutex::new(grants),
        })
    }

    /// Reads the grants.
    pub fn read<R>(&self, f: impl FnOnce(&Grants) -> R) -> R {
        f(&lock(&self.grants))
    }

    /// Changes the grants and saves them. The file is written while the lock
    /// is held, so saves land in the order the changes happened.
    pub fn update<R>(&self, f: impl FnOnce(&mut Grants) -> R) -> R {
        let mut grants = lock(&self.grants);
        let result = f(&mut grants);
        grants.prune(super::now());
        if let Err(e) = state_file::save(&self.path, &*grants) {
            // The running server keeps working; only a restart would forget.
            tracing::warn!(path = %self.path.display(), error = %e, "cannot save demo grants");
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLE: TokenStyle = TokenStyle {
        code_prefix: "",
        code_len: 20,
        access_prefix: "at_",
        access_len: 20,
        refresh_prefix: "rt_",
        refresh_len: 20,
    };
    const LIFE: Lifetimes = Lifetimes {
        access: 100,
        refresh: 1000,
    };
    const NOW: i64 = 1_700_000_000;

    fn ada(offline: bool) -> Authorization {
        Authorization {
            person: Some("ada".into()),
            scope: "read:user".into(),
            nonce: None,
            offline,
            dpop_jkt: None,
        }
    }

    fn exchange(grants: &mut Grants) -> Issued {
        let code = grants.issue_code(ada(true), "http://a/cb", None, &STYLE, NOW);
        let (auth, chain) = grants
            .redeem_code(&code, Some("http://a/cb"), None, NOW)
            .unwrap();
        grants.issue_tokens(&auth, Some(chain), &STYLE, LIFE, NOW)
    }

    #[test]
    fn a_code_works_once_and_its_replay_revokes_the_tokens_it_gave() {
        let mut grants = Grants::default();
        let code = grants.issue_code(ada(true), "http://a/cb", None, &STYLE, NOW);
        let (auth, chain) = grants.redeem_code(&code, None, None, NOW).unwrap();
        let issued = grants.issue_tokens(&auth, Some(chain), &STYLE, LIFE, NOW);
        assert!(grants.access(&issued.access_token, NOW).is_some());
        assert_eq!(
            grants.redeem_code(&code, None, None, NOW),
            Err(CodeError::Reused)
        );
        assert!(grants.access(&issued.access_token, NOW).is_none());
    }

    #[test]
    fn a_code_expires_after_ten_minutes() {
        let mut grants = Grants::default();
        let code = grants.issue_code(ada(false), "http://a/cb", None, &STYLE, NOW);
        assert_eq!(
            grants.redeem_code(&code, None, None, NOW + CODE_TTL_SECS),
            Err(CodeError::Expired)
        );
    }

    #[test]
    fn a_code_checks_redirect_uri_and_pkce_and_is_spent_by_a_failed_try() {
        let mut grants = Grants::default();
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = pkce::s256(verifier);
        let code = grants.issue_code(ada(false), "http://a/cb", Some(&challenge), &STYLE, NOW);
        assert_eq!(
            grants.redeem_code(&code, Some("http://evil/cb"), Some(verifier), NOW),
            Err(CodeError::RedirectMismatch)
        );
        assert_eq!(
            grants.redeem_code(&code, Some("http://a/cb"), Some(verifier), NOW),
            Err(CodeError::Reused)
        );
        let code = grants.issue_code(ada(false), "http://a/cb", Some(&challenge), &STYLE, NOW);
        assert_eq!(
            grants.redeem_code(&code, None, None, NOW),
            Err(CodeError::Pkce(PkceError::MissingVerifier))
        );
        let code = grants.issue_code(ada(false), "http://a/cb", Some(&challenge), &STYLE, NOW);
        assert!(grants.redeem_code(&code, None, Some(verifier), NOW).is_ok());
    }

    #[test]
    fn rotation_retires_the_old_refresh_token_and_reuse_revokes_the_chain() {
        let mut grants = Grants::default();
        let first = exchange(&mut grants);
        let old_refresh = first.refresh_token.unwrap();
        let (_, second) = grants
            .refresh(&old_refresh, true, &STYLE, LIFE, NOW + 10)
            .unwrap();
        let new_refresh = second.refresh_token.clone().unwrap();
        assert_ne!(new_refresh, old_refresh);
        assert!(grants.access(&second.access_token, NOW + 10).is_some());

        assert_eq!(
            grants
                .refresh(&old_refresh, true, &STYLE, LIFE, NOW + 20)
                .unwrap_err(),
            RefreshError::Reused
        );
        assert!(grants.access(&second.access_token, NOW + 20).is_none());
        assert_eq!(
            grants
                .refresh(&new_refresh, true, &STYLE, LIFE, NOW + 20)
                .unwrap_err(),
            RefreshError::Unknown
        );
    }

    #[test]
    fn without_rotation_the_refresh_token_stays_valid() {
        let mut grants = Grants::default();
        let first = exchange(&mut grants);
        let refresh = first.refresh_token.unwrap();
        for _ in 0..2 {
            let (_, issued) = grants.refresh(&refresh, false, &STYLE, LIFE, NOW).unwrap();
            assert!(issued.refresh_token.is_none());
        }
    }

    #[test]
    fn knobs_expire_access_tokens_and_revoke_refresh_tokens() {
        let mut grants = Grants::default();
        let issued = exchange(&mut grants);
        grants.expire_all_access_tokens(NOW);
        assert!(grants.access(&issued.access_token, NOW).is_none());
        let refresh = issued.refresh_token.unwrap();
        assert!(grants.refresh(&refresh, false, &STYLE, LIFE, NOW).is_ok());
        grants.revoke_all_refresh_tokens();
        assert_eq!(
            grants
                .refresh(&refresh, false, &STYLE, LIFE, NOW)
                .unwrap_err(),
            RefreshError::Unknown
        );
    }

    #[test]
    fn revoking_a_refresh_token_revokes_its_access_tokens() {
        let mut grants = Grants::default();
        let issued = exchange(&mut grants);
        assert!(grants.revoke_grant_of(issued.refresh_token.as_deref().unwrap()));
        assert!(grants.access(&issued.access_token, NOW).is_none());
        assert!(!grants.revoke_grant_of("unknown"));
    }

    #[test]
    fn the_store_keeps_grants_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grants.json");
        let now = super::super::now();
        let store = GrantStore::open(path.clone()).unwrap();
        let issued = store.update(|g| g.issue_tokens(&ada(true), None, &STYLE, LIFE, now));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(&issued.access_token),
            "tokens are stored hashed"
        );
        let reopened = GrantStore::open(path).unwrap();
        assert!(
            reopened
                .read(|g| g.access(&issued.access_token, now))
                .is_some()
        );
    }
}
