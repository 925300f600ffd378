//! DPoP (RFC 9449): the key a login binds its tokens to, the proofs on the
//! code exchange, refreshes, resource calls and revocation, the `DPoP`
//! scheme, server nonces, and each refusal.

use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};
use trilogin_oauth::config::DpopMode;
use trilogin_oauth::dpop::{DpopAlg, ath};
use trilogin_oauth::{ApiVerbs, ClientConfig, Error, OAuth2Client};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

/// The thumbprint of a request's proof key and the proof's claims, after
/// checking its type and signature.
fn proof_of(request: &wiremock::Request) -> (String, Value) {
    let proof = request.headers.get("dpop").unwrap().to_str().unwrap();
    let header = jsonwebtoken::decode_header(proof).unwrap();
    assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
    let jwk = header.jwk.unwrap();
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let key = DecodingKey::from_jwk(&jwk).unwrap();
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .unwrap()
        .claims;
    (jwk.thumbprint(ThumbprintHash::SHA256), claims)
}

fn authorization(request: &wiremock::Request) -> Option<&str> {
    request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
}

fn dpop_token(access: &str, refresh: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access,
        "token_type": "DPoP",
        "expires_in": 3600,
        "refresh_token": refresh,
    }))
}

fn bearer_token() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600}))
}

fn use_nonce(nonce: &str) -> ResponseTemplate {
    ResponseTemplate::new(400)
        .insert_header("DPoP-Nonce", nonce)
        .set_body_json(json!({"error": "use_dpop_nonce", "error_description": "Use the nonce"}))
}

/// A resource at `at` that asks once for the nonce `nonce`, then answers
/// `body`; both only to `DPoP at-1`.
async fn mount_nonce_challenge(server: &MockServer, at: &str, nonce: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(at))
        .and(header("authorization", "DPoP at-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("DPoP-Nonce", nonce)
                .insert_header("WWW-Authenticate", r#"DPoP error="use_dpop_nonce""#),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(at))
        .and(header("authorization", "DPoP at-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .with_priority(2)
        .expect(1)
        .mount(server)
        .await;
}

/// A client of a mock provider whose metadata lists `algs` for DPoP.
async fn provider(algs: Option<&[&str]>, mode: DpopMode) -> (MockServer, OAuth2Client) {
    let server = MockServer::start().await;
    let extra = algs.map_or(
        json!({}),
        |a| json!({"dpop_signing_alg_values_supported": a}),
    );
    mount_discovery(&server, extra).await;
    let config = ClientConfig {
        server_metadata_url: Some(url(&server, "/.well-known/openid-configuration")),
        revocation_endpoint: Some(url(&server, "/revoke")),
        dpop: mode,
        ..oauth2_config(&server)
    };
    let client = client(config);
    (server, client)
}

async fn mount_token(server: &MockServer, answers: Vec<ResponseTemplate>) {
    let calls = answers.len() as u64;
    for (i, answer) in answers.into_iter().enumerate() {
        let mock = Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(answer)
            .expect(1);
        // Each answer once, in order.
        mock.up_to_n_times(1)
            .with_priority(u8::try_from(i + 1).unwrap())
            .mount(server)
            .await;
    }
    assert!(calls > 0);
}

#[tokio::test]
async fn a_provider_that_lists_dpop_gets_the_keys_thumbprint_and_a_proof_on_the_code_exchange() {
    let (server, client) = provider(Some(&["ES256", "RS256"]), DpopMode::Auto).await;
    mount_token(&server, vec![dpop_token("at-1", "rt-1")]).await;
    let (url, token) = login_with(&client).await;
    let token = token.unwrap();

    let exchange = &received(&server, "/token").await[0];
    let (jkt, claims) = proof_of(exchange);
    assert_eq!(
        query(&url)["dpop_jkt"],
        jkt,
        "the login announced the key that proves"
    );
    assert_eq!(claims["htm"], "POST");
    assert_eq!(claims["htu"], format!("{}/token", server.uri()));
    assert!(claims.get("ath").is_none());
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    assert_eq!(token.token_type, "DPoP");
    assert!(token.is_dpop_bound());
    assert_eq!(token.dpop_key.as_ref().unwrap().thumbprint().unwrap(), jkt);
}

#[tokio::test]
async fn without_dpop_in_the_metadata_or_with_dpop_off_no_key_is_made() {
    for (algs, mode) in [
        (None, DpopMode::Auto),
        (Some(&["ES256"][..]), DpopMode::Off),
        (Some(&["PS256"][..]), DpopMode::Auto),
    ] {
        let (server, client) = provider(algs, mode).await;
        mount_token(&server, vec![bearer_token()]).await;
        let (url, token) = login_with(&client).await;
        assert!(!query(&url).contains_key("dpop_jkt"));
        assert!(
            received(&server, "/token").await[0]
                .headers
                .get("dpop")
                .is_none()
        );
        assert!(token.unwrap().dpop_key.is_none());
    }
}

#[tokio::test]
async fn a_provider_that_takes_only_eddsa_or_only_rs256_gets_a_key_of_that_kind() {
    for (listed, alg, jws) in [
        ("EdDSA", DpopAlg::EdDsa, jsonwebtoken::Algorithm::EdDSA),
        ("RS256", DpopAlg::Rs256, jsonwebtoken::Algorithm::RS256),
    ] {
        let (server, client) = provider(Some(&[listed, "PS512"]), DpopMode::Required).await;
        mount_token(&server, vec![dpop_token("at-1", "rt-1")]).await;
        let token = login_with(&client).await.1.unwrap();
        let key = token.dpop_key.unwrap();
        assert_eq!(key.alg(), alg);
        let proof = received(&server, "/token").await[0].headers["dpop"].clone();
        let proof = proof.to_str().unwrap();
        let header = jsonwebtoken::decode_header(proof).unwrap();
        assert_eq!(header.alg, jws);
        // The proof verifies with the public key it carries, whose
        // thumbprint the authorization request named.
        let jwk = header.jwk.unwrap();
        assert_eq!(
            jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256),
            key.thumbprint().unwrap()
        );
        let mut validation = jsonwebtoken::Validation::new(jws);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        assert!(jsonwebtoken::decode::<Value>(proof, &decoding, &validation).is_ok());
    }
}

#[tokio::test]
async fn dpop_required_refuses_a_provider_without_a_usable_algorithm_and_a_bearer_token() {
    let (_server, client) = provider(Some(&["PS256"]), DpopMode::Required).await;
    let result = client
        .authorize_redirect(&MemorySession::default(), REDIRECT_URI, &[])
        .await;
    assert!(matches!(result, Err(Error::Config(_))), "{result:?}");

    let (server, client) = provider(None, DpopMode::Required).await;
    mount_token(&server, vec![bearer_token()]).await;
    let (url, result) = login_with(&client).await;
    assert!(
        query(&url).contains_key("dpop_jkt"),
        "required works without metadata"
    );
    assert!(
        matches!(result, Err(Error::UnexpectedResponse { ref reason, .. }) if reason.contains("Bearer")),
        "{result:?}"
    );
}

#[tokio::test]
async fn the_token_endpoints_nonce_is_used_on_one_retry_and_remembered_for_the_refresh() {
    let (server, client) = provider(Some(&["ES256"]), DpopMode::Auto).await;
    mount_token(
        &server,
        vec![
            use_nonce("n-1"),
            dpop_token("at-1", "rt-1"),
            dpop_token("at-2", "rt-1"),
        ],
    )
    .await;
    let token = login_with(&client).await.1.unwrap();
    let hooks = MemoryHooks::with(token);
    let refreshed = client.refresh_now(&hooks).await.unwrap();

    let calls = received(&server, "/token").await;
    let (first_key, first) = proof_of(&calls[0]);
    let (second_key, second) = proof_of(&calls[1]);
    let (refresh_key, refresh) = proof_of(&calls[2]);
    assert!(first.get("nonce").is_none());
    assert_eq!(second["nonce"], "n-1");
    assert_ne!(first["jti"], second["jti"], "a retry is a new proof");
    assert_eq!(form(&calls[2])["grant_type"], "refresh_token");
    assert_eq!(refresh["nonce"], "n-1", "the nonce is remembered");
    assert_eq!(first_key, second_key);
    assert_eq!(refresh_key, first_key, "the refresh proves the same key");
    assert_eq!(refreshed.access_token.secret(), "at-2");
    assert!(refreshed.is_dpop_bound(), "the new token keeps its key");
    assert_eq!(hooks.stored().dpop_key, refreshed.dpop_key);
}

#[tokio::test]
async fn a_second_nonce_demand_is_not_retried_again() {
    let (server, client) = provider(Some(&["ES256"]), DpopMode::Auto).await;
    mount_token(&server, vec![use_nonce("n-1"), use_nonce("n-2")]).await;
    let result = login_with(&client).await.1;
    assert!(
        matches!(result, Err(Error::Provider { ref error, .. }) if error == "use_dpop_nonce"),
        "{result:?}"
    );
    assert_eq!(received(&server, "/token").await.len(), 2);
}

#[tokio::test]
async fn a_bound_token_goes_in_the_dpop_scheme_with_ath_and_the_resource_servers_nonce() {
    let (server, client) = provider(Some(&["ES256"]), DpopMode::Auto).await;
    mount_token(&server, vec![dpop_token("at-1", "rt-1")]).await;
    let token = login_with(&client).await.1.unwrap();
    mount_nonce_challenge(&server, "/api/me", "rs-1", json!({"id": 1})).await;
    let hooks = MemoryHooks::with(token.clone());
    let response = client.get("me?page=2", &hooks).await.unwrap();
    assert_eq!(response.status(), 200);

    let calls = received(&server, "/api/me").await;
    let (key, first) = proof_of(&calls[0]);
    let (_, second) = proof_of(&calls[1]);
    assert_eq!(key, token.dpop_key.unwrap().thumbprint().unwrap());
    assert_eq!(first["htm"], "GET");
    assert_eq!(
        first["htu"],
        format!("{}/api/me", server.uri()),
        "no query in htu"
    );
    assert_eq!(first["ath"], ath("at-1"));
    assert!(first.get("nonce").is_none());
    assert_eq!(second["nonce"], "rs-1");
    assert!(
        calls
            .iter()
            .all(|c| !authorization(c).unwrap().starts_with("Bearer")),
        "never as a bearer token"
    );
}

#[tokio::test]
async fn revoking_a_bound_token_proves_its_key() {
    let (server, client) = provider(Some(&["ES256"]), DpopMode::Auto).await;
    mount_token(&server, vec![dpop_token("at-1", "rt-1")]).await;
    Mock::given(method("POST"))
        .and(path("/revoke"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let token = login_with(&client).await.1.unwrap();
    assert!(client.revoke_token(&token).await.unwrap());
    let (key, claims) = proof_of(&received(&server, "/revoke").await[0]);
    assert_eq!(key, token.dpop_key.unwrap().thumbprint().unwrap());
    assert_eq!(claims["htu"], format!("{}/revoke", server.uri()));
}

#[tokio::test]
async fn a_token_the_provider_did_not_bind_still_travels_as_bearer() {
    let (server, client) = provider(Some(&["ES256"]), DpopMode::Auto).await;
    mount_token(&server, vec![bearer_token()]).await;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let token = login_with(&client).await.1.unwrap();
    assert!(!token.is_dpop_bound());
    let hooks = MemoryHooks::with(token);
    client.get("me", &hooks).await.unwrap();
    let call = &received(&server, "/api/me").await[0];
    assert_eq!(authorization(call), Some("Bearer at-1"));
    assert!(call.headers.get("dpop").is_none());
}

#[tokio::test]
async fn a_dpop_token_issued_to_a_login_without_a_key_is_refused() {
    let (server, client) = provider(None, DpopMode::Auto).await;
    mount_token(&server, vec![dpop_token("at-1", "rt-1")]).await;
    let result = login_with(&client).await.1;
    assert!(
        matches!(result, Err(Error::UnexpectedResponse { ref reason, .. }) if reason.contains("without a proof")),
        "{result:?}"
    );
}

#[tokio::test]
async fn userinfo_with_a_bound_token_goes_in_the_dpop_scheme_and_retries_once_for_the_nonce() {
    let server = MockServer::start().await;
    mount_nonce_challenge(&server, "/userinfo", "ui-1", json!({"sub": "user-1"})).await;
    let config = ClientConfig {
        userinfo_endpoint: Some(url(&server, "/userinfo")),
        ..oauth2_config(&server)
    };
    let client = oidc_client(config);
    let key = trilogin_oauth::dpop::DpopKey::generate(DpopAlg::Es256).unwrap();
    let bound = trilogin_oauth::OAuth2Token {
        token_type: "DPoP".into(),
        dpop_key: Some(key.clone()),
        ..token("at-1", None, 600)
    };
    let info = client.userinfo(&bound).await.unwrap();
    assert_eq!(info.sub, "user-1");

    let calls = received(&server, "/userinfo").await;
    let (first_key, first) = proof_of(&calls[0]);
    let (_, second) = proof_of(&calls[1]);
    assert_eq!(first_key, key.thumbprint().unwrap());
    assert_eq!(first["htm"], "GET");
    assert_eq!(first["ath"], ath("at-1"));
    assert_eq!(second["nonce"], "ui-1");
}
