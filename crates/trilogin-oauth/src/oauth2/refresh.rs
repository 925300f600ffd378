//! Refreshing tokens (RFC 6749 §6) on access, once per token however many
//! requests need it at the same moment.
//!
//! In one process, a refresh takes an async lock keyed by the client and a
//! hash of the refresh token, then fetches the stored token again: whoever
//! waited behind the lock finds the refreshed token and uses it. Across
//! processes, `claim_refresh` leases the refresh and `update_token` is a
//! compare-and-swap, so a provider that rotates refresh tokens never sees
//! one used twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{Grant, OAuth2Client};
use crate::error::{Error, Result};
use crate::hooks::{RefreshClaim, TokenHooks, UpdateOutcome};
use crate::http::required;
use crate::token::{OAuth2Token, Token};

/// How often a refresh that another process holds is waited for.
const BUSY_ATTEMPTS: u32 = 20;
/// How long each wait lasts.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

/// One async lock per token being refreshed in this process.
#[derive(Debug, Default)]
pub(super) struct RefreshLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl RefreshLocks {
    fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(key.to_owned()).or_default())
    }

    /// Forgets the lock of `key` once nobody holds or waits for it.
    fn release(&self, key: &str, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut locks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        drop(lock);
        if locks.get(key).is_some_and(|l| Arc::strong_count(l) == 1) {
            locks.remove(key);
        }
    }
}

/// True when `current` is no longer the token `old` (someone refreshed it).
fn replaced(current: &OAuth2Token, old: &OAuth2Token) -> bool {
    current.access_token != old.access_token || current.refresh_token != old.refresh_token
}

impl OAuth2Client {
    /// Exchanges the refresh token of `token` for a new token at
    /// `refresh_token_url` (or the token endpoint), with the same client
    /// authentication and, for a DPoP-bound token, a proof by its key, and passes the answer through the client's
    /// [`TokenCheck`](super::TokenCheck), if any. The old refresh token,
    /// scope and ID token are kept when the answer brings none.
    /// `invalid_grant` means the grant is gone:
    /// [`Error::ReauthorizationRequired`].
    ///
    /// This alone does not save the new token nor guard against concurrent
    /// refreshes; resource requests use [`token`](Self::token), which does.
    ///
    /// # Errors
    ///
    /// [`Error::ReauthorizationRequired`] without a refresh token or on
    /// `invalid_grant`; [`Error::Provider`], [`Error::Transport`] and
    /// [`Error::UnexpectedResponse`] for other failures of the call; whatever
    /// the token check refuses.
    #[tracing::instrument(skip_all, fields(client = %self.name()))]
    pub async fn refresh_token(&self, token: &OAuth2Token) -> Result<OAuth2Token> {
        let refresh_token =
            token
                .refresh_token
                .as_ref()
                .ok_or_else(|| Error::ReauthorizationRequired {
                    reason: "the token has no refresh token".into(),
                })?;
        let endpoints = self.endpoints().await?;
        let url = required(endpoints.refresh.as_ref(), "token endpoint")?;
        let form = vec![
            ("grant_type".to_owned(), "refresh_token".to_owned()),
            (
                "refresh_token".to_owned(),
                refresh_token.secret().to_owned(),
            ),
        ];
        let now = OffsetDateTime::now_utc();
        let hooks = (
            self.config.compliance.refresh_token_request.as_ref(),
            self.config.compliance.refresh_token_response.as_ref(),
        );
        // The same key: a refresh token may be bound to it (RFC 9449 §5).
        let dpop = token.dpop_key.as_ref();
        let result = self.token_request(url, form, hooks, dpop, now).await;
        let mut new = match result {
            Err(Error::Provider {
                error, description, ..
            }) if error == "invalid_grant" => {
                return Err(Error::ReauthorizationRequired {
                    reason: description.unwrap_or(error),
                });
            }
            other => other?,
        };
        self.bind_token(&mut new, token.dpop_key.clone())?;
        self.check_token(&mut new, Grant::RefreshToken { replaced: token }, now)
            .await?;
        // An ID token kept from the old token keeps its claims with it.
        let (id_token, id_token_claims) = match new.id_token {
            Some(id_token) => (Some(id_token), new.id_token_claims),
            None => (token.id_token.clone(), token.id_token_claims.clone()),
        };
        Ok(OAuth2Token {
            refresh_token: new.refresh_token.or_else(|| token.refresh_token.clone()),
            scope: new.scope.or_else(|| token.scope.clone()),
            id_token,
            id_token_claims,
            ..new
        })
    }

    /// The person's current token through `hooks`, refreshed first when it
    /// expires within `leeway` and can be refreshed.
    ///
    /// # Errors
    ///
    /// [`Error::NotConnected`] when no token is stored, [`Error::Storage`] when
    /// the hooks fail or hold an OAuth 1 token, and the refresh's errors
    /// ([`refresh_token`](Self::refresh_token)).
    #[tracing::instrument(skip_all, fields(client = %self.name()))]
    pub async fn token(&self, hooks: &dyn TokenHooks) -> Result<OAuth2Token> {
        let token = self.stored_token(hooks).await?;
        if token.needs_refresh(OffsetDateTime::now_utc(), self.config.leeway)
            && token.is_refreshable()
        {
            self.refresh_once(hooks, &token).await
        } else {
            Ok(token)
        }
    }

    /// Refreshes the person's token now, whatever its expiry (an account
    /// page's "Refresh now"), through the same single flight and
    /// compare-and-swap as a refresh on access. A refresh that another
    /// request finished meanwhile counts: its token is returned.
    ///
    /// # Errors
    ///
    /// As [`refresh_once`](Self::refresh_once), and [`Error::NotConnected`]
    /// when no token is stored.
    pub async fn refresh_now(&self, hooks: &dyn TokenHooks) -> Result<OAuth2Token> {
        let token = self.stored_token(hooks).await?;
        self.refresh_once(hooks, &token).await
    }

    async fn stored_token(&self, hooks: &dyn TokenHooks) -> Result<OAuth2Token> {
        match hooks.fetch_token(&self.name).await? {
            Some(Token::OAuth2(token)) => Ok(token),
            Some(Token::OAuth1(_)) => Err(Error::Storage(format!(
                "the stored {} token is an OAuth 1 token",
                self.name
            ))),
            None => Err(Error::NotConnected(self.name.clone())),
        }
    }

    /// Replaces `old`, the person's stored token in `hooks`, by a refreshed
    /// token, once: concurrent callers in this process wait for the first
    /// and use its result; other processes are kept out by `claim_refresh`
    /// and the compare-and-swap of `update_token`. For a call that the
    /// provider refused with `old` (a 401), as [`request`](Self::request)
    /// does.
    ///
    /// # Errors
    ///
    /// [`Error::ReauthorizationRequired`] when `old` has no refresh token or the
    /// grant is gone; [`Error::Storage`] when the hooks fail, or another process
    /// holds the refresh for too long; the refresh's other errors
    /// ([`refresh_token`](Self::refresh_token)).
    pub async fn refresh_once(
        &self,
        hooks: &dyn TokenHooks,
        old: &OAuth2Token,
    ) -> Result<OAuth2Token> {
        let Some(refresh_token) = &old.refresh_token else {
            return Err(Error::ReauthorizationRequired {
                reason: "the token has no refresh token".into(),
            });
        };
        let digest = hex::encode(Sha256::digest(refresh_token.secret().as_bytes()));
        let key = format!("{}:{digest}", self.name);
        let lock = self.refresh_locks.lock_for(&key);
        let result = {
            let _guard = lock.lock().await;
            self.refresh_locked(hooks, old).await
        };
        self.refresh_locks.release(&key, lock);
        result
    }

    async fn refresh_locked(
        &self,
        hooks: &dyn TokenHooks,
        old: &OAuth2Token,
    ) -> Result<OAuth2Token> {
        let mut attempts = 0;
        loop {
            let current = self.stored_token(hooks).await?;
            if replaced(&current, old) {
                tracing::debug!("the token was refreshed by another request meanwhile");
                return Ok(current);
            }
            match hooks.claim_refresh(&self.name, old).await? {
                RefreshClaim::Granted => break,
                RefreshClaim::Busy if attempts < BUSY_ATTEMPTS => {
                    attempts += 1;
                    tokio::time::sleep(BUSY_WAIT).await;
                }
                RefreshClaim::Busy => {
                    return Err(Error::Storage(format!(
                        "another process has been refreshing the {} token for too long",
                        self.name
                    )));
                }
            }
        }
        let new = match self.refresh_token(old).await {
            Ok(new) => new,
            Err(error) => {
                // A refusal or an outage must not keep the claim: the next
                // request tries again at once rather than after the lease.
                if let Err(release) = hooks.release_refresh(&self.name, old).await {
                    tracing::warn!(error = %release, "cannot release the refresh claim");
                }
                return Err(error);
            }
        };
        match hooks.update_token(&self.name, &new, old).await? {
            UpdateOutcome::Saved => {
                tracing::info!("refreshed the access token");
                Ok(new)
            }
            UpdateOutcome::Superseded(winner) => {
                tracing::info!("another process refreshed first; using its token");
                Ok(winner)
            }
        }
    }
}
