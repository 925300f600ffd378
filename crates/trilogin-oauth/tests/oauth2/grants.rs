//! The grants without a browser: password and client credentials.

use std::collections::BTreeMap;

use serde_json::json;
use trilogin_oauth::{ClientConfig, Error};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

async fn token_endpoint(server: &MockServer, status: u16, body: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

#[tokio::test]
async fn the_password_grant_sends_the_credentials_with_client_authentication() {
    let server = MockServer::start().await;
    token_endpoint(
        &server,
        200,
        json!({"access_token": "at-p", "expires_in": 60}),
    )
    .await;
    let config = ClientConfig {
        access_token_params: BTreeMap::from([("audience".to_owned(), "api".to_owned())]),
        ..oauth2_config(&server)
    };
    let token = client(config)
        .fetch_token_with_password("ada", "pa ss&word", None)
        .await
        .unwrap();
    assert_eq!(token.access_token.secret(), "at-p");
    let request = &received(&server, "/token").await[0];
    let sent = form(request);
    assert_eq!(sent["grant_type"], "password");
    assert_eq!(sent["username"], "ada");
    assert_eq!(sent["password"], "pa ss&word");
    assert_eq!(sent["scope"], "read:user", "the configured scope");
    assert_eq!(sent["audience"], "api");
    assert!(!sent.contains_key("client_secret"), "Basic, not the body");
    assert!(
        request.headers["authorization"]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
}

#[tokio::test]
async fn the_client_credentials_grant_asks_for_the_scope_given() {
    let server = MockServer::start().await;
    token_endpoint(
        &server,
        200,
        json!({"access_token": "at-c", "token_type": "bearer"}),
    )
    .await;
    let token = client(oauth2_config(&server))
        .fetch_token_with_client_credentials(Some("repo admin"))
        .await
        .unwrap();
    assert_eq!(token.access_token.secret(), "at-c");
    let sent = form(&received(&server, "/token").await[0]);
    assert_eq!(sent["grant_type"], "client_credentials");
    assert_eq!(sent["scope"], "repo admin");
    assert!(!sent.contains_key("username"));
}

#[tokio::test]
async fn a_refused_grant_is_the_providers_error() {
    let server = MockServer::start().await;
    token_endpoint(
        &server,
        400,
        json!({"error": "invalid_grant", "error_description": "wrong password"}),
    )
    .await;
    let refused = client(oauth2_config(&server))
        .fetch_token_with_password("ada", "guess", None)
        .await;
    assert!(
        matches!(&refused, Err(Error::Provider { error, .. }) if error == "invalid_grant"),
        "{refused:?}"
    );
}
