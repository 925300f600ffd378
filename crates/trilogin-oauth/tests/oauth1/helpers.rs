//! The browser session, the client and the mock provider's endpoints.

use std::collections::BTreeMap;
use std::time::Duration;

use trilogin_oauth::config::SignatureType;
use trilogin_oauth::oauth1::OAuth1Client;
use trilogin_oauth::secret::ClientSecret;
use trilogin_oauth::{ClientConfig, Error, OAuth1Token};
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::provider::{SignedWith, Verified};

pub const CONSUMER_KEY: &str = "trilogin-consumer";
// Reserved and non-ASCII characters, so that the secrets' encoding matters.
pub const CONSUMER_SECRET: &str = "consumer&secret ~é";
pub const REQUEST_TOKEN: &str = "request-token-1";
pub const REQUEST_SECRET: &str = "request/secret+1";
pub const VERIFIER: &str = "verifier-1";
pub const ACCESS_TOKEN: &str = "6253282-access";
pub const ACCESS_SECRET: &str = "access secret=1";
pub const CALLBACK: &str = "http://127.0.0.1:8080/auth/twitter/callback";

/// A browser's server-side session, in memory.
pub use trilogin_oauth::session::MemoryLoginSession as MemorySession;

pub fn config(server: &MockServer, signature_type: SignatureType, secret: &str) -> ClientConfig {
    let at = |p: &str| Some(Url::parse(&format!("{}{p}", server.uri())).unwrap());
    ClientConfig {
        client_id: CONSUMER_KEY.into(),
        client_secret: Some(ClientSecret::new(secret)),
        request_token_url: at("/oauth/request_token"),
        authorize_url: at("/oauth/authenticate"),
        access_token_url: at("/oauth/access_token"),
        api_base_url: at("/1.1/"),
        signature_type,
        ..ClientConfig::default()
    }
}

pub fn client_with(config: ClientConfig) -> OAuth1Client {
    let http =
        trilogin_oauth::http::build_client("trilogin-tests", Duration::from_secs(5)).unwrap();
    OAuth1Client::new("twitter", config, http).unwrap()
}

pub fn client(server: &MockServer, signature_type: SignatureType) -> OAuth1Client {
    client_with(config(server, signature_type, CONSUMER_SECRET))
}

/// What a request-token call must carry: the client's signature, no token,
/// the callback.
pub fn request_token_signature() -> SignedWith {
    SignedWith::new(CONSUMER_KEY, CONSUMER_SECRET, "").with("oauth_callback", CALLBACK)
}

/// What an access-token call must carry: signed with the request token's
/// secret, the request token and the verifier.
pub fn access_token_signature() -> SignedWith {
    SignedWith::new(CONSUMER_KEY, CONSUMER_SECRET, REQUEST_SECRET)
        .with("oauth_token", REQUEST_TOKEN)
        .with("oauth_verifier", VERIFIER)
}

/// What a resource request must carry: signed with the access token's secret.
pub fn api_signature() -> SignedWith {
    SignedWith::new(CONSUMER_KEY, CONSUMER_SECRET, ACCESS_SECRET).with("oauth_token", ACCESS_TOKEN)
}

pub const TEMPORARY_CREDENTIALS: &str = "oauth_token=request-token-1&oauth_token_secret=request%2Fsecret%2B1&oauth_callback_confirmed=true";
pub const TOKEN_CREDENTIALS: &str = "oauth_token=6253282-access&oauth_token_secret=access+secret%3D1&user_id=6253282&screen_name=jane";

pub async fn mount_request_token(server: &MockServer, body: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path("/oauth/request_token"))
        .and(request_token_signature())
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .expect(times)
        .named("request token")
        .mount(server)
        .await;
}

pub async fn mount_access_token(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/oauth/access_token"))
        .and(access_token_signature())
        .respond_with(ResponseTemplate::new(200).set_body_string(TOKEN_CREDENTIALS))
        .expect(times)
        .named("access token")
        .mount(server)
        .await;
}

/// Anything that fails verification gets what Twitter sends: 401.
pub async fn mount_refusal(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(401).set_body_string("oauth_problem=signature_invalid"))
        .with_priority(u8::MAX)
        .named("signature refused")
        .mount(server)
        .await;
}

/// A provider that answers the request-token call once and the
/// access-token call `access_token_calls` times, and refuses anything it
/// cannot verify.
pub async fn provider(access_token_calls: u64) -> MockServer {
    let server = MockServer::start().await;
    mount_refusal(&server).await;
    mount_request_token(&server, TEMPORARY_CREDENTIALS, 1).await;
    mount_access_token(&server, access_token_calls).await;
    server
}

/// The Twitter timeline, signed with the access token, answered with
/// `response` and expected `times`.
pub async fn mount_timeline(server: &MockServer, response: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/1.1/statuses/home_timeline.json"))
        .and(api_signature())
        .respond_with(response)
        .expect(times)
        .named("timeline")
        .mount(server)
        .await;
}

pub fn callback(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The callback after the person agreed: the request token and its verifier.
pub fn consented() -> BTreeMap<String, String> {
    callback(&[("oauth_token", REQUEST_TOKEN), ("oauth_verifier", VERIFIER)])
}

/// A header-signing client with a login started in `session`: its
/// request token waits for the callback.
pub async fn started_login(server: &MockServer, session: &MemorySession) -> OAuth1Client {
    let client = client(server, SignatureType::Header);
    client.authorize_redirect(session, CALLBACK).await.unwrap();
    client
}

/// The whole login with `client`: the request token, then the callback.
pub async fn log_in(client: &OAuth1Client, session: &MemorySession) -> Result<OAuth1Token, Error> {
    client.authorize_redirect(session, CALLBACK).await?;
    client.authorize_access_token(session, &consented()).await
}

/// The request token is no pending login of `session` (never saved, spent,
/// or saved elsewhere): its consented callback is refused.
pub async fn assert_no_pending_login(client: &OAuth1Client, session: &MemorySession) {
    let err = client
        .authorize_access_token(session, &consented())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StateMismatch), "{err:?}");
}

pub fn access_token() -> OAuth1Token {
    OAuth1Token {
        oauth_token: trilogin_oauth::secret::AccessToken::new(ACCESS_TOKEN),
        oauth_token_secret: trilogin_oauth::secret::TokenSecret::new(ACCESS_SECRET),
        extra: BTreeMap::new(),
    }
}

/// The provider's view of every request it received at `at`.
pub async fn received_at(server: &MockServer, at: &str, signature: &SignedWith) -> Vec<Verified> {
    let requests: Vec<Request> = server.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.url.path() == at)
        .map(|r| signature.check(r).unwrap_or_else(|e| panic!("{at}: {e}")))
        .collect()
}

/// A public endpoint (`help/configuration.json`) that accepts requests
/// signed by the client alone, with no token, expected `times`.
pub async fn mount_public_endpoint(server: &MockServer, times: u64) {
    Mock::given(method("GET"))
        .and(path("/1.1/help/configuration.json"))
        .and(SignedWith::new(CONSUMER_KEY, CONSUMER_SECRET, ""))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(times)
        .named("public endpoint")
        .mount(server)
        .await;
}
