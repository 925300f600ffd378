//! Test doubles and a mock provider: an in-memory session and token store,
//! test-only signing keys, discovery and key set documents.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use time::OffsetDateTime;
use trilogin_oauth::secret::{AccessToken, ClientSecret, RefreshToken};
use trilogin_oauth::{
    ClientConfig, OAuth2Client, OAuth2Token, OidcClient, Result, Token, TokenHooks, UpdateOutcome,
};
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const CLIENT_ID: &str = "client-1";
pub const CLIENT_SECRET: &str = "secret:1%";
pub const REDIRECT_URI: &str = "http://127.0.0.1:8080/auth/test/callback";

/// The shared HTTP client, as the app builds it.
pub fn http() -> reqwest::Client {
    trilogin_oauth::http::build_client("trilogin-tests", Duration::from_secs(5)).unwrap()
}

/// A plain OAuth 2 client of the mock provider.
pub fn oauth2_config(server: &MockServer) -> ClientConfig {
    ClientConfig {
        client_id: CLIENT_ID.into(),
        client_secret: Some(ClientSecret::new(CLIENT_SECRET)),
        authorize_url: Some(url(server, "/authorize")),
        access_token_url: Some(url(server, "/token")),
        api_base_url: Some(url(server, "/api/")),
        scope: Some("read:user".into()),
        ..ClientConfig::default()
    }
}

/// An OpenID Connect client of the mock provider, configured by discovery.
pub fn oidc_config(server: &MockServer) -> ClientConfig {
    ClientConfig {
        client_id: CLIENT_ID.into(),
        client_secret: Some(ClientSecret::new(CLIENT_SECRET)),
        server_metadata_url: Some(url(server, "/.well-known/openid-configuration")),
        scope: Some("openid email".into()),
        ..ClientConfig::default()
    }
}

pub fn client(config: ClientConfig) -> OAuth2Client {
    OAuth2Client::new("test", config, http()).unwrap()
}

pub fn oidc_client(config: ClientConfig) -> OidcClient {
    OidcClient::new("test", config, http()).unwrap()
}

pub fn url(server: &MockServer, path: &str) -> Url {
    Url::parse(&format!("{}{path}", server.uri())).unwrap()
}

/// The issuer of the mock provider: its origin, as its discovery URL promises.
pub fn issuer(server: &MockServer) -> String {
    server.uri()
}

/// Serves a discovery document naming the mock's endpoints; `extra`
/// overrides or adds fields.
pub async fn mount_discovery(server: &MockServer, extra: Value) {
    let mut doc = json!({
        "issuer": issuer(server),
        "authorization_endpoint": format!("{}/authorize", server.uri()),
        "token_endpoint": format!("{}/token", server.uri()),
        "userinfo_endpoint": format!("{}/userinfo", server.uri()),
        "jwks_uri": format!("{}/jwks", server.uri()),
        "revocation_endpoint": format!("{}/revoke", server.uri()),
        "end_session_endpoint": format!("{}/logout", server.uri()),
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    if let (Value::Object(doc), Value::Object(extra)) = (&mut doc, extra) {
        doc.extend(extra);
    }
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(doc))
        .mount(server)
        .await;
}

/// A test-only RSA key from `tests/oauth2/fixtures`.
pub struct TestKey {
    pub encoding: EncodingKey,
    pub jwk: Value,
}

/// A file of `tests/oauth2/fixtures`.
pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/oauth2/fixtures")
        .join(name)
}

fn load_key(file: &str, kid: &'static str) -> TestKey {
    let pem = std::fs::read(fixture(file)).unwrap();
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(std::str::from_utf8(&pem).unwrap()).unwrap();
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    TestKey {
        encoding: EncodingKey::from_rsa_pem(&pem).unwrap(),
        jwk: json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": kid,
            "n": b64(private.n().to_bytes_be()),
            "e": b64(private.e().to_bytes_be()),
        }),
    }
}

pub fn key1() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| load_key("test-only-rsa-key-1.pem", "key-1"))
}

pub fn key2() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| load_key("test-only-rsa-key-2.pem", "key-2"))
}

pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
}

pub async fn mount_jwks(server: &MockServer, keys: &[&TestKey], expected_calls: u64) {
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks(keys)))
        .expect(expected_calls)
        .mount(server)
        .await;
}

/// Signs `claims` with `key` (RS256), naming `kid` in the header.
pub fn sign(key: &TestKey, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

/// Good ID token claims for a login with `nonce`.
pub fn claims(server: &MockServer, nonce: &str) -> Value {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    json!({
        "iss": issuer(server),
        "sub": "user-1",
        "aud": CLIENT_ID,
        "exp": now + 600,
        "iat": now,
        "nonce": nonce,
        "email": "ada@example.test",
    })
}

/// The query parameters of a URL.
pub fn query(url: &Url) -> BTreeMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// The form body of a request the mock received.
pub fn form(request: &wiremock::Request) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

/// The requests the mock received at `path`.
pub async fn received(server: &MockServer, at: &str) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == at)
        .collect()
}

/// Starts a login with `client` in `session`: the authorization URL.
pub async fn start_login(client: &OAuth2Client, session: &MemorySession) -> Url {
    client
        .authorize_redirect(session, REDIRECT_URI, &[])
        .await
        .unwrap()
}

/// Runs a login with `client` to its callback with the code `code-1`:
/// the authorization URL and the result of the code exchange.
pub async fn login_with(client: &OAuth2Client) -> (Url, Result<OAuth2Token>) {
    let session = MemorySession::default();
    let url = start_login(client, &session).await;
    let state = query(&url)["state"].clone();
    let result = client
        .authorize_access_token(&session, &callback(&state, "code-1"))
        .await;
    (url, result)
}

/// Callback parameters for a code.
pub fn callback(state: &str, code: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("state".to_owned(), state.to_owned()),
        ("code".to_owned(), code.to_owned()),
    ])
}

/// A server-side session in memory.
pub use trilogin_oauth::session::MemoryLoginSession as MemorySession;

/// One person's token storage in memory, with a compare-and-swap update.
#[derive(Default)]
pub struct MemoryHooks {
    pub token: std::sync::Mutex<Option<OAuth2Token>>,
    pub updates: AtomicUsize,
}

impl MemoryHooks {
    pub fn with(token: OAuth2Token) -> Self {
        Self {
            token: std::sync::Mutex::new(Some(token)),
            updates: AtomicUsize::new(0),
        }
    }

    pub fn stored(&self) -> OAuth2Token {
        self.token.lock().unwrap().clone().unwrap()
    }

    pub fn update_count(&self) -> usize {
        self.updates.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TokenHooks for MemoryHooks {
    async fn fetch_token(&self, _client_name: &str) -> Result<Option<Token>> {
        // Yield so that concurrent requests really interleave.
        tokio::task::yield_now().await;
        Ok(self.token.lock().unwrap().clone().map(Token::OAuth2))
    }

    async fn update_token(
        &self,
        _client_name: &str,
        new: &OAuth2Token,
        old: &OAuth2Token,
    ) -> Result<UpdateOutcome> {
        self.updates.fetch_add(1, Ordering::SeqCst);
        let mut stored = self.token.lock().unwrap();
        match stored.as_ref() {
            Some(current) if current.access_token != old.access_token => {
                Ok(UpdateOutcome::Superseded(current.clone()))
            }
            _ => {
                *stored = Some(new.clone());
                Ok(UpdateOutcome::Saved)
            }
        }
    }
}

/// A token that expires `in_seconds` from now (negative: already expired).
pub fn token(access: &str, refresh: Option<&str>, in_seconds: i64) -> OAuth2Token {
    OAuth2Token {
        issued_at: None,
        access_token: AccessToken::new(access),
        token_type: "Bearer".into(),
        refresh_token: refresh.map(RefreshToken::new),
        expires_at: Some(OffsetDateTime::now_utc() + time::Duration::seconds(in_seconds)),
        scope: Some("read:user".into()),
        id_token: None,
        id_token_claims: None,
        extra: BTreeMap::new(),
        dpop_key: None,
    }
}

/// The person's stored token `at-1`, refreshable with `rt-1`, expiring
/// `in_seconds` from now.
pub fn stored_token_expiring_in(in_seconds: i64) -> MemoryHooks {
    MemoryHooks::with(token("at-1", Some("rt-1"), in_seconds))
}

/// `result` asks the person to log in again.
pub fn assert_reauthorization_required<T: std::fmt::Debug>(result: &Result<T>) {
    assert!(
        matches!(
            result,
            Err(trilogin_oauth::Error::ReauthorizationRequired { .. })
        ),
        "{result:?}"
    );
}

/// The refresh answer of most tests: a new access token for an hour.
pub fn refreshed() -> serde_json::Value {
    serde_json::json!({"access_token": "at-2", "expires_in": 3600})
}
