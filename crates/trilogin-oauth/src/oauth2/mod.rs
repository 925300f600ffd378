//! The OAuth 2.0 client (RFC 6749): authorization code flow with PKCE,
//! token endpoint calls with client authentication, refresh on access with
//! single flight, protected resource requests and revocation.
//!
//! OpenID Connect (`oidc`) is a layer over this module's public API: it
//! installs a [`TokenCheck`] that has each login send a nonce and validates
//! the ID token of every token received. Nothing here depends on it.

mod authorize;
mod grants;
mod par;
mod proofs;
mod refresh;
mod resource;
mod revoke;
pub mod token_check;
pub mod token_response;

use std::sync::Arc;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use time::OffsetDateTime;
use url::Url;

use super::client_auth::ClientAuth;
use super::compliance::{RequestHook, TokenAnswerHook};
use super::config::ClientConfig;
use super::discovery::{MetadataCache, ProviderMetadata};
use super::dpop::{DpopKey, DpopNonces};
use super::error::{Error, Result};
use super::http::{ForProvider as _, check_endpoint, configured_or_discovered};
use super::rate_limit::RateLimits;
use super::token::OAuth2Token;

pub use authorize::PendingLogin;
pub use token_check::{Grant, TokenCheck};

/// A registered OAuth 2.0 client.
#[derive(Debug)]
pub struct OAuth2Client {
    name: String,
    config: ClientConfig,
    http: reqwest::Client,
    auth: ClientAuth,
    metadata: MetadataCache,
    token_check: Option<Arc<dyn TokenCheck>>,
    refresh_locks: refresh::RefreshLocks,
    rate_limits: RateLimits,
    dpop_nonces: DpopNonces,
}

/// The OAuth 2 endpoints of a client: configured values win over
/// discovered ones.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Endpoints {
    /// The authorization endpoint (RFC 6749 §3.1).
    pub authorize: Option<Url>,
    /// The token endpoint (RFC 6749 §3.2).
    pub token: Option<Url>,
    /// Where refreshes go: `refresh_token_url`, else the token endpoint.
    pub refresh: Option<Url>,
    /// The revocation endpoint (RFC 7009 §2).
    pub revocation: Option<Url>,
    /// The issuer identifier (RFC 8414 §2, RFC 9207 §2).
    pub issuer: Option<String>,
    /// The provider's metadata document, when it has one.
    pub metadata: Option<Arc<ProviderMetadata>>,
}

impl OAuth2Client {
    /// A client named `name` (the registry key, also the storage key) with
    /// `config`, sending through the shared `http` client. Configured
    /// endpoints are checked here; discovered ones when they are found.
    ///
    /// A scope that asks for `openid` is refused: its ID tokens would go
    /// unchecked. OpenID Connect clients are built by
    /// [`OidcClient::new`](crate::OidcClient::new) (or the registry), which
    /// installs the check through [`with_token_check`](Self::with_token_check).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a scope asking for `openid`, an empty `client_id`,
    /// an insecure endpoint, or client authentication that cannot be set up
    /// ([`ClientAuth::from_config`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use trilogin_oauth::secret::ClientSecret;
    /// use trilogin_oauth::{ClientConfig, Error, OAuth2Client};
    /// use url::Url;
    ///
    /// let http = trilogin_oauth::http::build_client("my-app/1.0", std::time::Duration::from_secs(10))?;
    /// let config = ClientConfig {
    ///     client_id: "my-client".into(),
    ///     client_secret: Some(ClientSecret::new("my-secret")),
    ///     authorize_url: Url::parse("https://github.com/login/oauth/authorize").ok(),
    ///     access_token_url: Url::parse("https://github.com/login/oauth/access_token").ok(),
    ///     scope: Some("read:user".into()),
    ///     ..ClientConfig::default()
    /// };
    /// let github = OAuth2Client::new("github", config.clone(), http.clone())?;
    /// assert_eq!(github.name(), "github");
    ///
    /// let openid = ClientConfig { scope: Some("openid".into()), ..config };
    /// assert!(matches!(OAuth2Client::new("p", openid, http), Err(Error::Config(_))));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(name: &str, config: ClientConfig, http: reqwest::Client) -> Result<Self> {
        if config.is_oidc() {
            return Err(Error::Config(format!(
                "{name}: the scope asks for openid; an OpenID Connect client validates its ID tokens"
            )));
        }
        Self::build(name, config, http, None)
    }

    /// A client like [`new`](Self::new) whose received tokens all pass
    /// `check` first, the code exchange's and every refresh's, and whose
    /// logins send the nonce `check` asks for.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new), but a scope asking for `openid` is allowed.
    pub fn with_token_check(
        name: &str,
        config: ClientConfig,
        http: reqwest::Client,
        check: Arc<dyn TokenCheck>,
    ) -> Result<Self> {
        Self::build(name, config, http, Some(check))
    }

    fn build(
        name: &str,
        config: ClientConfig,
        http: reqwest::Client,
        token_check: Option<Arc<dyn TokenCheck>>,
    ) -> Result<Self> {
        for url in [
            &config.authorize_url,
            &config.access_token_url,
            &config.refresh_token_url,
            &config.api_base_url,
            &config.server_metadata_url,
            &config.userinfo_endpoint,
            &config.jwks_uri,
            &config.revocation_endpoint,
            &config.end_session_endpoint,
            &config.pushed_authorization_request_endpoint,
        ]
        .into_iter()
        .flatten()
        {
            check_endpoint(url, config.allow_insecure_http)?;
        }
        if config.client_id.is_empty() {
            return Err(Error::Config(format!("{name}: client_id is missing")));
        }
        let auth = ClientAuth::from_config(&config)?;
        let http = crate::http::client_for(&config, http)?;
        Ok(Self {
            name: name.to_owned(),
            metadata: MetadataCache::new(config.metadata_ttl),
            token_check,
            auth,
            config,
            http,
            refresh_locks: refresh::RefreshLocks::default(),
            rate_limits: RateLimits::default(),
            dpop_nonces: DpopNonces::default(),
        })
    }

    /// The name the client was registered under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client's configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The HTTP client this client sends through: the shared one, or its
    /// own when it has a `proxy`.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The provider's discovery document, fetched on first use and cached
    /// for `metadata_ttl`; `None` without a `server_metadata_url`.
    ///
    /// # Errors
    ///
    /// As [`MetadataCache::get`].
    pub async fn server_metadata(&self) -> Result<Option<Arc<ProviderMetadata>>> {
        match &self.config.server_metadata_url {
            Some(url) => self
                .metadata
                .get(&self.http, url, &self.config)
                .await
                .map(Some),
            None => Ok(None),
        }
    }

    /// The client's endpoints and issuer, from its configuration and,
    /// for what it leaves out, its provider's metadata.
    ///
    /// # Errors
    ///
    /// Discovery's errors ([`server_metadata`](Self::server_metadata)), and
    /// [`Error::Config`] for a discovered endpoint that breaks the endpoint
    /// rule.
    pub async fn endpoints(&self) -> Result<Endpoints> {
        let metadata = self.server_metadata().await?;
        let c = &self.config;
        let m = metadata.as_deref();
        let pick = |configured: &Option<Url>, discovered: Option<&Option<Url>>| {
            configured_or_discovered(
                configured.as_ref(),
                discovered.and_then(Option::as_ref),
                c.allow_insecure_http,
            )
        };
        let token = pick(&c.access_token_url, m.map(|m| &m.token_endpoint))?;
        Ok(Endpoints {
            authorize: pick(&c.authorize_url, m.map(|m| &m.authorization_endpoint))?,
            refresh: c.refresh_token_url.clone().or_else(|| token.clone()),
            token,
            revocation: pick(&c.revocation_endpoint, m.map(|m| &m.revocation_endpoint))?,
            issuer: c.issuer.clone().or_else(|| m.map(|m| m.issuer.clone())),
            metadata,
        })
    }

    /// Runs the installed [`TokenCheck`] on a received token.
    async fn check_token(
        &self,
        token: &mut OAuth2Token,
        grant: Grant<'_>,
        now: OffsetDateTime,
    ) -> Result<()> {
        match &self.token_check {
            Some(check) => check.check(self, token, grant, now).await,
            None => Ok(()),
        }
    }

    /// POSTs a form to a token-type endpoint with client authentication
    /// (and a DPoP proof by `dpop`, if given) and reads the token from the
    /// answer, received at `now`.
    async fn token_request(
        &self,
        url: &Url,
        form: Vec<(String, String)>,
        hooks: (Option<&RequestHook>, Option<&TokenAnswerHook>),
        dpop: Option<&DpopKey>,
        now: OffsetDateTime,
    ) -> Result<OAuth2Token> {
        let (request_hook, answer_hook) = hooks;
        let (status, content_type, body) = self.post_form(url, form, request_hook, dpop).await?;
        token_response::parse_token_response(
            status,
            content_type.as_deref(),
            &body,
            answer_hook,
            now,
        )
    }

    /// POSTs an authenticated form, with a DPoP proof by `dpop` if given
    /// (sent again once with the server's nonce when it asks for one);
    /// returns status, content type and body.
    async fn post_form(
        &self,
        url: &Url,
        form: Vec<(String, String)>,
        request_hook: Option<&RequestHook>,
        dpop: Option<&DpopKey>,
    ) -> Result<(u16, Option<String>, String)> {
        let mut retried = false;
        loop {
            let request = self.form_request(url, form.clone(), request_hook)?;
            let request = self.with_proof(request, dpop, None)?;
            let response = self.http.execute(request).await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let fresh_nonce = self.dpop_nonces.remember(url, &headers);
            let content_type = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response.text().await?;
            if dpop.is_some()
                && fresh_nonce
                && !retried
                && crate::dpop::asks_for_nonce(status, &headers, Some(&body))
            {
                retried = true;
                continue;
            }
            return Ok((status, content_type, body));
        }
    }

    /// An authenticated form POST, built afresh for each attempt: a JWT
    /// client assertion must not be sent twice.
    fn form_request(
        &self,
        url: &Url,
        mut form: Vec<(String, String)>,
        request_hook: Option<&RequestHook>,
    ) -> Result<reqwest::Request> {
        let auth = self.auth.parts(url, OffsetDateTime::now_utc())?;
        // A pushed authorization request names its client_id already.
        for (name, value) in auth.form {
            if !form.iter().any(|(n, _)| *n == name) {
                form.push((name, value));
            }
        }
        let mut builder = self
            .http
            .post(url.clone())
            .header(ACCEPT, "application/json")
            .form(&form)
            .for_provider(&self.config);
        if let Some(authorization) = auth.authorization {
            builder = builder.header(AUTHORIZATION, authorization);
        }
        let mut request = builder.build()?;
        if let Some(hook) = request_hook {
            hook(&mut request);
        }
        Ok(request)
    }
}
