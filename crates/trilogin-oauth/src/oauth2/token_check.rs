//! The check every received token passes before the client returns or
//! saves it: where a protocol built on OAuth 2 adds its own validation.
//! OpenID Connect validates its ID tokens here (`oidc`), on the code
//! exchange and on every refresh, including the refreshes on access that
//! happen deep inside a resource request; it also has each login send a
//! `nonce`, which the check gets back with the code exchange.

use time::OffsetDateTime;

use super::OAuth2Client;
use crate::error::Result;
use crate::secret::Nonce;
use crate::token::OAuth2Token;

/// How a token was obtained, with what its check needs to know about it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Grant<'a> {
    /// The code exchange at the end of a login (RFC 6749 §4.1.3).
    AuthorizationCode {
        /// The `nonce` the login sent, when the check asked for one
        /// ([`TokenCheck::login_nonce`]).
        nonce: Option<&'a Nonce>,
    },
    /// A refresh (RFC 6749 §6).
    RefreshToken {
        /// The token being replaced.
        replaced: &'a OAuth2Token,
    },
    /// The resource owner's password (RFC 6749 §4.3).
    Password,
    /// The client's own credentials (RFC 6749 §4.4).
    ClientCredentials,
}

/// Validates, and may complete, each token a client receives from the
/// token endpoint, before anything else sees it. An error refuses the
/// token: the login fails, or the refresh does and the old token stays.
///
/// The check is given the client it runs for, so that it can use the
/// client's configuration, metadata and HTTP client without owning them.
///
/// # Examples
///
/// A client that refuses a token unless the provider granted `repo`:
///
/// ```
/// use std::sync::Arc;
///
/// use time::OffsetDateTime;
/// use trilogin_oauth::oauth2::{Grant, TokenCheck};
/// use trilogin_oauth::secret::ClientSecret;
/// use trilogin_oauth::{ClientConfig, Error, OAuth2Client, OAuth2Token, Result};
///
/// #[derive(Debug)]
/// struct NeedsRepoScope;
///
/// #[async_trait::async_trait]
/// impl TokenCheck for NeedsRepoScope {
///     async fn check(
///         &self,
///         _client: &OAuth2Client,
///         token: &mut OAuth2Token,
///         _grant: Grant<'_>,
///         _now: OffsetDateTime,
///     ) -> Result<()> {
///         // GitHub separates the granted scopes with commas.
///         let scopes = token.scope.as_deref().unwrap_or_default();
///         if scopes.split([',', ' ']).any(|s| s == "repo") {
///             Ok(())
///         } else {
///             Err(Error::Config("the provider did not grant the repo scope".into()))
///         }
///     }
/// }
///
/// let http = trilogin_oauth::http::build_client("my-app/1.0", std::time::Duration::from_secs(10))?;
/// let config = ClientConfig {
///     client_id: "my-client".into(),
///     client_secret: Some(ClientSecret::new("my-secret")),
///     authorize_url: url::Url::parse("https://github.com/login/oauth/authorize").ok(),
///     access_token_url: url::Url::parse("https://github.com/login/oauth/access_token").ok(),
///     scope: Some("repo".into()),
///     ..ClientConfig::default()
/// };
/// let github = OAuth2Client::with_token_check("github", config, http, Arc::new(NeedsRepoScope))?;
/// # Ok::<(), Error>(())
/// ```
#[async_trait::async_trait]
pub trait TokenCheck: Send + Sync + std::fmt::Debug {
    /// A fresh `nonce` for a login that `client` starts, sent with the
    /// authorization request and kept with the pending login; the check
    /// receives it again in [`Grant::AuthorizationCode`]. None by default.
    fn login_nonce(&self, client: &OAuth2Client) -> Option<Nonce> {
        let _ = client;
        None
    }

    /// Checks `token`, obtained through `grant` and received at `now`.
    async fn check(
        &self,
        client: &OAuth2Client,
        token: &mut OAuth2Token,
        grant: Grant<'_>,
        now: OffsetDateTime,
    ) -> Result<()>;
}
