//! The OAuth 1.0a client ([RFC 5849]): the three-legged login of §2 and
//! signed resource requests of §3, with the same caller-facing API as the
//! OAuth 2 client (`authorize_redirect`, `authorize_access_token`,
//! `request` / `get` / `post`).
//!
//! Signing is in [`signature`] and takes its nonce and timestamp as inputs;
//! this module adds the clock, the randomness, the HTTP calls and the pending
//! request token kept in the browser's server-side session.
//!
//! [RFC 5849]: https://www.rfc-editor.org/rfc/rfc5849

pub mod encoding;
pub mod response;
pub mod signature;

use std::collections::BTreeMap;

use reqwest::Method;
use reqwest::header::AUTHORIZATION;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;
use url::Url;

use self::response::{parse_temporary_credentials, parse_token_credentials};
use self::signature::{ProtocolParams, Secrets, Signer, SigningOptions, Unsigned, sign_request};
use super::config::ClientConfig;
use super::error::{Error, Result};
use super::http::{ForProvider as _, check_endpoint};
use super::pending::PendingLogins;
use super::request::ApiRequest;
use super::secret::{TokenSecret, random_token};
use super::session::LoginSession;
use super::token::OAuth1Token;

/// Random bytes in each `oauth_nonce`: 256 bits, well past the 128 a nonce
/// needs to never repeat for one timestamp (RFC 5849 §3.3).
const NONCE_BYTES: usize = 32;

/// The request token waiting in the session for its callback.
#[derive(Serialize, Deserialize)]
struct PendingRequestToken {
    oauth_token: String,
    oauth_token_secret: TokenSecret,
}

/// An OAuth 1.0a client registered under a name (Twitter's, or any RFC 5849
/// provider's). Built once at start-up and shared; it holds no per-user state.
#[derive(Debug)]
pub struct OAuth1Client {
    name: String,
    config: ClientConfig,
    http: reqwest::Client,
    signer: Signer,
    request_token_url: Url,
    authorize_url: Url,
    access_token_url: Url,
}

impl OAuth1Client {
    /// Checks `config` and builds the client registered as `name`.
    ///
    /// The three endpoints are required and must be https (loopback and
    /// `allow_insecure_http` aside, see [`check_endpoint`]); HMAC and
    /// `PLAINTEXT` need `client_secret`; `RSA-SHA1` reads `rsa_key_file` now,
    /// so a bad key fails at start-up rather than at the first login.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an empty `client_id`, a missing or insecure
    /// endpoint, a missing `client_secret`, or an unusable RSA key.
    ///
    /// # Examples
    ///
    /// ```
    /// use trilogin_oauth::oauth1::OAuth1Client;
    /// use trilogin_oauth::secret::ClientSecret;
    /// use trilogin_oauth::{ClientConfig, Error};
    /// use url::Url;
    ///
    /// let http = trilogin_oauth::http::build_client("my-app/1.0", std::time::Duration::from_secs(10))?;
    /// let config = ClientConfig {
    ///     client_id: "consumer-key".into(),
    ///     client_secret: Some(ClientSecret::new("consumer-secret")),
    ///     request_token_url: Url::parse("https://api.twitter.com/oauth/request_token").ok(),
    ///     authorize_url: Url::parse("https://api.twitter.com/oauth/authenticate").ok(),
    ///     access_token_url: Url::parse("https://api.twitter.com/oauth/access_token").ok(),
    ///     ..ClientConfig::default()
    /// };
    /// assert!(config.is_oauth1());
    /// let twitter = OAuth1Client::new("twitter", config.clone(), http.clone())?;
    ///
    /// let no_secret = ClientConfig { client_secret: None, ..config };
    /// assert!(matches!(OAuth1Client::new("twitter", no_secret, http), Err(Error::Config(_))));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(name: &str, config: ClientConfig, http: reqwest::Client) -> Result<Self> {
        if config.client_id.is_empty() {
            return Err(Error::Config(format!("{name}: client_id is empty")));
        }
        let endpoint = |url: &Option<Url>, what: &str| -> Result<Url> {
            let url = url
                .clone()
                .ok_or_else(|| Error::Config(format!("{name}: {what} is not set")))?;
            check_endpoint(&url, config.allow_insecure_http)?;
            Ok(url)
        };
        let request_token_url = endpoint(&config.request_token_url, "request_token_url")?;
        let authorize_url = endpoint(&config.authorize_url, "authorize_url")?;
        let access_token_url = endpoint(&config.access_token_url, "access_token_url")?;
        if let Some(api_base_url) = &config.api_base_url {
            check_endpoint(api_base_url, config.allow_insecure_http)?;
        }
        let http = crate::http::client_for(&config, http)?;
        let signer = Signer::from_config(config.signature_method, config.rsa_key_file.as_deref())?;
        if !matches!(signer, Signer::RsaSha1(_)) && config.client_secret.is_none() {
            return Err(Error::Config(format!(
                "{name}: {} needs client_secret",
                signer.name()
            )));
        }
        Ok(Self {
            name: name.to_owned(),
            config,
            http,
            signer,
            request_token_url,
            authorize_url,
            access_token_url,
        })
    }

    /// The name the client is registered under.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The configuration the client was built from.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Starts a login: obtains temporary credentials with `redirect_uri` as
    /// `oauth_callback` ([RFC 5849 §2.1]), keeps the request token and its
    /// secret in the session (single use, expiring, keyed by the token), and
    /// returns the authorization URL to redirect the browser to (§2.2).
    ///
    /// `request_token_params` travel as signed query parameters of the
    /// request-token call; `authorize_params` are added to the returned URL.
    ///
    /// [RFC 5849 §2.1]: https://www.rfc-editor.org/rfc/rfc5849#section-2.1
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] when the provider cannot be reached,
    /// [`Error::Provider`] or [`Error::UnexpectedResponse`] when it refuses the
    /// request-token call or answers it badly, [`Error::Session`] when the
    /// pending login cannot be saved.
    #[tracing::instrument(skip_all, fields(client = %self.name))]
    pub async fn authorize_redirect(
        &self,
        session: &dyn LoginSession,
        redirect_uri: &str,
    ) -> Result<Url> {
        let url = with_query(&self.request_token_url, &self.config.request_token_params);
        let mut params = self.protocol_params(None);
        params.callback = Some(redirect_uri.to_owned());
        let response = self
            .send(Method::POST, url, Some(Vec::new()), None, &[], &params, "")
            .await?;
        let (status, body) = read(response).await?;
        let credentials = parse_temporary_credentials(status, &body)?;

        // The secret stays server-side: the session store is on the server,
        // the cookie carries only the session id.
        let pending = PendingRequestToken {
            oauth_token: credentials.token.clone(),
            oauth_token_secret: credentials.secret,
        };
        PendingLogins::new(session, &self.name)
            .save(&credentials.token, &pending, OffsetDateTime::now_utc())
            .await?;

        let mut authorize = with_query(&self.authorize_url, &self.config.authorize_params);
        authorize
            .query_pairs_mut()
            .append_pair("oauth_token", &credentials.token);
        Ok(authorize)
    }

    /// Finishes a login from the callback's query parameters: Twitter's
    /// `denied=` is [`Error::AccessDenied`]; an `oauth_token` that is not a
    /// pending request token of this session (unknown, expired, already used)
    /// is [`Error::StateMismatch`]; otherwise the request token and
    /// `oauth_verifier` are exchanged for token credentials ([RFC 5849 §2.3]),
    /// with every extra field of the answer (`user_id`, `screen_name`) kept.
    ///
    /// [RFC 5849 §2.3]: https://www.rfc-editor.org/rfc/rfc5849#section-2.3
    ///
    /// # Errors
    ///
    /// [`Error::AccessDenied`] and [`Error::StateMismatch`] as above;
    /// [`Error::Provider`] for a callback without `oauth_verifier` or a refused
    /// exchange; [`Error::Transport`], [`Error::UnexpectedResponse`] and
    /// [`Error::Session`] as for any call.
    #[tracing::instrument(skip_all, fields(client = %self.name))]
    pub async fn authorize_access_token(
        &self,
        session: &dyn LoginSession,
        params: &BTreeMap<String, String>,
    ) -> Result<OAuth1Token> {
        let pending = PendingLogins::new(session, &self.name);
        let now = OffsetDateTime::now_utc();
        if let Some(denied) = params.get("denied") {
            // The refused request token is spent as well.
            pending.take::<PendingRequestToken>(denied, now).await?;
            return Err(Error::AccessDenied {
                error: "access_denied".into(),
                description: None,
            });
        }
        let returned = params.get("oauth_token").ok_or(Error::StateMismatch)?;
        let stored: PendingRequestToken = pending
            .take(returned, now)
            .await?
            .ok_or(Error::StateMismatch)?;
        // The lookup went by hash; the token itself is compared in constant time.
        if !bool::from(stored.oauth_token.as_bytes().ct_eq(returned.as_bytes())) {
            return Err(Error::StateMismatch);
        }
        let verifier = params
            .get("oauth_verifier")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::Provider {
                error: "invalid_callback".into(),
                description: Some("the callback carries no oauth_verifier".into()),
                status: 0,
                body: String::new(),
            })?;

        let url = with_query(&self.access_token_url, &self.config.access_token_params);
        let mut protocol = self.protocol_params(Some(&stored.oauth_token));
        protocol.verifier = Some(verifier.clone());
        let response = self
            .send(
                Method::POST,
                url,
                Some(Vec::new()),
                None,
                &[],
                &protocol,
                stored.oauth_token_secret.secret(),
            )
            .await?;
        let (status, body) = read(response).await?;
        parse_token_credentials(status, &body)
    }

    /// Sends `req` signed with `token` ([RFC 5849 §3]), or with the client's
    /// credentials alone when `req.withhold_token` is set. A relative path is
    /// joined to `api_base_url`. A 401 means the token was revoked or has
    /// expired; OAuth 1 tokens do not refresh, so it is
    /// [`Error::ReauthorizationRequired`] with the provider's body. Any other
    /// status is the caller's to read.
    ///
    /// [RFC 5849 §3]: https://www.rfc-editor.org/rfc/rfc5849#section-3
    ///
    /// # Errors
    ///
    /// [`Error::ReauthorizationRequired`] for a 401, [`Error::Transport`] when
    /// the provider cannot be reached, [`Error::Config`] for a request with both
    /// a form and a JSON body, or a path that cannot be resolved.
    pub async fn request(
        &self,
        req: &ApiRequest,
        token: &OAuth1Token,
    ) -> Result<reqwest::Response> {
        self.send_api(req, (!req.withhold_token).then_some(token))
            .await
    }

    /// Sends `req` signed with the client's credentials alone, with no
    /// token (`withhold_token`), for a public endpoint. A 401 is the
    /// caller's to read: there is no token to reauthorize.
    ///
    /// # Errors
    ///
    /// As [`request`](Self::request), without the 401 case.
    pub async fn request_without_token(&self, req: &ApiRequest) -> Result<reqwest::Response> {
        self.send_api(req, None).await
    }

    #[tracing::instrument(skip_all, fields(client = %self.name, path = %req.path))]
    async fn send_api(
        &self,
        req: &ApiRequest,
        token: Option<&OAuth1Token>,
    ) -> Result<reqwest::Response> {
        if req.form.is_some() && req.json.is_some() {
            return Err(Error::Config(
                "a request has either a form body or a JSON body".into(),
            ));
        }
        let mut url = self.resolve(&req.path)?;
        if !req.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&req.query);
        }
        let protocol = self.protocol_params(token.map(|t| t.oauth_token.secret()));
        let response = self
            .send(
                req.method.clone(),
                url,
                req.form.clone(),
                req.json.as_ref(),
                &req.headers,
                &protocol,
                token.map_or("", |t| t.oauth_token_secret.secret()),
            )
            .await?;
        if token.is_some() && response.status() == reqwest::StatusCode::UNAUTHORIZED {
            let body = response.text().await.unwrap_or_default();
            tracing::info!(%body, "the provider refused the token");
            return Err(Error::ReauthorizationRequired {
                reason: format!("401 Unauthorized: {body}"),
            });
        }
        Ok(response)
    }

    /// `GET path` signed with `token`.
    ///
    /// # Errors
    ///
    /// As [`request`](Self::request).
    pub async fn get(&self, path: &str, token: &OAuth1Token) -> Result<reqwest::Response> {
        self.request(&ApiRequest::get(path), token).await
    }

    /// `POST path` with a form body, signed with `token` (the form
    /// parameters are part of the signature).
    ///
    /// # Errors
    ///
    /// As [`request`](Self::request).
    pub async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
        token: &OAuth1Token,
    ) -> Result<reqwest::Response> {
        let mut req = ApiRequest::post(path);
        req.form = Some(
            form.iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        );
        self.request(&req, token).await
    }

    fn protocol_params(&self, token: Option<&str>) -> ProtocolParams {
        ProtocolParams {
            consumer_key: self.config.client_id.clone(),
            token: token.map(str::to_owned),
            nonce: random_token(NONCE_BYTES),
            timestamp: OffsetDateTime::now_utc().unix_timestamp(),
            callback: None,
            verifier: None,
        }
    }

    fn resolve(&self, path: &str) -> Result<Url> {
        if path.starts_with("https://") || path.starts_with("http://") {
            let url = Url::parse(path)
                .map_err(|e| Error::Config(format!("{path} is not a valid URL: {e}")))?;
            check_endpoint(&url, self.config.allow_insecure_http)?;
            return Ok(url);
        }
        let base = self.config.api_base_url.as_ref().ok_or_else(|| {
            Error::Config(format!(
                "{}: api_base_url is not set, so {path} cannot be resolved",
                self.name
            ))
        })?;
        base.join(path)
            .map_err(|e| Error::Config(format!("cannot join {path} to {base}: {e}")))
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one private call site per request kind; a struct would only rename them"
    )]
    async fn send(
        &self,
        method: Method,
        url: Url,
        form: Option<Vec<(String, String)>>,
        json: Option<&serde_json::Value>,
        headers: &[(String, String)],
        protocol: &ProtocolParams,
        token_secret: &str,
    ) -> Result<reqwest::Response> {
        let options = SigningOptions {
            signer: &self.signer,
            signature_type: self.config.signature_type,
            realm: self.config.realm.as_deref(),
        };
        let unsigned = Unsigned {
            method: method.as_str(),
            url: &url,
            form: form.as_deref(),
        };
        let secrets = Secrets {
            client: self
                .config
                .client_secret
                .as_ref()
                .map_or("", |s| s.secret()),
            token: token_secret,
        };
        let signed = sign_request(&options, unsigned, protocol, secrets)?;

        let mut builder = self
            .http
            .request(method, signed.url)
            .for_provider(&self.config);
        for (name, value) in headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(authorization) = signed.authorization {
            builder = builder.header(AUTHORIZATION, authorization);
        }
        if let Some(form) = signed.form {
            builder = builder.form(&form);
        } else if let Some(json) = json {
            builder = builder.json(json);
        }
        Ok(builder.send().await?)
    }
}

/// `url` with `params` appended to its query (left untouched when empty, so
/// no stray `?` appears).
fn with_query(url: &Url, params: &BTreeMap<String, String>) -> Url {
    let mut url = url.clone();
    if !params.is_empty() {
        url.query_pairs_mut().extend_pairs(params);
    }
    url
}

async fn read(response: reqwest::Response) -> Result<(u16, String)> {
    let status = response.status().as_u16();
    let body = response.text().await?;
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SignatureMethod;
    use crate::secret::ClientSecret;
    use crate::session::MemoryLoginSession;

    #[expect(
        clippy::unnecessary_wraps,
        reason = "it fills the configuration's optional endpoint fields"
    )]
    fn url(s: &str) -> Option<Url> {
        Some(Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}")))
    }

    fn config() -> ClientConfig {
        ClientConfig {
            client_id: "consumer".into(),
            client_secret: Some(ClientSecret::new("secret")),
            request_token_url: url("https://api.example.com/oauth/request_token"),
            authorize_url: url("https://api.example.com/oauth/authenticate"),
            access_token_url: url("https://api.example.com/oauth/access_token"),
            api_base_url: url("https://api.example.com/1.1/"),
            ..ClientConfig::default()
        }
    }

    fn client(config: ClientConfig) -> Result<OAuth1Client> {
        OAuth1Client::new("twitter", config, reqwest::Client::new())
    }

    #[test]
    fn a_complete_configuration_builds_a_client() {
        let client = client(config()).unwrap();
        assert_eq!(client.name(), "twitter");
        assert_eq!(client.config().client_id, "consumer");
    }

    #[test]
    fn every_endpoint_is_required() {
        let without = |f: fn(&mut ClientConfig)| {
            let mut c = config();
            f(&mut c);
            client(c)
        };
        assert!(matches!(
            without(|c| c.request_token_url = None),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            without(|c| c.authorize_url = None),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            without(|c| c.access_token_url = None),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            without(|c| c.client_id.clear()),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn plain_http_endpoints_are_refused_off_loopback() {
        let mut c = config();
        c.access_token_url = url("http://api.example.com/oauth/access_token");
        assert!(matches!(client(c), Err(Error::Config(_))));
        let mut c = config();
        c.api_base_url = url("http://api.example.com/1.1/");
        assert!(matches!(client(c), Err(Error::Config(_))));
    }

    #[test]
    fn shared_secret_methods_need_a_client_secret() {
        for method in [
            SignatureMethod::HmacSha1,
            SignatureMethod::HmacSha256,
            SignatureMethod::Plaintext,
        ] {
            let mut c = config();
            c.client_secret = None;
            c.signature_method = method;
            assert!(matches!(client(c), Err(Error::Config(_))), "{method:?}");
        }
    }

    #[test]
    fn rsa_sha1_fails_at_construction_when_the_key_file_is_missing() {
        let mut c = config();
        c.signature_method = SignatureMethod::RsaSha1;
        c.rsa_key_file = Some("/nonexistent/key.pem".into());
        assert!(matches!(client(c), Err(Error::Config(_))));
    }

    #[test]
    fn paths_resolve_against_the_api_base_url() {
        let client = client(config()).unwrap();
        assert_eq!(
            client
                .resolve("statuses/home_timeline.json")
                .unwrap()
                .as_str(),
            "https://api.example.com/1.1/statuses/home_timeline.json"
        );
        assert_eq!(
            client
                .resolve("https://upload.example.com/1.1/media.json")
                .unwrap()
                .as_str(),
            "https://upload.example.com/1.1/media.json"
        );
        assert!(matches!(
            client.resolve("http://evil.example.com/steal"),
            Err(Error::Config(_))
        ));
        let mut c = config();
        c.api_base_url = None;
        assert!(matches!(
            OAuth1Client::new("twitter", c, reqwest::Client::new())
                .unwrap()
                .resolve("x.json"),
            Err(Error::Config(_))
        ));
    }

    #[tokio::test]
    async fn a_callback_for_a_login_never_started_is_refused_without_calling_the_provider() {
        // The endpoints point nowhere: any HTTP call would fail with Transport.
        let client = client(config()).unwrap();
        let session = MemoryLoginSession::new();
        let params = BTreeMap::from([
            ("oauth_token".to_owned(), "forged".to_owned()),
            ("oauth_verifier".to_owned(), "v".to_owned()),
        ]);
        let err = client
            .authorize_access_token(&session, &params)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::StateMismatch), "{err:?}");
        let err = client
            .authorize_access_token(&session, &BTreeMap::new())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::StateMismatch), "{err:?}");
    }

    #[tokio::test]
    async fn twitters_denied_parameter_is_access_denied() {
        let client = client(config()).unwrap();
        let session = MemoryLoginSession::new();
        let params = BTreeMap::from([("denied".to_owned(), "request-token".to_owned())]);
        let err = client
            .authorize_access_token(&session, &params)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::AccessDenied { ref error, .. } if error == "access_denied"));
    }
}
