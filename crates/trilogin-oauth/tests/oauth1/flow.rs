//! The three-legged login and resource requests, and every way they refuse.

use trilogin_oauth::config::SignatureType;
use trilogin_oauth::{ApiRequest, Error};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

#[tokio::test]
async fn the_full_three_step_login_yields_token_credentials_that_sign_api_calls() {
    let server = provider(1).await;
    Mock::given(method("GET"))
        .and(path("/1.1/account/verify_credentials.json"))
        .and(api_signature())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"id_str": "6253282"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, SignatureType::Header);
    let session = MemorySession::default();

    // Step 1: temporary credentials, then the browser goes to the provider.
    let redirect = client.authorize_redirect(&session, CALLBACK).await.unwrap();
    assert_eq!(
        redirect.as_str(),
        format!(
            "{}/oauth/authenticate?oauth_token={REQUEST_TOKEN}",
            server.uri()
        )
    );

    // Step 2 happens at the provider; step 3: the callback.
    let token = client
        .authorize_access_token(&session, &consented())
        .await
        .unwrap();
    assert_eq!(token.oauth_token.secret(), ACCESS_TOKEN);
    assert_eq!(token.oauth_token_secret.secret(), ACCESS_SECRET);
    assert_eq!(
        token.extra.get("user_id").map(String::as_str),
        Some("6253282")
    );
    assert_eq!(
        token.extra.get("screen_name").map(String::as_str),
        Some("jane")
    );

    let response = client
        .get("account/verify_credentials.json", &token)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let profile: serde_json::Value = response.json().await.unwrap();
    assert_eq!(profile["id_str"], "6253282");
}

#[tokio::test]
async fn a_request_token_answer_without_callback_confirmation_is_refused() {
    let server = MockServer::start().await;
    mount_refusal(&server).await;
    let unconfirmed = "oauth_token=request-token-1&oauth_token_secret=s";
    mount_request_token(&server, unconfirmed, 1).await;
    mount_access_token(&server, 0).await;
    let client = client(&server, SignatureType::Header);
    let session = MemorySession::default();

    let err = client
        .authorize_redirect(&session, CALLBACK)
        .await
        .unwrap_err();
    match err {
        Error::UnexpectedResponse { status, body, .. } => {
            assert_eq!(status, 200);
            assert_eq!(body, unconfirmed);
        }
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    }
    // Nothing was kept: a callback for that token finds no pending login.
    assert_no_pending_login(&client, &session).await;
}

#[tokio::test]
async fn a_callback_with_an_unknown_oauth_token_is_refused_before_any_exchange() {
    let server = provider(0).await;
    let session = MemorySession::default();
    let client = started_login(&server, &session).await;

    for forged in ["request-token-2", "request-token-", "REQUEST-TOKEN-1", ""] {
        let err = client
            .authorize_access_token(
                &session,
                &callback(&[("oauth_token", forged), ("oauth_verifier", VERIFIER)]),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::StateMismatch), "{forged}: {err:?}");
    }
    let err = client
        .authorize_access_token(&session, &callback(&[("oauth_verifier", VERIFIER)]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::StateMismatch),
        "no oauth_token: {err:?}"
    );
}

#[tokio::test]
async fn a_callback_replayed_after_a_successful_login_is_refused() {
    let server = provider(1).await;
    let session = MemorySession::default();
    let client = started_login(&server, &session).await;

    client
        .authorize_access_token(&session, &consented())
        .await
        .unwrap();
    assert_no_pending_login(&client, &session).await;
}

#[tokio::test]
async fn a_callback_carried_into_another_browser_session_is_refused() {
    let server = provider(0).await;
    let attacker = MemorySession::default();
    let client = started_login(&server, &attacker).await;

    let victim = MemorySession::default();
    assert_no_pending_login(&client, &victim).await;
}

#[tokio::test]
async fn twitters_denied_callback_is_access_denied_and_spends_the_request_token() {
    let server = provider(0).await;
    let session = MemorySession::default();
    let client = started_login(&server, &session).await;

    let err = client
        .authorize_access_token(&session, &callback(&[("denied", REQUEST_TOKEN)]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AccessDenied { ref error, .. } if error == "access_denied"),
        "{err:?}"
    );
    assert_no_pending_login(&client, &session).await;
}

#[tokio::test]
async fn a_401_from_the_api_means_the_person_must_log_in_again() {
    let server = MockServer::start().await;
    let body = r#"{"errors":[{"code":89,"message":"Invalid or expired token."}]}"#;
    mount_timeline(&server, ResponseTemplate::new(401).set_body_string(body), 1).await;
    let client = client(&server, SignatureType::Header);

    let err = client
        .get("statuses/home_timeline.json", &access_token())
        .await
        .unwrap_err();
    match err {
        Error::ReauthorizationRequired { reason } => assert!(reason.contains(body), "{reason}"),
        other => panic!("expected ReauthorizationRequired, got {other:?}"),
    }
}

#[tokio::test]
async fn other_api_statuses_are_left_to_the_caller() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429).set_body_string("rate limited");
    mount_timeline(&server, limited, 1).await;
    let client = client(&server, SignatureType::Header);

    let response = client
        .get("statuses/home_timeline.json", &access_token())
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.text().await.unwrap(), "rate limited");
}

#[tokio::test]
async fn a_failing_token_endpoint_keeps_the_providers_status_and_body() {
    let server = MockServer::start().await;
    mount_request_token(&server, TEMPORARY_CREDENTIALS, 1).await;
    Mock::given(method("POST"))
        .and(path("/oauth/access_token"))
        .respond_with(ResponseTemplate::new(503).set_body_string("over capacity"))
        .expect(1)
        .mount(&server)
        .await;
    let session = MemorySession::default();
    let client = started_login(&server, &session).await;

    let err = client
        .authorize_access_token(&session, &consented())
        .await
        .unwrap_err();
    assert!(err.is_transient());
    assert!(
        matches!(err, Error::UnexpectedResponse { status: 503, ref body, .. } if body == "over capacity"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_callback_without_a_verifier_is_refused_and_spends_the_request_token() {
    let server = provider(0).await;
    let session = MemorySession::default();
    let client = started_login(&server, &session).await;

    let err = client
        .authorize_access_token(&session, &callback(&[("oauth_token", REQUEST_TOKEN)]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider { ref error, .. } if error == "invalid_callback"),
        "{err:?}"
    );
    assert_no_pending_login(&client, &session).await;
}

#[tokio::test]
async fn request_and_access_token_params_travel_signed_in_their_calls() {
    let server = MockServer::start().await;
    mount_refusal(&server).await;
    Mock::given(method("POST"))
        .and(path("/oauth/request_token"))
        .and(query_param("x_auth_access_type", "read"))
        .and(request_token_signature())
        .respond_with(ResponseTemplate::new(200).set_body_string(TEMPORARY_CREDENTIALS))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/access_token"))
        .and(query_param("include_email", "true"))
        .and(access_token_signature())
        .respond_with(ResponseTemplate::new(200).set_body_string(TOKEN_CREDENTIALS))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = config(&server, SignatureType::Header, CONSUMER_SECRET);
    config
        .request_token_params
        .insert("x_auth_access_type".into(), "read".into());
    config
        .access_token_params
        .insert("include_email".into(), "true".into());
    let client = client_with(config);
    let session = MemorySession::default();
    client.authorize_redirect(&session, CALLBACK).await.unwrap();
    let token = client
        .authorize_access_token(&session, &consented())
        .await
        .unwrap();
    assert_eq!(token.oauth_token.secret(), ACCESS_TOKEN);
}

#[tokio::test]
async fn a_request_that_withholds_the_token_is_signed_by_the_client_alone() {
    let server = MockServer::start().await;
    mount_refusal(&server).await;
    mount_public_endpoint(&server, 2).await;
    let client = client(&server, SignatureType::Header);
    let request = ApiRequest::get("help/configuration.json").without_token();
    let response = client.request_without_token(&request).await.unwrap();
    assert_eq!(response.status(), 200);
    // Given a token anyway, the flag still keeps it home.
    let response = client.request(&request, &access_token()).await.unwrap();
    assert_eq!(response.status(), 200);
    for received in server.received_requests().await.unwrap() {
        let authorization = received.headers["authorization"].to_str().unwrap();
        assert!(!authorization.contains("oauth_token="), "{authorization}");
    }
}
