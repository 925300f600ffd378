//! OpenID Connect as a layer over the OAuth 2.0 client's public API: an
//! [`OidcClient`] is an [`OAuth2Client`] whose logins send a nonce and
//! whose received tokens all pass ID token validation ([`IdTokenValidator`],
//! with the provider's key set), plus userinfo and RP-initiated logout.
//!
//! The provider's metadata document is shared with OAuth 2
//! ([`discovery`](crate::discovery)); what only OpenID Connect reads from
//! it (key set, userinfo and logout endpoints, signing algorithms) is read
//! here.

pub mod id_token;
pub mod jwks;
mod logout;
mod userinfo;

pub use crate::claims::{IdTokenClaims, UserInfo};
pub use crate::discovery::ProviderMetadata;
pub use id_token::IdTokenValidator;

use std::collections::BTreeMap;
use std::sync::Arc;

use url::Url;

use crate::config::ClientConfig;
use crate::error::Result;
use crate::http::configured_or_discovered;
use crate::oauth2::OAuth2Client;
use crate::secret::{Nonce, random_token};
use crate::session::LoginSession;
use crate::token::OAuth2Token;

/// A registered OpenID Connect client: the OAuth 2 client it wraps, with
/// the ID token validator (and its key-set cache) installed in it.
///
/// Logins go through [`authorize_redirect`](Self::authorize_redirect) and
/// [`authorize_access_token`](Self::authorize_access_token); resource
/// requests, refreshes and revocation through [`oauth2`](Self::oauth2),
/// whose refreshes validate their ID tokens too.
#[derive(Debug)]
pub struct OidcClient {
    oauth2: OAuth2Client,
    validator: Arc<IdTokenValidator>,
}

impl OidcClient {
    /// A client named `name` with `config`, sending through `http`. The
    /// OpenID Connect checks (nonce, ID token required at login) apply when
    /// the scope asks for `openid`; without it the client is OAuth 2 with
    /// userinfo and logout, for a provider whose profile endpoint the
    /// `userinfo` compliance hook maps onto standard claims.
    ///
    /// # Errors
    ///
    /// As [`OAuth2Client::with_token_check`].
    ///
    /// # Examples
    ///
    /// ```
    /// use trilogin_oauth::secret::ClientSecret;
    /// use trilogin_oauth::{ClientConfig, OidcClient};
    /// use url::Url;
    ///
    /// let http = trilogin_oauth::http::build_client("my-app/1.0", std::time::Duration::from_secs(10))?;
    /// let config = ClientConfig {
    ///     client_id: "my-client".into(),
    ///     client_secret: Some(ClientSecret::new("my-secret")),
    ///     server_metadata_url: Url::parse("https://accounts.google.com/.well-known/openid-configuration").ok(),
    ///     scope: Some("openid email profile".into()),
    ///     ..ClientConfig::default()
    /// };
    /// let google = OidcClient::new("google", config, http)?;
    /// assert!(google.config().is_oidc());
    /// assert_eq!(google.oauth2().name(), "google");
    /// # Ok::<(), trilogin_oauth::Error>(())
    /// ```
    pub fn new(name: &str, config: ClientConfig, http: reqwest::Client) -> Result<Self> {
        let validator = Arc::new(IdTokenValidator::new(config.metadata_ttl));
        let oauth2 = OAuth2Client::with_token_check(name, config, http, validator.clone())?;
        Ok(Self { oauth2, validator })
    }

    /// The OAuth 2 client underneath, for resource requests, refreshes and
    /// revocation.
    pub fn oauth2(&self) -> &OAuth2Client {
        &self.oauth2
    }

    /// The name the client was registered under.
    pub fn name(&self) -> &str {
        self.oauth2.name()
    }

    /// The client's configuration.
    pub fn config(&self) -> &ClientConfig {
        self.oauth2.config()
    }

    /// Starts a login as [`OAuth2Client::authorize_redirect`] does, with a
    /// fresh `nonce` when the scope asks for `openid` (OIDC Core §3.1.2.1).
    ///
    /// # Errors
    ///
    /// As [`OAuth2Client::authorize_redirect_with_nonce`].
    pub async fn authorize_redirect(
        &self,
        session: &dyn LoginSession,
        redirect_uri: &str,
        extra: &[(&str, &str)],
    ) -> Result<Url> {
        // 32 random bytes, like the state: a nonce nobody can guess binds
        // the ID token to this login and no other.
        let nonce = self
            .config()
            .is_oidc()
            .then(|| Nonce::new(random_token(32)));
        self.oauth2
            .authorize_redirect_with_nonce(session, redirect_uri, extra, nonce)
            .await
    }

    /// Finishes a login as [`OAuth2Client::authorize_access_token`] does;
    /// a login that sent a nonce must bring back an ID token, which is
    /// validated, and its claims kept on the token.
    ///
    /// # Errors
    ///
    /// As [`OAuth2Client::authorize_access_token`], and
    /// [`Error::InvalidIdToken`](crate::Error::InvalidIdToken) for a missing or
    /// invalid ID token.
    pub async fn authorize_access_token(
        &self,
        session: &dyn LoginSession,
        params: &BTreeMap<String, String>,
    ) -> Result<OAuth2Token> {
        self.oauth2.authorize_access_token(session, params).await
    }

    /// The provider's metadata document, if it has one.
    ///
    /// # Errors
    ///
    /// As [`OAuth2Client::server_metadata`].
    pub async fn server_metadata(&self) -> Result<Option<Arc<ProviderMetadata>>> {
        self.oauth2.server_metadata().await
    }

    /// An OpenID Connect endpoint: configured, else discovered (and then
    /// held to the endpoint rule).
    async fn endpoint(
        &self,
        configured: Option<&Url>,
        discovered: fn(&ProviderMetadata) -> Option<&Url>,
    ) -> Result<Option<Url>> {
        let metadata = self.server_metadata().await?;
        configured_or_discovered(
            configured,
            metadata.as_deref().and_then(discovered),
            self.config().allow_insecure_http,
        )
    }
}
