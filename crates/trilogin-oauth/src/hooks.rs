//! The storage hooks: how the client layer loads and saves one person's
//! tokens without knowing where they live (Authlib's `fetch_token` /
//! `update_token`).
//!
//! A refresh is a compare-and-swap: `update_token` gets the token it
//! replaces, so storage shared by several app processes keeps exactly one
//! refreshed token and tells the losers which one won.

use async_trait::async_trait;

use super::error::Result;
use super::token::{OAuth2Token, Token};

/// What storage did with a refreshed token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one answer per refresh, moved once and never stored; a Box would cost an allocation in every storage implementation"
)]
pub enum UpdateOutcome {
    /// The old token was still current and has been replaced by the new one.
    Saved,
    /// Another process replaced the old token first; this is its token,
    /// which the caller uses instead of its own.
    Superseded(OAuth2Token),
}

/// The answer to a request to refresh a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshClaim {
    /// Go ahead and refresh.
    Granted,
    /// Another process is refreshing this token: wait, then fetch again.
    Busy,
}

/// One person's token storage, as the client layer sees it.
///
/// # Examples
///
/// One person's token kept in memory, replaced only while it is the one a
/// refresh started from:
///
/// ```
/// use std::sync::Mutex;
///
/// use trilogin_oauth::{OAuth2Token, Result, Token, TokenHooks, UpdateOutcome};
///
/// struct OneToken(Mutex<Option<OAuth2Token>>);
///
/// #[async_trait::async_trait]
/// impl TokenHooks for OneToken {
///     async fn fetch_token(&self, _client_name: &str) -> Result<Option<Token>> {
///         let stored = self.0.lock().unwrap_or_else(|e| e.into_inner());
///         Ok(stored.clone().map(Token::OAuth2))
///     }
///
///     async fn update_token(
///         &self,
///         _client_name: &str,
///         new: &OAuth2Token,
///         old: &OAuth2Token,
///     ) -> Result<UpdateOutcome> {
///         let mut stored = self.0.lock().unwrap_or_else(|e| e.into_inner());
///         match stored.as_ref() {
///             Some(current) if current.access_token != old.access_token => {
///                 Ok(UpdateOutcome::Superseded(current.clone()))
///             }
///             _ => {
///                 *stored = Some(new.clone());
///                 Ok(UpdateOutcome::Saved)
///             }
///         }
///     }
/// }
/// ```
#[async_trait]
pub trait TokenHooks: Send + Sync {
    /// The stored token of the client registered as `client_name`, if the
    /// person connected it.
    async fn fetch_token(&self, client_name: &str) -> Result<Option<Token>>;

    /// Replaces `old` with `new`, if `old` is still the stored token
    /// (compare-and-swap).
    async fn update_token(
        &self,
        client_name: &str,
        new: &OAuth2Token,
        old: &OAuth2Token,
    ) -> Result<UpdateOutcome>;

    /// Asks for a short lease on refreshing `old`, for storage shared by
    /// several processes. The default grants it: the compare-and-swap in
    /// [`update_token`](Self::update_token) alone then keeps the data right,
    /// but a provider that rotates refresh tokens may see two refreshes.
    async fn claim_refresh(&self, client_name: &str, old: &OAuth2Token) -> Result<RefreshClaim> {
        let _ = (client_name, old);
        Ok(RefreshClaim::Granted)
    }

    /// Gives back a claim that [`claim_refresh`](Self::claim_refresh)
    /// granted, after a refresh that failed: the next request may try again
    /// at once instead of waiting for the claim to lapse. The default does
    /// nothing (its claims are never held).
    async fn release_refresh(&self, client_name: &str, old: &OAuth2Token) -> Result<()> {
        let _ = (client_name, old);
        Ok(())
    }
}
