//! The authorization code flow: the authorization URL, state, PKCE, each
//! client authentication method, the provider's odd answers, RFC 9207.

use std::collections::BTreeMap;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::json;
use sha2::{Digest, Sha256};
use trilogin_oauth::client_auth::{AssertionClaims, JWT_BEARER_ASSERTION_TYPE};
use trilogin_oauth::config::TokenEndpointAuthMethod;
use trilogin_oauth::secret::ClientSecret;
use trilogin_oauth::{ApiVerbs, ClientConfig, Error, OAuth, Token};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

async fn mount_token(server: &MockServer, response: ResponseTemplate, expected_calls: u64) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(response)
        .expect(expected_calls)
        .mount(server)
        .await;
}

fn token_json() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": "at-1",
        "token_type": "bearer",
        "expires_in": 3600,
        "refresh_token": "rt-1",
        "scope": "read:user",
    }))
}

/// Runs a login to the callback with `config`; returns the token and the
/// authorization URL.
async fn login(config: ClientConfig) -> (Result<trilogin_oauth::OAuth2Token, Error>, url::Url) {
    let (url, result) = login_with(&client(config)).await;
    (result, url)
}

#[tokio::test]
async fn the_authorization_url_carries_state_pkce_and_the_configured_parameters() {
    let server = MockServer::start().await;
    let mut config = oauth2_config(&server);
    config.authorize_params = BTreeMap::from([("allow_signup".into(), "false".into())]);
    let client = client(config);
    let session = MemorySession::default();
    let url = client
        .authorize_redirect(&session, REDIRECT_URI, &[("login", "ada")])
        .await
        .unwrap();
    let q = query(&url);
    assert_eq!(url.path(), "/authorize");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], REDIRECT_URI);
    assert_eq!(q["scope"], "read:user");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["allow_signup"], "false");
    assert_eq!(q["login"], "ada");
    assert!(q["state"].len() >= 43, "at least 256 bits of state");
    assert!(!q.contains_key("nonce"), "no nonce without openid");
    let again = start_login(&client, &session).await;
    assert_ne!(query(&again)["state"], q["state"]);
}

#[tokio::test]
async fn extra_parameters_cannot_replace_the_state() {
    let server = MockServer::start().await;
    let client = client(oauth2_config(&server));
    let session = MemorySession::default();
    let result = client
        .authorize_redirect(&session, REDIRECT_URI, &[("state", "chosen-by-attacker")])
        .await;
    assert!(matches!(result, Err(Error::Config(_))));
}

#[tokio::test]
async fn pkce_can_be_switched_off() {
    let server = MockServer::start().await;
    mount_token(&server, token_json(), 1).await;
    let mut config = oauth2_config(&server);
    config.code_challenge_method = None;
    let (token, authorize) = login(config).await;
    token.unwrap();
    assert!(!query(&authorize).contains_key("code_challenge"));
    assert!(!form(&received(&server, "/token").await[0]).contains_key("code_verifier"));
}

#[tokio::test]
async fn client_secret_basic_exchanges_the_code_with_the_verifier() {
    let server = MockServer::start().await;
    mount_token(&server, token_json(), 1).await;
    let (token, authorize) = login(oauth2_config(&server)).await;
    let token = token.unwrap();
    assert_eq!(token.access_token.secret(), "at-1");
    assert_eq!(token.refresh_token.unwrap().secret(), "rt-1");
    assert!(token.expires_at.is_some());

    let request = &received(&server, "/token").await[0];
    let body = form(request);
    assert_eq!(body["grant_type"], "authorization_code");
    assert_eq!(body["code"], "code-1");
    assert_eq!(body["redirect_uri"], REDIRECT_URI);
    assert!(!body.contains_key("client_secret"));
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(body["code_verifier"].as_bytes()));
    assert_eq!(challenge, query(&authorize)["code_challenge"]);
    assert_eq!(request.headers["accept"], "application/json");
    let expected = base64::engine::general_purpose::STANDARD.encode("client-1:secret%3A1%25");
    assert_eq!(
        request.headers["authorization"],
        format!("Basic {expected}").as_str()
    );
}

#[tokio::test]
async fn client_secret_post_sends_the_secret_in_the_body() {
    let server = MockServer::start().await;
    mount_token(&server, token_json(), 1).await;
    let mut config = oauth2_config(&server);
    config.token_endpoint_auth_method = TokenEndpointAuthMethod::ClientSecretPost;
    login(config).await.0.unwrap();
    let request = &received(&server, "/token").await[0];
    let body = form(request);
    assert_eq!(body["client_id"], CLIENT_ID);
    assert_eq!(body["client_secret"], CLIENT_SECRET);
    assert!(request.headers.get("authorization").is_none());
}

#[tokio::test]
async fn a_public_client_sends_only_its_id() {
    let server = MockServer::start().await;
    mount_token(&server, token_json(), 1).await;
    let mut config = oauth2_config(&server);
    config.token_endpoint_auth_method = TokenEndpointAuthMethod::None;
    config.client_secret = None;
    login(config).await.0.unwrap();
    let request = &received(&server, "/token").await[0];
    let body = form(request);
    assert_eq!(body["client_id"], CLIENT_ID);
    assert!(!body.contains_key("client_secret"));
    assert!(request.headers.get("authorization").is_none());
}

fn assertion_claims(
    server: &MockServer,
    key: &DecodingKey,
    alg: Algorithm,
    body: &BTreeMap<String, String>,
) -> AssertionClaims {
    assert_eq!(body["client_assertion_type"], JWT_BEARER_ASSERTION_TYPE);
    let mut validation = Validation::new(alg);
    validation.set_audience(&[format!("{}/token", server.uri())]);
    jsonwebtoken::decode::<AssertionClaims>(&body["client_assertion"], key, &validation)
        .unwrap()
        .claims
}

#[tokio::test]
async fn client_secret_jwt_sends_an_hs256_assertion_keyed_with_the_secret() {
    let server = MockServer::start().await;
    mount_token(&server, token_json(), 1).await;
    let mut config = oauth2_config(&server);
    config.token_endpoint_auth_method = TokenEndpointAuthMethod::ClientSecretJwt;
    login(config).await.0.unwrap();
    let body = form(&received(&server, "/token").await[0]);
    assert!(!body.contains_key("client_secret"));
    let claims = assertion_claims(
        &server,
        &DecodingKey::from_secret(CLIENT_SECRET.as_bytes()),
        Algorithm::HS256,
        &body,
    );
    assert_eq!(claims.iss, CLIENT_ID);
    assert_eq!(claims.sub, CLIENT_ID);
}

#[tokio::test]
async fn private_key_jwt_sends_an_rs256_assertion_signed_with_the_key_file() {
    let server = MockServer::start().await;
    mount_token(&server, token_json(), 1).await;
    let mut config = oauth2_config(&server);
    config.token_endpoint_auth_method = TokenEndpointAuthMethod::PrivateKeyJwt;
    config.client_secret = None;
    config.private_key_file = Some(fixture("test-only-rsa-key-1.pem"));
    login(config).await.0.unwrap();
    let body = form(&received(&server, "/token").await[0]);
    let public = std::fs::read(fixture("test-only-rsa-key-1-public.pem")).unwrap();
    let claims = assertion_claims(
        &server,
        &DecodingKey::from_rsa_pem(&public).unwrap(),
        Algorithm::RS256,
        &body,
    );
    assert_eq!(claims.iss, CLIENT_ID);
}

#[tokio::test]
async fn a_form_encoded_token_answer_is_understood() {
    let server = MockServer::start().await;
    mount_token(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            "access_token=gho_form&scope=read%3Auser&token_type=bearer",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        1,
    )
    .await;
    let token = login(oauth2_config(&server)).await.0.unwrap();
    assert_eq!(token.access_token.secret(), "gho_form");
    assert_eq!(token.scope.as_deref(), Some("read:user"));
    assert_eq!(token.expires_at, None);
}

#[tokio::test]
async fn an_error_answered_with_200_is_a_provider_error_with_its_body() {
    let server = MockServer::start().await;
    mount_token(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
        })),
        1,
    )
    .await;
    match login(oauth2_config(&server)).await.0 {
        Err(Error::Provider {
            error,
            status,
            body,
            ..
        }) => {
            assert_eq!(error, "bad_verification_code");
            assert_eq!(status, 200);
            assert!(body.contains("incorrect or expired"));
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_redirect_from_the_token_endpoint_is_not_followed() {
    let server = MockServer::start().await;
    mount_token(
        &server,
        ResponseTemplate::new(302).insert_header("location", format!("{}/elsewhere", server.uri())),
        1,
    )
    .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "stolen"})))
        .expect(0)
        .mount(&server)
        .await;
    let result = login(oauth2_config(&server)).await.0;
    assert!(
        matches!(result, Err(Error::UnexpectedResponse { status: 302, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_callback_with_a_missing_unknown_or_used_state_is_refused() {
    let server = MockServer::start().await;
    mount_token(&server, token_json(), 1).await;
    let client = client(oauth2_config(&server));
    let session = MemorySession::default();
    let url = start_login(&client, &session).await;
    let state = query(&url)["state"].clone();

    let no_state = BTreeMap::from([("code".to_owned(), "c".to_owned())]);
    assert!(matches!(
        client.authorize_access_token(&session, &no_state).await,
        Err(Error::StateMismatch)
    ));
    let forged = callback("forged-state", "c");
    assert!(matches!(
        client.authorize_access_token(&session, &forged).await,
        Err(Error::StateMismatch)
    ));
    let other_browser = MemorySession::default();
    assert!(matches!(
        client
            .authorize_access_token(&other_browser, &callback(&state, "c"))
            .await,
        Err(Error::StateMismatch)
    ));

    client
        .authorize_access_token(&session, &callback(&state, "c"))
        .await
        .unwrap();
    assert!(
        matches!(
            client
                .authorize_access_token(&session, &callback(&state, "c"))
                .await,
            Err(Error::StateMismatch)
        ),
        "a state is good for one callback only"
    );
}

#[tokio::test]
async fn a_denied_consent_is_reported_with_its_description() {
    let server = MockServer::start().await;
    mount_token(&server, token_json(), 0).await;
    let client = client(oauth2_config(&server));
    let session = MemorySession::default();
    let url = start_login(&client, &session).await;
    let params = BTreeMap::from([
        ("state".to_owned(), query(&url)["state"].clone()),
        ("error".to_owned(), "access_denied".to_owned()),
        (
            "error_description".to_owned(),
            "The user said no".to_owned(),
        ),
    ]);
    match client.authorize_access_token(&session, &params).await {
        Err(Error::AccessDenied { error, description }) => {
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("The user said no"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_iss_parameter_naming_another_issuer_is_refused() {
    let server = MockServer::start().await;
    mount_token(&server, token_json(), 0).await;
    let mut config = oauth2_config(&server);
    config.issuer = Some(issuer(&server));
    let client = client(config);
    let session = MemorySession::default();
    let url = start_login(&client, &session).await;
    let mut params = callback(&query(&url)["state"], "c");
    params.insert("iss".into(), "https://attacker.test".into());
    assert!(matches!(
        client.authorize_access_token(&session, &params).await,
        Err(Error::IssuerMismatch(_))
    ));
}

#[tokio::test]
async fn a_missing_iss_is_refused_when_the_provider_promises_one() {
    let server = MockServer::start().await;
    mount_discovery(
        &server,
        json!({"authorization_response_iss_parameter_supported": true}),
    )
    .await;
    mount_token(&server, token_json(), 1).await;
    let mut config = oidc_config(&server);
    config.scope = Some("read".into());
    let client = client(config);
    let session = MemorySession::default();

    let url = start_login(&client, &session).await;
    let params = callback(&query(&url)["state"], "c");
    assert!(matches!(
        client.authorize_access_token(&session, &params).await,
        Err(Error::IssuerMismatch(_))
    ));

    let url = start_login(&client, &session).await;
    let mut params = callback(&query(&url)["state"], "c");
    params.insert("iss".into(), issuer(&server));
    client
        .authorize_access_token(&session, &params)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_registry_runs_the_same_flow_by_name() {
    let server = MockServer::start().await;
    mount_token(&server, token_json(), 1).await;
    let mut oauth = OAuth::new(http());
    oauth.register("github", oauth2_config(&server)).unwrap();
    let github = oauth.client("github").unwrap();
    let session = MemorySession::default();
    let url = github
        .authorize_redirect(&session, REDIRECT_URI, &[])
        .await
        .unwrap();
    let token = github
        .authorize_access_token(&session, &callback(&query(&url)["state"], "c"))
        .await
        .unwrap();
    assert!(matches!(token, Token::OAuth2(t) if t.access_token.secret() == "at-1"));
    assert!(oauth.client("gitlab").is_none());
}

#[tokio::test]
async fn registering_a_plain_http_endpoint_off_loopback_fails() {
    let mut oauth = OAuth::new(http());
    let config = ClientConfig {
        client_id: "x".into(),
        client_secret: Some(ClientSecret::new("y")),
        authorize_url: url::Url::parse("http://provider.example/authorize").ok(),
        ..ClientConfig::default()
    };
    assert!(matches!(
        oauth.register("p", config.clone()),
        Err(Error::Config(_))
    ));
    let allowed = ClientConfig {
        allow_insecure_http: true,
        ..config
    };
    oauth.register("p", allowed).unwrap();
}

#[tokio::test]
async fn debug_output_of_tokens_and_configuration_shows_no_secret() {
    let server = MockServer::start().await;
    let config = oauth2_config(&server);
    let token = token("at-secret-value", Some("rt-secret-value"), 60);
    let shown = format!("{config:?} {token:?} {:?}", client(config.clone()));
    for secret in [CLIENT_SECRET, "at-secret-value", "rt-secret-value"] {
        assert!(!shown.contains(secret), "{secret} leaked in {shown}");
    }
}

/// Storage holding one OAuth 1 token.
struct OAuth1Storage(trilogin_oauth::OAuth1Token);

#[async_trait::async_trait]
impl trilogin_oauth::TokenHooks for OAuth1Storage {
    async fn fetch_token(&self, _: &str) -> trilogin_oauth::Result<Option<Token>> {
        Ok(Some(Token::OAuth1(self.0.clone())))
    }
    async fn update_token(
        &self,
        _: &str,
        _: &trilogin_oauth::OAuth2Token,
        _: &trilogin_oauth::OAuth2Token,
    ) -> trilogin_oauth::Result<trilogin_oauth::UpdateOutcome> {
        panic!("OAuth 1 tokens are never refreshed")
    }
}

#[tokio::test]
async fn a_client_with_a_request_token_url_is_oauth1_and_signs_its_requests() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .and(|r: &wiremock::Request| {
            r.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("OAuth ") && v.contains("oauth_token=\"tok\""))
        })
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut oauth = OAuth::new(http());
    let config = ClientConfig {
        request_token_url: Some(url(&server, "/oauth/request_token")),
        ..oauth2_config(&server)
    };
    oauth.register("twitter", config).unwrap();
    let twitter = oauth.client("twitter").unwrap();
    assert!(twitter.as_oauth1().is_some() && twitter.as_oauth2().is_none());
    let storage = OAuth1Storage(trilogin_oauth::OAuth1Token {
        oauth_token: trilogin_oauth::secret::AccessToken::new("tok"),
        oauth_token_secret: trilogin_oauth::secret::TokenSecret::new("sec"),
        extra: BTreeMap::new(),
    });
    assert_eq!(twitter.get("me", &storage).await.unwrap().status(), 200);
    assert!(
        !twitter
            .revoke_token(&Token::OAuth1(storage.0.clone()))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn access_token_params_travel_in_the_code_exchange() {
    let server = MockServer::start().await;
    mount_token(&server, token_json(), 1).await;
    let mut config = oauth2_config(&server);
    config
        .access_token_params
        .insert("audience".into(), "https://api.example".into());
    login(config).await.0.unwrap();
    let body = form(&received(&server, "/token").await[0]);
    assert_eq!(body["audience"], "https://api.example");
    assert_eq!(body["grant_type"], "authorization_code");
    assert_eq!(body["code"], "code-1");
}
