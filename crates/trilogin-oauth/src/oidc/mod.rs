//! OpenID Connect as a layer over the OAuth 2.0 client's public API: an
//! [`OidcClient`] is an [`OAuth2Client`] in which an [`IdTokenValidator`]
//! is installed as the [`TokenCheck`](crate::oauth2::TokenCheck): its
//! logins send a nonce, and every token it receives, at login or on
//! refresh, has its ID token validated with the provider's key set. On top
//! come userinfo and RP-initiated logout.
//!
//! The provider's metadata document is shared with OAuth 2
//! ([`discovery`](crate::discovery)); what only OpenID Connect reads from
//! it (key set, userinfo and logout endpoints, signing algorithms) is read
//! here.

pub mod claims_options;
pub mod id_token;
pub mod jwks;
mod logout;
mod userinfo;

pub use crate::claims::{IdTokenClaims, UserInfo};
pub use crate::discovery::ProviderMetadata;
pub use id_token::IdTokenValidator;

use std::sync::Arc;

use url::Url;

use crate::config::ClientConfig;
use crate::error::Result;
use crate::http::configured_or_discovered;
use crate::oauth2::OAuth2Client;

/// A registered OpenID Connect client: the OAuth 2 client it wraps, with
/// the ID token validator (and its key-set cache) installed in it.
///
/// Logins, resource requests, refreshes and revocation go through
/// [`oauth2`](Self::oauth2) (or the registry's [`Client`](crate::Client)),
/// whose every received token passes the validator.
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
    pub fn new(name: &str, mut config: ClientConfig, http: reqwest::Client) -> Result<Self> {
        // What the ID token is checked for is asked for first (OIDC Core
        // §3.1.2.1); an explicit authorize parameter of the same name wins.
        if let Some(max_age) = config.max_age {
            config
                .authorize_params
                .entry("max_age".to_owned())
                .or_insert_with(|| max_age.whole_seconds().to_string());
        }
        if let Some(acr_values) = &config.acr_values {
            config
                .authorize_params
                .entry("acr_values".to_owned())
                .or_insert_with(|| acr_values.clone());
        }
        let validator = Arc::new(IdTokenValidator::new(config.metadata_ttl));
        let oauth2 = OAuth2Client::with_token_check(name, config, http, validator.clone())?;
        Ok(Self { oauth2, validator })
    }

    /// The OAuth 2 client underneath, for logins, resource requests,
    /// refreshes and revocation.
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

    /// An OpenID Connect endpoint: configured, else discovered (and then
    /// held to the endpoint rule).
    async fn endpoint(
        &self,
        configured: Option<&Url>,
        discovered: fn(&ProviderMetadata) -> Option<&Url>,
    ) -> Result<Option<Url>> {
        let metadata = self.oauth2.server_metadata().await?;
        configured_or_discovered(
            configured,
            metadata.as_deref().and_then(discovered),
            self.config().allow_insecure_http,
        )
    }
}
