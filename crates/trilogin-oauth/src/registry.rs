//! The `OAuth` registry (Authlib's `OAuth()` object): clients registered by
//! name, each OAuth 1, OAuth 2 or OpenID Connect by its configuration, all
//! called the same way by the site.

use std::collections::BTreeMap;
use std::sync::Arc;

use url::Url;

use super::config::ClientConfig;
use super::error::{Error, Result};
use super::hooks::TokenHooks;
use super::oauth1::OAuth1Client;
use super::oauth2::OAuth2Client;
use super::oidc::OidcClient;
use super::request::ApiRequest;
use super::session::LoginSession;
use super::token::Token;

/// The registry of named clients, sharing one HTTP client.
#[derive(Debug)]
pub struct OAuth {
    http: reqwest::Client,
    clients: BTreeMap<String, Client>,
}

/// A registered client of either protocol.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Client {
    /// An OAuth 1.0a client (its configuration has a `request_token_url`).
    OAuth1(Arc<OAuth1Client>),
    /// An OAuth 2.0 client.
    OAuth2(Arc<OAuth2Client>),
    /// An OpenID Connect client (its scope asks for `openid`).
    Oidc(Arc<OidcClient>),
}

/// What a registered client does is decided by its protocol; an OpenID
/// Connect client logs in, calls and refreshes as the OAuth 2 client under
/// it, which validates its ID tokens.
enum Protocol<'a> {
    OAuth1(&'a OAuth1Client),
    OAuth2(&'a OAuth2Client),
}

impl OAuth {
    /// An empty registry whose clients send through `http` (see
    /// [`build_client`](super::http::build_client): no redirects, timeouts).
    #[must_use]
    pub fn new(http: reqwest::Client) -> Self {
        Self {
            http,
            clients: BTreeMap::new(),
        }
    }

    /// Registers `config` under `name`, replacing any client of that name.
    /// Endpoints are checked (https, or loopback), keys are loaded; a bad
    /// configuration fails here, at start-up.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a configuration the client refuses (see
    /// [`OAuth1Client::new`], [`OAuth2Client::new`], [`OidcClient::new`]).
    ///
    /// # Examples
    ///
    /// A scope that asks for `openid` makes an OpenID Connect client. Nothing is
    /// fetched yet: discovery waits for the first login.
    ///
    /// ```
    /// use trilogin_oauth::secret::ClientSecret;
    /// use trilogin_oauth::{ClientConfig, Error, OAuth};
    /// use url::Url;
    ///
    /// let http = trilogin_oauth::http::build_client("my-app/1.0", std::time::Duration::from_secs(10))?;
    /// let mut oauth = OAuth::new(http);
    /// let google = ClientConfig {
    ///     client_id: "my-client".into(),
    ///     client_secret: Some(ClientSecret::new("my-secret")),
    ///     server_metadata_url: Url::parse("https://accounts.google.com/.well-known/openid-configuration").ok(),
    ///     scope: Some("openid email".into()),
    ///     ..ClientConfig::default()
    /// };
    /// oauth.register("google", google.clone())?;
    /// assert!(oauth.client("google").is_some_and(|c| c.as_oidc().is_some()));
    ///
    /// // A provider endpoint over plain http, off loopback, is refused at once.
    /// let insecure = ClientConfig {
    ///     server_metadata_url: Url::parse("http://accounts.example/.well-known/openid-configuration").ok(),
    ///     ..google
    /// };
    /// assert!(matches!(oauth.register("other", insecure), Err(Error::Config(_))));
    /// assert_eq!(oauth.names().collect::<Vec<_>>(), ["google"]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn register(&mut self, name: &str, config: ClientConfig) -> Result<()> {
        let http = self.http.clone();
        let client = if config.is_oauth1() {
            Client::OAuth1(Arc::new(OAuth1Client::new(name, config, http)?))
        } else if config.is_oidc() {
            Client::Oidc(Arc::new(OidcClient::new(name, config, http)?))
        } else {
            Client::OAuth2(Arc::new(OAuth2Client::new(name, config, http)?))
        };
        self.clients.insert(name.to_owned(), client);
        Ok(())
    }

    /// The client registered as `name`.
    #[must_use]
    pub fn client(&self, name: &str) -> Option<&Client> {
        self.clients.get(name)
    }

    /// The names of the registered clients.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.clients.keys().map(String::as_str)
    }
}

impl Client {
    /// The name the client was registered under.
    #[must_use]
    pub fn name(&self) -> &str {
        match self.protocol() {
            Protocol::OAuth1(c) => c.name(),
            Protocol::OAuth2(c) => c.name(),
        }
    }

    /// The client's configuration.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        match self.protocol() {
            Protocol::OAuth1(c) => c.config(),
            Protocol::OAuth2(c) => c.config(),
        }
    }

    /// The OAuth 2.0 client, also the one under an OpenID Connect client,
    /// for refresh and metadata calls.
    #[must_use]
    pub fn as_oauth2(&self) -> Option<&OAuth2Client> {
        match self.protocol() {
            Protocol::OAuth2(c) => Some(c),
            Protocol::OAuth1(_) => None,
        }
    }

    /// The OpenID Connect client, for userinfo and logout.
    #[must_use]
    pub fn as_oidc(&self) -> Option<&OidcClient> {
        match self {
            Client::Oidc(c) => Some(c),
            Client::OAuth1(_) | Client::OAuth2(_) => None,
        }
    }

    /// The OAuth 1.0a client.
    #[must_use]
    pub fn as_oauth1(&self) -> Option<&OAuth1Client> {
        match self.protocol() {
            Protocol::OAuth1(c) => Some(c),
            Protocol::OAuth2(_) => None,
        }
    }

    /// The client by the protocol it speaks, an OpenID Connect client as
    /// the OAuth 2 client under it.
    fn protocol(&self) -> Protocol<'_> {
        match self {
            Client::OAuth1(c) => Protocol::OAuth1(c),
            Client::OAuth2(c) => Protocol::OAuth2(c),
            Client::Oidc(c) => Protocol::OAuth2(c.oauth2()),
        }
    }

    /// Starts a login: saves what the callback must match in `session` and
    /// returns the provider URL to redirect the browser to, with `extra`
    /// parameters added to it.
    ///
    /// # Errors
    ///
    /// As the client's own `authorize_redirect`
    /// ([`OAuth1Client::authorize_redirect`],
    /// [`OAuth2Client::authorize_redirect`]).
    pub async fn authorize_redirect(
        &self,
        session: &dyn LoginSession,
        redirect_uri: &str,
        extra: &[(&str, &str)],
    ) -> Result<Url> {
        match self.protocol() {
            Protocol::OAuth1(c) => {
                let mut url = c.authorize_redirect(session, redirect_uri).await?;
                if !extra.is_empty() {
                    url.query_pairs_mut().extend_pairs(extra);
                }
                Ok(url)
            }
            Protocol::OAuth2(c) => c.authorize_redirect(session, redirect_uri, extra).await,
        }
    }

    /// Finishes a login from the callback's query (or `form_post` form)
    /// parameters and returns the new token.
    ///
    /// # Errors
    ///
    /// As the client's own `authorize_access_token`.
    pub async fn authorize_access_token(
        &self,
        session: &dyn LoginSession,
        callback_params: &BTreeMap<String, String>,
    ) -> Result<Token> {
        match self.protocol() {
            Protocol::OAuth1(c) => c
                .authorize_access_token(session, callback_params)
                .await
                .map(Token::OAuth1),
            Protocol::OAuth2(c) => c
                .authorize_access_token(session, callback_params)
                .await
                .map(Token::OAuth2),
        }
    }

    /// Sends `request` with the person's token from `hooks`; OAuth 2 tokens
    /// are refreshed on access, OAuth 1 tokens are signed with. A request
    /// with `withhold_token` set goes without it, and needs none stored.
    ///
    /// # Errors
    ///
    /// [`Error::NotConnected`] when no token is stored, [`Error::Storage`] when
    /// it is of the other protocol; the client's own `request` errors.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn example(oauth: &trilogin_oauth::OAuth, hooks: &dyn trilogin_oauth::TokenHooks) -> trilogin_oauth::Result<()> {
    /// use trilogin_oauth::ApiRequest;
    ///
    /// let github = oauth.client("github").expect("registered at start-up");
    /// let request = ApiRequest::get("user/repos").query("per_page", "100");
    /// let response = github.request(&request, hooks).await?;
    /// let repos: serde_json::Value = response.json().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn request(
        &self,
        request: &ApiRequest,
        hooks: &dyn TokenHooks,
    ) -> Result<reqwest::Response> {
        match self.protocol() {
            Protocol::OAuth1(c) if request.withhold_token => c.request_without_token(request).await,
            Protocol::OAuth1(c) => match hooks.fetch_token(c.name()).await? {
                Some(Token::OAuth1(token)) => c.request(request, &token).await,
                Some(Token::OAuth2(_)) => Err(Error::Storage(format!(
                    "the stored {} token is an OAuth 2 token",
                    c.name()
                ))),
                None => Err(Error::NotConnected(c.name().to_owned())),
            },
            Protocol::OAuth2(c) => c.request(request, hooks).await,
        }
    }

    /// Revokes `token` at the provider where it offers revocation (RFC 7009
    /// for OAuth 2; OAuth 1.0a defines none); `false` when it does not.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a token of the other protocol; as
    /// [`OAuth2Client::revoke_token`].
    pub async fn revoke_token(&self, token: &Token) -> Result<bool> {
        match (self.protocol(), token) {
            (Protocol::OAuth2(c), Token::OAuth2(t)) => c.revoke_token(t).await,
            (Protocol::OAuth1(_), Token::OAuth1(_)) => Ok(false),
            _ => Err(Error::Config(format!(
                "the {} client cannot revoke a token of the other OAuth version",
                self.name()
            ))),
        }
    }
}

crate::request::api_verbs_through_request!(Client);
