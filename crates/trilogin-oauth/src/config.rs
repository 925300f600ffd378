//! `ClientConfig`: every parameter of Authlib's `register()` that matters,
//! for OAuth 1 and OAuth 2 alike. A client is OAuth 1 when it has a
//! `request_token_url`.
//!
//! Presets in `providers/` fill in the real endpoints; the environment
//! (`<NAME>_<PARAM>`) overrides any field.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;
use time::Duration;
use url::Url;

use super::compliance::ComplianceHooks;
use super::secret::ClientSecret;

/// How the client authenticates at the token endpoint (RFC 6749 §2.3,
/// RFC 7523 §2.2, OIDC Core §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenEndpointAuthMethod {
    /// HTTP Basic with form-encoded id and secret (RFC 6749 §2.3.1).
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// Public client: `client_id` only.
    None,
    /// An HS256 JWT assertion keyed with the client secret (RFC 7523).
    ClientSecretJwt,
    /// An RS256 or ES256 JWT assertion signed with the client's private key (RFC 7523).
    PrivateKeyJwt,
}

/// Where an access token goes on a resource request (RFC 6750 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenPlacement {
    /// `Authorization: Bearer` (RFC 6750 §2.1).
    #[default]
    Header,
    /// `access_token` form body parameter (RFC 6750 §2.2).
    Body,
    /// `access_token` query parameter (RFC 6750 §2.3).
    Uri,
}

/// PKCE code challenge method (RFC 7636 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodeChallengeMethod {
    /// `S256`, the default for every OAuth 2 flow.
    #[default]
    S256,
    /// `plain`, only for providers that cannot do S256.
    Plain,
}

/// OAuth 1 signature method (RFC 5849 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureMethod {
    /// `HMAC-SHA1` (RFC 5849 §3.4.2), Twitter's.
    #[default]
    HmacSha1,
    /// `HMAC-SHA256`, a common extension.
    HmacSha256,
    /// `RSA-SHA1` (RFC 5849 §3.4.3).
    RsaSha1,
    /// `PLAINTEXT` (RFC 5849 §3.4.4), only over TLS.
    Plaintext,
}

/// Where OAuth 1 protocol parameters travel (RFC 5849 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureType {
    /// `Authorization: OAuth ...` header (§3.5.1).
    #[default]
    Header,
    /// Query string (§3.5.3).
    Query,
    /// Form-encoded body (§3.5.2).
    Body,
}

/// The rule for one claim, as in Authlib's `claims_options`, e.g.
/// `{"hd": {"essential": true, "value": "example.com"}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRule {
    /// The claim must be present (and not null or empty).
    #[serde(default)]
    pub essential: bool,
    /// When present, the claim must be exactly this.
    pub value: Option<Value>,
    /// When present, the claim must be one of these.
    pub values: Option<Vec<Value>>,
}

/// Rules by claim name.
pub type ClaimsOptions = BTreeMap<String, ClaimRule>;

/// Parses `claims_options` from its JSON form.
///
/// # Errors
///
/// [`Error::Config`] for anything but an object of rule objects with only
/// the keys `essential`, `value` and `values`.
///
/// # Examples
///
/// ```
/// use trilogin_oauth::config::parse_claims_options as parse;
///
/// let options = parse(r#"{"hd": {"essential": true, "value": "example.com"}}"#)?;
/// assert!(options["hd"].essential);
/// assert!(parse(r#"{"hd": {"mandatory": true}}"#).is_err());
/// # Ok::<(), trilogin_oauth::Error>(())
/// ```
pub fn parse_claims_options(json: &str) -> super::error::Result<ClaimsOptions> {
    serde_json::from_str(json).map_err(|e| {
        super::error::Error::Config(format!(
            "claims_options must map claim names to {{essential, value, values}}: {e}"
        ))
    })
}

/// Whether the authorization request is pushed first (RFC 9126).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParMode {
    /// Push when the provider has a PAR endpoint (always when it requires
    /// pushed requests).
    #[default]
    Auto,
    /// Always push; a provider without a PAR endpoint is a configuration error.
    Required,
    /// Never push.
    Off,
}

/// Whether tokens are bound to a DPoP key (RFC 9449).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DpopMode {
    /// Bind when the provider lists `dpop_signing_alg_values_supported`.
    #[default]
    Auto,
    /// Always bind, and refuse a token that comes back unbound.
    Required,
    /// Never bind.
    Off,
}

/// A registered client. Field names follow Authlib's `register()` keywords,
/// which are also the `<NAME>_<PARAM>` environment names upper-cased.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `client_id` (OAuth 1: consumer key).
    pub client_id: String,
    /// `client_secret` (OAuth 1: consumer secret).
    pub client_secret: Option<ClientSecret>,

    /// `request_token_url`: makes the client OAuth 1 (RFC 5849 §2.1).
    pub request_token_url: Option<Url>,
    /// `request_token_params`: extra parameters of the request-token call.
    pub request_token_params: BTreeMap<String, String>,
    /// `signature_method` (OAuth 1).
    pub signature_method: SignatureMethod,
    /// `signature_type` (OAuth 1).
    pub signature_type: SignatureType,
    /// `realm` for the OAuth 1 `Authorization` header.
    pub realm: Option<String>,
    /// `rsa_key_file`: PEM private key for `RSA-SHA1`.
    pub rsa_key_file: Option<PathBuf>,

    /// `authorize_url`.
    pub authorize_url: Option<Url>,
    /// `authorize_params`: extra query parameters of the authorization request.
    pub authorize_params: BTreeMap<String, String>,
    /// `access_token_url` (OAuth 2: the token endpoint).
    pub access_token_url: Option<Url>,
    /// `access_token_params`: extra parameters of the code exchange.
    pub access_token_params: BTreeMap<String, String>,
    /// `refresh_token_url`: where refreshes go, when not the token endpoint.
    pub refresh_token_url: Option<Url>,
    /// `api_base_url`: relative resource paths are joined to it.
    pub api_base_url: Option<Url>,
    /// `scope`, space-separated.
    pub scope: Option<String>,

    /// `server_metadata_url`: OpenID Connect / RFC 8414 discovery document.
    pub server_metadata_url: Option<Url>,
    /// `issuer`, when not discovered.
    pub issuer: Option<String>,
    /// `userinfo_endpoint`.
    pub userinfo_endpoint: Option<Url>,
    /// `jwks_uri`.
    pub jwks_uri: Option<Url>,
    /// `jwks`: a static JSON Web Key Set, instead of `jwks_uri`.
    pub jwks: Option<serde_json::Value>,
    /// `revocation_endpoint` (RFC 7009).
    pub revocation_endpoint: Option<Url>,
    /// `end_session_endpoint` (OIDC RP-Initiated Logout).
    pub end_session_endpoint: Option<Url>,
    /// `pushed_authorization_request_endpoint` (RFC 9126 §5), when not
    /// discovered.
    pub pushed_authorization_request_endpoint: Option<Url>,
    /// `par`: when to push authorization requests (RFC 9126).
    pub par: ParMode,
    /// `dpop`: when to bind tokens to a DPoP key (RFC 9449).
    pub dpop: DpopMode,

    /// `token_endpoint_auth_method`.
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// `private_key_file`: PEM key for `private_key_jwt` (RSA → RS256, EC P-256 → ES256).
    pub private_key_file: Option<PathBuf>,
    /// `token_placement`.
    pub token_placement: TokenPlacement,
    /// `code_challenge_method`: `None` switches PKCE off.
    pub code_challenge_method: Option<CodeChallengeMethod>,

    /// `leeway`: refresh this long before the access token expires.
    pub leeway: Duration,
    /// `id_token_leeway`: clock skew allowed on `exp` / `iat`.
    pub id_token_leeway: Duration,
    /// `id_token_signing_alg_values`: overrides the discovered allow-list.
    pub id_token_signing_alg_values: Option<Vec<String>>,
    /// `id_token_issuer_aliases`: other `iss` values the provider documents
    /// for its ID tokens (Google: `accounts.google.com` beside the discovered
    /// `https://accounts.google.com`). Exact matches only.
    pub id_token_issuer_aliases: Vec<String>,
    /// `claims_options`: rules the claims of a login's ID token must meet.
    pub claims_options: ClaimsOptions,
    /// `max_age` (OIDC Core §3.1.2.1): sent with the authorization request;
    /// a login's ID token must then show an `auth_time` within it.
    pub max_age: Option<Duration>,
    /// `acr_values`, space-separated: sent with the authorization request;
    /// a login's ID token must then carry one of them as `acr`.
    pub acr_values: Option<String>,
    /// How long discovery documents and key sets stay cached.
    pub metadata_ttl: Duration,

    /// `timeout`: total timeout of each call to this provider. `None` leaves
    /// the shared client's timeout in force (the app's `HTTP_TIMEOUT`), so
    /// that one setting governs every provider that has none of its own.
    pub timeout: Option<std::time::Duration>,
    /// `user_agent`: this provider's `User-Agent`, instead of the shared
    /// client's.
    pub user_agent: Option<String>,
    /// `headers`: extra headers on every call to this provider.
    pub headers: BTreeMap<String, String>,
    /// `proxy`: an `http://` or `https://` proxy for every call to this provider.
    /// Such a client has an HTTP client of its own, with `timeout` (else
    /// [`PROXIED_CLIENT_TIMEOUT`](crate::http::PROXIED_CLIENT_TIMEOUT)).
    pub proxy: Option<Url>,
    /// `allow_insecure_http`: permit `http://` endpoints on non-loopback hosts
    /// (local test rigs only). Loopback hosts are always allowed.
    pub allow_insecure_http: bool,

    /// Fixes for a provider that bends the standard; set by presets in code,
    /// never from the environment.
    pub compliance: ComplianceHooks,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            client_id: String::new(),
            client_secret: None,
            request_token_url: None,
            request_token_params: BTreeMap::new(),
            signature_method: SignatureMethod::default(),
            signature_type: SignatureType::default(),
            realm: None,
            rsa_key_file: None,
            authorize_url: None,
            authorize_params: BTreeMap::new(),
            access_token_url: None,
            access_token_params: BTreeMap::new(),
            refresh_token_url: None,
            api_base_url: None,
            scope: None,
            server_metadata_url: None,
            issuer: None,
            userinfo_endpoint: None,
            jwks_uri: None,
            jwks: None,
            revocation_endpoint: None,
            end_session_endpoint: None,
            pushed_authorization_request_endpoint: None,
            par: ParMode::default(),
            dpop: DpopMode::default(),
            token_endpoint_auth_method: TokenEndpointAuthMethod::default(),
            private_key_file: None,
            token_placement: TokenPlacement::default(),
            code_challenge_method: Some(CodeChallengeMethod::S256),
            leeway: Duration::seconds(60),
            id_token_leeway: Duration::seconds(120),
            id_token_signing_alg_values: None,
            id_token_issuer_aliases: Vec::new(),
            claims_options: ClaimsOptions::new(),
            max_age: None,
            acr_values: None,
            metadata_ttl: Duration::hours(24),
            timeout: None,
            user_agent: None,
            headers: BTreeMap::new(),
            proxy: None,
            allow_insecure_http: false,
            compliance: ComplianceHooks::default(),
        }
    }
}

impl ClientConfig {
    /// True when this is an OAuth 1.0a client.
    #[must_use]
    pub fn is_oauth1(&self) -> bool {
        self.request_token_url.is_some()
    }

    /// True when the scope asks for OpenID Connect (`openid`, OIDC Core
    /// §3.1.2.1): the client must then validate the ID tokens it receives.
    #[must_use]
    pub fn is_oidc(&self) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|s| s.split_whitespace().any(|s| s == "openid"))
    }
}
