//! Pushed authorization requests (RFC 9126): what is pushed, with which
//! client authentication, what the browser carries, and each refusal.

use serde_json::json;
use trilogin_oauth::config::{ParMode, TokenEndpointAuthMethod};
use trilogin_oauth::{ClientConfig, Error};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const REQUEST_URI: &str = "urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c";

async fn mount_par(server: &MockServer, response: ResponseTemplate, expected_calls: u64) {
    Mock::given(method("POST"))
        .and(path("/par"))
        .respond_with(response)
        .expect(expected_calls)
        .mount(server)
        .await;
}

fn pushed() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({"request_uri": REQUEST_URI, "expires_in": 60}))
}

/// A plain OAuth 2 client configured with the mock's PAR endpoint.
fn par_config(server: &MockServer) -> ClientConfig {
    ClientConfig {
        pushed_authorization_request_endpoint: Some(url(server, "/par")),
        ..oauth2_config(server)
    }
}

/// A plain OAuth 2 client that reads the mock's metadata.
fn discovered_config(server: &MockServer) -> ClientConfig {
    ClientConfig {
        server_metadata_url: Some(url(server, "/.well-known/openid-configuration")),
        ..oauth2_config(server)
    }
}

#[tokio::test]
async fn a_provider_with_a_par_endpoint_gets_the_whole_request_pushed_and_the_browser_only_the_request_uri()
 {
    let server = MockServer::start().await;
    let par = format!("{}/par", server.uri());
    mount_discovery(
        &server,
        json!({"pushed_authorization_request_endpoint": par}),
    )
    .await;
    mount_par(&server, pushed(), 1).await;
    let client = client(discovered_config(&server));
    let session = MemorySession::default();
    let url = start_login(&client, &session).await;

    let q = query(&url);
    assert_eq!(url.path(), "/authorize");
    assert_eq!(q.len(), 2, "{q:?}");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["request_uri"], REQUEST_URI);
    let push = &received(&server, "/par").await[0];
    let body = form(push);
    assert_eq!(body["response_type"], "code");
    assert_eq!(body["client_id"], CLIENT_ID);
    assert_eq!(body["redirect_uri"], REDIRECT_URI);
    assert_eq!(body["scope"], "read:user");
    assert_eq!(body["code_challenge_method"], "S256");
    assert!(body["state"].len() >= 43);
    assert!(
        push.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Basic ")),
        "the push authenticates the client as the token endpoint would"
    );

    // The pushed state is the one the callback must bring back.
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 60}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let token = client
        .authorize_access_token(&session, &callback(&body["state"], "code-1"))
        .await
        .unwrap();
    assert_eq!(token.access_token.secret(), "at-1");
}

#[tokio::test]
async fn with_client_secret_post_the_pushed_request_names_the_client_once() {
    let server = MockServer::start().await;
    mount_par(&server, pushed(), 1).await;
    let config = ClientConfig {
        token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretPost,
        ..par_config(&server)
    };
    start_login(&client(config), &MemorySession::default()).await;
    let push = &received(&server, "/par").await[0];
    let names: Vec<String> = url::form_urlencoded::parse(&push.body)
        .map(|(k, _)| k.into_owned())
        .collect();
    assert_eq!(
        names.iter().filter(|n| *n == "client_id").count(),
        1,
        "{names:?}"
    );
    assert_eq!(form(push)["client_secret"], CLIENT_SECRET);
}

#[tokio::test]
async fn par_off_sends_the_request_in_the_url_even_where_the_provider_has_an_endpoint() {
    let server = MockServer::start().await;
    mount_par(&server, pushed(), 0).await;
    let config = ClientConfig {
        par: ParMode::Off,
        ..par_config(&server)
    };
    let url = start_login(&client(config), &MemorySession::default()).await;
    let q = query(&url);
    assert!(
        q.contains_key("state") && !q.contains_key("request_uri"),
        "{q:?}"
    );
}

#[tokio::test]
async fn par_required_without_an_endpoint_is_a_configuration_error() {
    let server = MockServer::start().await;
    mount_discovery(&server, json!({})).await;
    let config = ClientConfig {
        par: ParMode::Required,
        ..discovered_config(&server)
    };
    let result = client(config)
        .authorize_redirect(&MemorySession::default(), REDIRECT_URI, &[])
        .await;
    assert!(
        matches!(result, Err(Error::Config(ref m)) if m.contains("PAR")),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_provider_that_requires_par_but_names_no_endpoint_is_a_configuration_error() {
    let server = MockServer::start().await;
    mount_discovery(
        &server,
        json!({"require_pushed_authorization_requests": true}),
    )
    .await;
    let result = client(discovered_config(&server))
        .authorize_redirect(&MemorySession::default(), REDIRECT_URI, &[])
        .await;
    assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
}

#[tokio::test]
async fn a_refused_push_is_the_providers_error_and_leaves_no_pending_login() {
    let server = MockServer::start().await;
    mount_par(
        &server,
        ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_request",
            "error_description": "redirect_uri is not registered",
        })),
        1,
    )
    .await;
    let config = par_config(&server);
    let session = MemorySession::default();
    let result = client(config)
        .authorize_redirect(&session, REDIRECT_URI, &[])
        .await;
    match result {
        Err(Error::Provider {
            error,
            description,
            status,
            ..
        }) => {
            assert_eq!(error, "invalid_request");
            assert_eq!(
                description.as_deref(),
                Some("redirect_uri is not registered")
            );
            assert_eq!(status, 400);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(session.len(), 0);
}

#[tokio::test]
async fn a_push_answered_without_a_request_uri_or_with_a_server_error_is_unexpected() {
    for answer in [
        ResponseTemplate::new(201).set_body_json(json!({"expires_in": 60})),
        ResponseTemplate::new(503).set_body_string("<html>down</html>"),
    ] {
        let server = MockServer::start().await;
        mount_par(&server, answer, 1).await;
        let config = par_config(&server);
        let result = client(config)
            .authorize_redirect(&MemorySession::default(), REDIRECT_URI, &[])
            .await;
        assert!(
            matches!(result, Err(Error::UnexpectedResponse { .. })),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn request_uri_cannot_be_set_by_extra_parameters() {
    let server = MockServer::start().await;
    let result = client(oauth2_config(&server))
        .authorize_redirect(
            &MemorySession::default(),
            REDIRECT_URI,
            &[("request_uri", "urn:x")],
        )
        .await;
    assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
}
