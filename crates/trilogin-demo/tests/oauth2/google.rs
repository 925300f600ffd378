//! Demo Google: discovery, JWKS, authorization, tokens, id_tokens, userinfo,
//! revocation, end session and knobs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use trilogin_demo::google::id_token::IdTokenFault;
use trilogin_demo::knobs::Fault;
use trilogin_demo::{GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET};

use crate::support::{
    self, DemoServer, PLAIN_PKCE, answer, answer_twice,
    assert_answered_consent_refuses_another_decision, assert_expired_page_links_back,
    assert_sent_back_with, consent_as, consent_id, location, param, pkce_pair, refresh_grant,
    start, start_on, status_and_json,
};

const AUTHORIZE: &str = "/_demo/google/o/oauth2/v2/auth";

fn issuer(server: &DemoServer) -> String {
    server.url("/_demo/google")
}

async fn get_json(server: &DemoServer, path: &str) -> Value {
    let response = server.client.get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn discovery(server: &DemoServer) -> Value {
    get_json(server, "/_demo/google/.well-known/openid-configuration").await
}

/// A login request; `extra` adds or replaces query parameters.
async fn authorize(server: &DemoServer, extra: &[(&str, &str)]) -> reqwest::Response {
    let defaults = [
        ("client_id", GOOGLE_CLIENT_ID.to_owned()),
        ("redirect_uri", server.redirect_uri("google")),
        ("response_type", "code".to_owned()),
        ("scope", "openid email profile".to_owned()),
        ("state", "g-state".to_owned()),
        ("nonce", "g-nonce".to_owned()),
    ];
    support::authorize(server, AUTHORIZE, &defaults, extra).await
}

/// Runs authorization and consent; returns the callback URL.
async fn callback(server: &DemoServer, person: &str, extra: &[(&str, &str)]) -> url::Url {
    let page = authorize(server, extra).await;
    consent_as(server, AUTHORIZE, page, person).await
}

/// Posts to the token endpoint with client_secret_basic.
async fn token(server: &DemoServer, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let request = server
        .client
        .post(server.url("/_demo/google/token"))
        .basic_auth(GOOGLE_CLIENT_ID, Some(GOOGLE_CLIENT_SECRET))
        .form(fields);
    status_and_json(request.send().await.unwrap()).await
}

/// The refresh grant.
async fn refresh(server: &DemoServer, refresh_token: &str) -> (StatusCode, Value) {
    token(server, &refresh_grant(refresh_token)).await
}

async fn exchange(server: &DemoServer, code: &str, verifier: Option<&str>) -> (StatusCode, Value) {
    let redirect_uri = server.redirect_uri("google");
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
    ];
    if let Some(verifier) = verifier {
        fields.push(("code_verifier", verifier));
    }
    token(server, &fields).await
}

/// A login for `person` with offline access; returns the token answer.
async fn login(server: &DemoServer, person: &str) -> Value {
    let back = callback(server, person, &[("access_type", "offline")]).await;
    let (status, body) = exchange(server, &param(&back, "code").unwrap(), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Verifies an id_token against the published JWKS, as a client must.
async fn verify(server: &DemoServer, id_token: &str) -> Result<Value, jsonwebtoken::errors::Error> {
    let header = jsonwebtoken::decode_header(id_token)?;
    assert_eq!(header.alg, Algorithm::RS256);
    let kid = header.kid.expect("id_tokens name their key");
    let jwks = get_json(server, "/_demo/google/oauth2/v3/certs").await;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the kid is published")
        .clone();
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[GOOGLE_CLIENT_ID]);
    validation.set_issuer(&[issuer(server)]);
    jsonwebtoken::decode::<Value>(id_token, &key, &validation).map(|data| data.claims)
}

async fn userinfo(server: &DemoServer, access_token: &str) -> reqwest::Response {
    server
        .client
        .get(server.url("/_demo/google/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn discovery_lists_the_endpoints_and_announces_the_iss_parameter() {
    let server = start().await;
    let doc = discovery(&server).await;
    let issuer = issuer(&server);
    assert_eq!(doc["issuer"], issuer.as_str());
    assert!(!issuer.ends_with('/'));
    for (field, path) in [
        ("authorization_endpoint", "/o/oauth2/v2/auth"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("revocation_endpoint", "/revoke"),
        ("end_session_endpoint", "/logout"),
        ("jwks_uri", "/oauth2/v3/certs"),
    ] {
        assert_eq!(doc[field], format!("{issuer}{path}"), "{field}");
    }
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    let methods = doc["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(methods.contains(&"client_secret_basic".into()));
    assert!(methods.contains(&"client_secret_post".into()));
    assert_eq!(server.google().knobs().calls("discovery"), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_full_login_with_pkce_and_nonce_yields_an_id_token_that_verifies_against_the_jwks() {
    let server = start().await;
    let (verifier, challenge) = pkce_pair();
    let page = authorize(
        &server,
        &[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("access_type", "offline"),
            ("login_hint", "grace@example.org"),
        ],
    )
    .await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains("value=\"grace\" checked"),
        "login_hint preselects Grace"
    );
    let response = answer(&server, AUTHORIZE, &consent_id(&html), "grace", "authorize").await;
    let back = location(&response);
    assert!(back.as_str().starts_with(&server.redirect_uri("google")));
    assert_eq!(param(&back, "state").as_deref(), Some("g-state"));
    assert_eq!(param(&back, "iss"), Some(issuer(&server)));
    let scope = param(&back, "scope").unwrap();
    assert!(scope.contains("https://www.googleapis.com/auth/userinfo.email"));

    let (status, body) = exchange(&server, &param(&back, "code").unwrap(), Some(&verifier)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    let access = body["access_token"].as_str().unwrap();
    assert!(access.starts_with("ya29."));
    assert!(
        body["refresh_token"].is_string(),
        "access_type=offline gives a refresh token"
    );

    let claims = verify(&server, body["id_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims["sub"], "108123456789012345672");
    assert_eq!(claims["azp"], GOOGLE_CLIENT_ID);
    assert_eq!(claims["nonce"], "g-nonce");
    assert_eq!(claims["email"], "grace@example.org");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Grace Hopper");
    assert_eq!(claims["given_name"], "Grace");
    assert_eq!(claims["family_name"], "Hopper");
    assert!(
        claims["picture"]
            .as_str()
            .unwrap()
            .ends_with("/_demo/avatars/grace.svg")
    );
    let expected_at_hash = URL_SAFE_NO_PAD.encode(&Sha256::digest(access.as_bytes())[..16]);
    assert_eq!(claims["at_hash"], expected_at_hash);
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());

    let info = userinfo(&server, access).await;
    assert_eq!(info.status(), StatusCode::OK);
    let info: Value = info.json().await.unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["email"], "grace@example.org");
    server.stop().await;
}

#[tokio::test]
async fn without_offline_access_there_is_no_refresh_token_and_client_secret_post_works() {
    let server = start().await;
    let back = callback(&server, "ada", &[]).await;
    let redirect_uri = server.redirect_uri("google");
    let response = server
        .client
        .post(server.url("/_demo/google/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &param(&back, "code").unwrap()),
            ("redirect_uri", &redirect_uri),
            ("client_id", GOOGLE_CLIENT_ID),
            ("client_secret", GOOGLE_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body["access_token"].is_string());
    assert!(body.get("refresh_token").is_none());
    server.stop().await;
}

#[tokio::test]
async fn refresh_gives_a_new_access_token_and_id_token_and_keeps_the_refresh_token() {
    let server = start().await;
    let first = login(&server, "zoe").await;
    let refresh_token = first["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        let (status, body) = refresh(&server, refresh_token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_ne!(body["access_token"], first["access_token"]);
        assert!(
            body.get("refresh_token").is_none(),
            "Google does not rotate"
        );
        let claims = verify(&server, body["id_token"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(claims["sub"], "108123456789012345673");
        assert!(claims.get("nonce").is_none());
    }
    assert_eq!(server.google().knobs().calls("refresh"), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_redirect_uri_or_client_gets_an_error_page_and_no_redirect() {
    let server = start().await;
    let wrong_uri = authorize(&server, &[("redirect_uri", "https://evil.example/cb")]).await;
    assert_eq!(wrong_uri.status(), StatusCode::BAD_REQUEST);
    assert!(wrong_uri.headers().get("location").is_none());
    assert!(
        wrong_uri
            .text()
            .await
            .unwrap()
            .contains("redirect_uri_mismatch")
    );

    let wrong_client = authorize(
        &server,
        &[("client_id", "other.apps.googleusercontent.com")],
    )
    .await;
    assert_eq!(wrong_client.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong_client.headers().get("location").is_none());
    server.stop().await;
}

#[tokio::test]
async fn a_redirect_uri_other_than_the_authorization_requests_is_refused_at_the_token_endpoint() {
    let server = start().await;
    let back = callback(&server, "ada", &[]).await;
    let code = param(&back, "code").unwrap();
    let (status, body) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:1/x"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "redirect_uri_mismatch");
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_or_missing_pkce_verifier_is_refused() {
    let server = start().await;
    let (_, challenge) = pkce_pair();
    let (other, _) = pkce_pair();
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];

    let back = callback(&server, "ada", &pkce).await;
    let (status, body) = exchange(&server, &param(&back, "code").unwrap(), Some(&other)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "Invalid code verifier.");

    let back = callback(&server, "ada", &pkce).await;
    let (_, body) = exchange(&server, &param(&back, "code").unwrap(), None).await;
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "Missing code verifier.");
    server.stop().await;
}

#[tokio::test]
async fn a_code_works_once_and_its_replay_revokes_the_tokens() {
    let server = start().await;
    let back = callback(&server, "ada", &[]).await;
    let code = param(&back, "code").unwrap();
    let (_, first) = exchange(&server, &code, None).await;
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&server, access).await.status(), StatusCode::OK);
    let (status, replay) = exchange(&server, &code, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(replay["error"], "invalid_grant");
    assert_eq!(
        userinfo(&server, access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    server.stop().await;
}

#[tokio::test]
async fn wrong_client_credentials_get_invalid_client() {
    let server = start().await;
    let back = callback(&server, "ada", &[]).await;
    let response = server
        .client
        .post(server.url("/_demo/google/token"))
        .basic_auth(GOOGLE_CLIENT_ID, Some("wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &param(&back, "code").unwrap()),
            ("redirect_uri", &server.redirect_uri("google")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    server.stop().await;
}

#[tokio::test]
async fn deny_sends_access_denied_with_state_and_iss() {
    let server = start().await;
    let html = authorize(&server, &[]).await.text().await.unwrap();
    let response = answer(&server, AUTHORIZE, &consent_id(&html), "ada", "deny").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = location(&response);
    assert!(back.as_str().starts_with(&server.redirect_uri("google")));
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&back, "state").as_deref(), Some("g-state"));
    assert_eq!(param(&back, "iss"), Some(issuer(&server)));
    assert!(param(&back, "code").is_none());
    server.stop().await;
}

#[tokio::test]
async fn prompt_none_answers_interaction_required_and_plain_pkce_is_refused() {
    let server = start().await;
    let response = authorize(&server, &[("prompt", "none")]).await;
    assert_sent_back_with(&response, "interaction_required");

    let response = authorize(&server, &PLAIN_PKCE).await;
    assert_sent_back_with(&response, "invalid_request");
    server.stop().await;
}

#[tokio::test]
async fn the_consent_page_is_branded_and_escapes_input() {
    let server = start().await;
    let response = authorize(&server, &[("scope", "openid <img src=x onerror=alert(1)>")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("Demo Google — no real account"));
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("zoe@example.net"));
    server.stop().await;
}

#[tokio::test]
async fn a_rotated_key_is_published_beside_the_old_one_and_signs_new_id_tokens() {
    let server = start().await;
    let google = server.google();
    let old_kid = google.signing_kid();
    let before = login(&server, "ada").await;

    let new_kid = google.rotate_signing_key().unwrap();
    assert_ne!(new_kid, old_kid);
    let jwks = get_json(&server, "/_demo/google/oauth2/v3/certs").await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()));

    let after = login(&server, "ada").await;
    let header = jsonwebtoken::decode_header(after["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    assert!(
        verify(&server, after["id_token"].as_str().unwrap())
            .await
            .is_ok()
    );
    assert!(
        verify(&server, before["id_token"].as_str().unwrap())
            .await
            .is_ok()
    );
    server.stop().await;
}

#[tokio::test]
async fn keys_and_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_on(dir.path()).await;
    let tokens = login(&server, "ada").await;
    let jwks = get_json(&server, "/_demo/google/oauth2/v3/certs").await;
    server.stop().await;

    let restarted = start_on(dir.path()).await;
    assert_eq!(
        get_json(&restarted, "/_demo/google/oauth2/v3/certs").await,
        jwks
    );
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&restarted, access).await.status(), StatusCode::OK);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let keys = dir.path().join(trilogin_demo::google::KEYS_DIR);
        for entry in std::fs::read_dir(keys).unwrap() {
            let mode = entry.unwrap().metadata().unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
    restarted.stop().await;
}

#[tokio::test]
async fn an_expired_access_token_is_refused_by_userinfo_with_a_bearer_challenge() {
    let server = start().await;
    let tokens = login(&server, "ada").await;
    server.google().expire_all_access_tokens();
    let response = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer ") && challenge.contains("invalid_token"));
    let (status, _) = refresh(&server, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn revoking_a_token_ends_the_grant_and_revoked_refresh_tokens_get_invalid_grant() {
    let server = start().await;
    let tokens = login(&server, "ada").await;
    let access = tokens["access_token"].as_str().unwrap();
    let revoke = || {
        server
            .client
            .post(server.url("/_demo/google/revoke"))
            .form(&[("token", access)])
            .send()
    };
    assert_eq!(revoke().await.unwrap().status(), StatusCode::OK);
    let (status, body) = refresh(&server, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(revoke().await.unwrap().status(), StatusCode::BAD_REQUEST);

    let other = login(&server, "grace").await;
    server.google().revoke_all_refresh_tokens();
    let (_, body) = refresh(&server, other["refresh_token"].as_str().unwrap()).await;
    assert_eq!(body["error"], "invalid_grant");
    server.stop().await;
}

#[tokio::test]
async fn end_session_returns_only_to_the_sites_own_origin() {
    let server = start().await;
    let home = server.url("/?signed_out=1");
    let end_session = |query: &[(&str, &str)]| {
        server
            .client
            .get(server.url("/_demo/google/logout"))
            .query(query)
            .send()
    };
    let response = end_session(&[
        ("post_logout_redirect_uri", home.as_str()),
        ("state", "bye"),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = location(&response);
    assert!(back.as_str().starts_with(&home));
    assert_eq!(param(&back, "state").as_deref(), Some("bye"));

    let foreign = end_session(&[("post_logout_redirect_uri", "https://evil.example/")])
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::OK);
    assert!(foreign.headers().get("location").is_none());
    server.stop().await;
}

#[tokio::test]
async fn end_session_checks_the_client_and_the_id_token_hint_and_records_them() {
    let server = start().await;
    let google = server.google();
    let end_session = |query: Vec<(&'static str, String)>| {
        server
            .client
            .get(server.url("/_demo/google/logout"))
            .query(&query)
            .send()
    };
    let id_token = login(&server, "ada").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    google.tamper_next_id_token(IdTokenFault::Expired);
    let expired = login(&server, "grace").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let home = server.url("/");

    let accepted = end_session(vec![
        ("id_token_hint", id_token.clone()),
        ("client_id", GOOGLE_CLIENT_ID.to_owned()),
        ("post_logout_redirect_uri", home.clone()),
        ("state", "s-1".to_owned()),
    ])
    .await
    .unwrap();
    assert_eq!(accepted.status(), StatusCode::FOUND);
    let recorded = google.last_end_session().unwrap();
    assert_eq!(
        recorded.hint_subject.as_deref(),
        Some("108123456789012345671")
    );
    assert_eq!(recorded.client_id.as_deref(), Some(GOOGLE_CLIENT_ID));
    assert_eq!(recorded.post_logout_redirect_uri, Some(home.clone()));
    assert_eq!(recorded.state.as_deref(), Some("s-1"));

    // RP-Initiated Logout §2: an expired hint still names the person.
    let late = end_session(vec![("id_token_hint", expired)]).await.unwrap();
    assert_eq!(late.status(), StatusCode::OK);
    assert_eq!(
        google.last_end_session().unwrap().hint_subject.as_deref(),
        Some("108123456789012345672")
    );

    google.tamper_next_id_token(IdTokenFault::BadSignature);
    let forged = login(&server, "ada").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for refused in [
        vec![("client_id", "someone-else".to_owned())],
        vec![("id_token_hint", "not.a.token".to_owned())],
        vec![("id_token_hint", forged)],
    ] {
        let response = end_session(refused.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{refused:?}");
        assert!(response.headers().get("location").is_none());
    }
    assert_eq!(
        google.last_end_session().unwrap().hint_subject.as_deref(),
        Some("108123456789012345672"),
        "refusals are not recorded"
    );
    server.stop().await;
}

#[tokio::test]
async fn tampered_id_tokens_fail_verification() {
    let server = start().await;
    let google = server.google();

    for fault in [IdTokenFault::BadSignature, IdTokenFault::WrongAudience] {
        google.tamper_next_id_token(fault);
        let broken = login(&server, "ada").await;
        assert!(
            verify(&server, broken["id_token"].as_str().unwrap())
                .await
                .is_err(),
            "{fault:?}"
        );
    }

    google.tamper_next_id_token(IdTokenFault::WrongNonce);
    let wrong_nonce = login(&server, "ada").await;
    let claims = verify(&server, wrong_nonce["id_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_ne!(claims["nonce"], "g-nonce");

    let fine = login(&server, "ada").await;
    assert!(
        verify(&server, fine["id_token"].as_str().unwrap())
            .await
            .is_ok(),
        "faults fire once"
    );
    server.stop().await;
}

#[tokio::test]
async fn injected_token_faults_fire_once() {
    let server = start().await;
    let google = server.google();
    let back = callback(&server, "ada", &[]).await;
    let code = param(&back, "code").unwrap();

    google.knobs().fail_next_token_request(Fault::ServerError);
    let (status, _) = {
        let response = server
            .client
            .post(server.url("/_demo/google/token"))
            .form(&[("grant_type", "authorization_code")])
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    google.knobs().fail_next_token_request(Fault::InvalidGrant);
    let (status, body) = exchange(&server, &code, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");

    let (status, body) = exchange(&server, &code, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(google.knobs().calls("token"), 3);
    server.stop().await;
}

#[tokio::test]
async fn the_same_consent_sent_twice_gets_the_same_code_which_works_once() {
    let server = start().await;
    let html = authorize(&server, &[]).await.text().await.unwrap();
    let back = answer_twice(&server, AUTHORIZE, &consent_id(&html)).await;
    let code = param(&back, "code").expect("a code");
    let (_, tokens) = exchange(&server, &code, None).await;
    assert!(tokens["access_token"].is_string(), "{tokens}");
    let (_, again) = exchange(&server, &code, None).await;
    assert_eq!(again["error"], "invalid_grant");
    server.stop().await;
}

#[tokio::test]
async fn another_decision_on_an_answered_consent_is_refused() {
    let server = start().await;
    let html = authorize(&server, &[]).await.text().await.unwrap();
    assert_answered_consent_refuses_another_decision(&server, AUTHORIZE, &consent_id(&html)).await;
    server.stop().await;
}

#[tokio::test]
async fn the_expired_request_page_links_back_to_the_site() {
    let server = start().await;
    assert_expired_page_links_back(&server, AUTHORIZE).await;
    server.stop().await;
}

#[tokio::test]
async fn the_picture_has_a_page_and_an_unknown_path_is_a_titled_404_page() {
    let server = start().await;
    let tokens = login(&server, "grace").await;
    let claims: Value = userinfo(&server, tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let picture = server
        .client
        .get(claims["picture"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(picture.status(), StatusCode::OK);
    assert_eq!(picture.headers()["content-type"], "image/svg+xml");

    let response = server
        .client
        .get(server.url("/_demo/google/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<title>Page not found · Demo Google</title>"),
        "{html}"
    );
    assert!(html.contains("Back to the site"));
    server.stop().await;
}
