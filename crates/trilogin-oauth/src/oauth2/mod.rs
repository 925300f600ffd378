//! The OAuth 2.0 client (RFC 6749): authorization code flow with PKCE,
//! token endpoint calls with client authentication, refresh on access with
//! single flight, protected resource requests and revocation. OpenID
//! Connect (`oidc`) builds on it.

mod authorize;
mod refresh;
mod resource;
mod revoke;
pub mod token_response;

use std::sync::Arc;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use time::OffsetDateTime;
use url::Url;

use super::client_auth::ClientAuth;
use super::compliance::{RequestHook, TokenAnswerHook};
use super::config::ClientConfig;
use super::error::{Error, Result};
use super::http::{ProviderTimeout as _, check_endpoint};
use super::oidc::discovery::{MetadataCache, ProviderMetadata};
use super::oidc::jwks::JwksCache;
use super::token::OAuth2Token;

pub use authorize::PendingLogin;

/// Key in [`OAuth2Token::extra`] under which a login puts the validated ID
/// token claims (as Authlib's `token['userinfo']`).
pub const USERINFO_KEY: &str = "userinfo";

/// A registered OAuth 2.0 / OpenID Connect client.
#[derive(Debug)]
pub struct OAuth2Client {
    name: String,
    config: ClientConfig,
    http: reqwest::Client,
    auth: ClientAuth,
    metadata: MetadataCache,
    jwks: JwksCache,
    refresh_locks: refresh::RefreshLocks,
}

/// The endpoints of a client: configured values win over discovered ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct Endpoints {
    pub authorize: Option<Url>,
    pub token: Option<Url>,
    pub refresh: Option<Url>,
    pub userinfo: Option<Url>,
    pub jwks_uri: Option<Url>,
    pub revocation: Option<Url>,
    pub end_session: Option<Url>,
    pub issuer: Option<String>,
    pub metadata: Option<Arc<ProviderMetadata>>,
}

impl Endpoints {
    fn required<'a>(url: &'a Option<Url>, what: &str) -> Result<&'a Url> {
        url.as_ref()
            .ok_or_else(|| Error::Config(format!("no {what} configured or discovered")))
    }
}

impl OAuth2Client {
    /// A client named `name` (the registry key, also the storage key) with
    /// `config`, sending through the shared `http` client. Configured
    /// endpoints are checked here; discovered ones when they are found.
    pub fn new(name: &str, config: ClientConfig, http: reqwest::Client) -> Result<Self> {
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
        Ok(Self {
            name: name.to_owned(),
            metadata: MetadataCache::new(config.metadata_ttl),
            jwks: JwksCache::new(config.metadata_ttl),
            auth,
            config,
            http,
            refresh_locks: refresh::RefreshLocks::default(),
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

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn jwks(&self) -> &JwksCache {
        &self.jwks
    }

    /// True when the configured scope asks for OpenID Connect.
    pub fn is_oidc(&self) -> bool {
        self.config
            .scope
            .as_deref()
            .is_some_and(|s| s.split_whitespace().any(|s| s == "openid"))
    }

    /// The provider's discovery document, fetched on first use and cached
    /// for `metadata_ttl`; `None` without a `server_metadata_url`.
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

    pub(crate) async fn endpoints(&self) -> Result<Endpoints> {
        let metadata = self.server_metadata().await?;
        let c = &self.config;
        let m = metadata.as_deref();
        let pick =
            |configured: &Option<Url>, discovered: Option<&Option<Url>>| -> Result<Option<Url>> {
                if let Some(url) = configured {
                    return Ok(Some(url.clone()));
                }
                match discovered.and_then(Option::as_ref) {
                    Some(url) => {
                        check_endpoint(url, c.allow_insecure_http)?;
                        Ok(Some(url.clone()))
                    }
                    None => Ok(None),
                }
            };
        let token = pick(&c.access_token_url, m.map(|m| &m.token_endpoint))?;
        Ok(Endpoints {
            authorize: pick(&c.authorize_url, m.map(|m| &m.authorization_endpoint))?,
            refresh: c.refresh_token_url.clone().or_else(|| token.clone()),
            token,
            userinfo: pick(&c.userinfo_endpoint, m.map(|m| &m.userinfo_endpoint))?,
            jwks_uri: pick(&c.jwks_uri, m.map(|m| &m.jwks_uri))?,
            revocation: pick(&c.revocation_endpoint, m.map(|m| &m.revocation_endpoint))?,
            end_session: pick(&c.end_session_endpoint, m.map(|m| &m.end_session_endpoint))?,
            issuer: c.issuer.clone().or_else(|| m.map(|m| m.issuer.clone())),
            metadata,
        })
    }

    /// POSTs a form to a token-type endpoint with client authentication and
    /// reads the token from the answer.
    async fn token_request(
        &self,
        url: &Url,
        form: Vec<(String, String)>,
        request_hook: Option<&RequestHook>,
        answer_hook: Option<&TokenAnswerHook>,
    ) -> Result<OAuth2Token> {
        let (status, content_type, body) = self.post_form(url, form, request_hook).await?;
        token_response::parse_token_response(
            status,
            content_type.as_deref(),
            &body,
            answer_hook,
            OffsetDateTime::now_utc(),
        )
    }

    /// POSTs an authenticated form; returns status, content type and body.
    async fn post_form(
        &self,
        url: &Url,
        mut form: Vec<(String, String)>,
        request_hook: Option<&RequestHook>,
    ) -> Result<(u16, Option<String>, String)> {
        let auth = self.auth.parts(url, OffsetDateTime::now_utc())?;
        form.extend(auth.form);
        let mut builder = self
            .http
            .post(url.clone())
            .header(ACCEPT, "application/json")
            .form(&form)
            .provider_timeout(self.config.timeout);
        if let Some(authorization) = auth.authorization {
            builder = builder.header(AUTHORIZATION, authorization);
        }
        let mut request = builder.build()?;
        if let Some(hook) = request_hook {
            hook(&mut request);
        }
        let response = self.http.execute(request).await?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await?;
        Ok((status, content_type, body))
    }
}
