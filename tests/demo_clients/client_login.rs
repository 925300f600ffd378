//! The site's own OAuth client layer, with the demo presets, logs in at demo
//! GitHub and demo Google: two independent implementations of each protocol
//! agree on the wire.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use trilogin::demo_mount::demo_preset;
use trilogin_accounts::Provider;
use trilogin_accounts::providers::github;
use trilogin_demo::google::id_token::IdTokenFault;
use trilogin_oauth::{Client, Error, OAuth, OAuth2Token, Token};

use trilogin_demo::testing::{DemoServer, consent_id, location};

/// A server-side session in memory, as the site keeps one per browser.
use trilogin_oauth::session::MemoryLoginSession as MemorySession;

/// The provider's client, registered as the site registers it.
fn client(server: &DemoServer, provider: Provider) -> Client {
    let http =
        trilogin_oauth::http::build_client("trilogin-tests", Duration::from_secs(5)).unwrap();
    let mut oauth = OAuth::new(http);
    let name = provider.name();
    oauth
        .register(name, demo_preset(provider, &server.config))
        .unwrap();
    oauth.client(name).unwrap().clone()
}

/// Sends the browser through the consent page as `person`; returns the
/// callback's query parameters.
async fn consent(
    server: &DemoServer,
    authorize: &url::Url,
    person: &str,
) -> BTreeMap<String, String> {
    let page = server.client.get(authorize.as_str()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let action = authorize.as_str().split('?').next().unwrap().to_owned();
    let answer = server
        .client
        .post(action)
        .form(&[
            ("consent_id", consent_id(&html).as_str()),
            ("person", person),
            ("decision", "authorize"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND);
    location(&answer).query_pairs().into_owned().collect()
}

async fn login(
    server: &DemoServer,
    provider: Provider,
    person: &str,
) -> Result<OAuth2Token, Error> {
    let client = client(server, provider);
    let session = MemorySession::default();
    let redirect_uri = server.redirect_uri(provider.name());
    let authorize = client
        .authorize_redirect(&session, &redirect_uri, &[])
        .await
        .unwrap();
    let params = consent(server, &authorize, person).await;
    match client.authorize_access_token(&session, &params).await? {
        Token::OAuth2(token) => Ok(token),
        Token::OAuth1(token) => panic!("an OAuth 1 token from {provider}: {token:?}"),
    }
}

#[tokio::test]
async fn the_client_layer_logs_in_at_demo_github_and_refreshes_with_rotation() {
    let server = DemoServer::start(&["github", "google"]).await;
    let client = client(&server, Provider::GitHub);
    let client = client.as_oauth2().unwrap();
    let token = login(&server, Provider::GitHub, "grace").await.unwrap();
    assert!(token.refresh_token.is_some());
    assert!(token.expires_at.is_some());

    let user = client
        .request_with_token(&github::user_request(), &token)
        .await
        .unwrap();
    assert_eq!(user.status(), StatusCode::OK);
    let user: Value = user.json().await.unwrap();
    assert_eq!(github::profile(&user).unwrap().provider_user_id, "1906002");
    let emails: Value = client
        .request_with_token(&github::emails_request(), &token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        github::primary_email(&emails),
        Some(("grace@example.org".to_owned(), true))
    );

    let refreshed = client.refresh_token(&token).await.unwrap();
    assert_ne!(refreshed.access_token.secret(), token.access_token.secret());
    assert_ne!(
        refreshed.refresh_token.as_ref().unwrap().secret(),
        token.refresh_token.as_ref().unwrap().secret()
    );
    let again = client.refresh_token(&token).await;
    assert!(again.is_err(), "the rotated refresh token is refused");
    let github = server.github();
    assert_eq!(github.knobs().calls("token"), 1);
    assert_eq!(github.knobs().calls("refresh"), 2);
    server.stop().await;
}

#[tokio::test]
async fn the_client_layer_logs_in_at_demo_google_and_checks_the_id_token() {
    let server = DemoServer::start(&["github", "google"]).await;
    let client = client(&server, Provider::Google);
    let client = client.as_oidc().unwrap();
    let token = login(&server, Provider::Google, "zoe").await.unwrap();
    assert!(token.id_token.is_some());
    let claims = token.id_token_claims.as_ref().unwrap();
    assert_eq!(claims.sub, "108123456789012345673");
    assert_eq!(claims.get_str("email"), Some("zoe@example.net"));

    let info = client.userinfo(&token).await.unwrap();
    assert_eq!(info.sub, claims.sub);
    server.stop().await;
}

#[tokio::test]
async fn the_client_layer_follows_a_key_rotation_and_refuses_a_tampered_id_token() {
    let server = DemoServer::start(&["github", "google"]).await;
    let google = server.google();
    login(&server, Provider::Google, "ada").await.unwrap();

    google.rotate_signing_key().unwrap();
    assert!(
        login(&server, Provider::Google, "ada").await.is_ok(),
        "a new kid is fetched"
    );

    for fault in [
        IdTokenFault::BadSignature,
        IdTokenFault::WrongAudience,
        IdTokenFault::WrongNonce,
        IdTokenFault::WrongIssuer,
        IdTokenFault::Expired,
    ] {
        google.tamper_next_id_token(fault);
        let result = login(&server, Provider::Google, "ada").await;
        assert!(
            matches!(result, Err(Error::InvalidIdToken(_))),
            "{fault:?}: {result:?}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn the_password_grant_then_a_bearer_call_runs_through_the_client_layer() {
    let server = DemoServer::start(&["github"]).await;
    let client = client(&server, Provider::GitHub);
    let client = client.as_oauth2().unwrap();
    let token = client
        .fetch_token_with_password("ada-lovelace", "demo-password", Some("read:user"))
        .await
        .unwrap();
    assert_eq!(token.token_type, "Bearer");
    let user: Value = client
        .request_with_token(&github::user_request(), &token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["login"], "ada-lovelace");

    let wrong = client
        .fetch_token_with_password("ada-lovelace", "guess", None)
        .await;
    assert!(
        matches!(&wrong, Err(Error::Provider { error, .. }) if error == "invalid_grant"),
        "{wrong:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_client_credentials_grant_gets_a_token_for_the_client_itself() {
    let server = DemoServer::start(&["github"]).await;
    let client = client(&server, Provider::GitHub);
    let client = client.as_oauth2().unwrap();
    let token = client
        .fetch_token_with_client_credentials(None)
        .await
        .unwrap();
    assert!(token.refresh_token.is_none(), "RFC 6749 §4.4.3");
    let people = client
        .request_with_token(&trilogin_oauth::ApiRequest::get("users"), &token)
        .await
        .unwrap();
    assert_eq!(people.status(), StatusCode::OK);
    // It speaks for no person.
    let me = client
        .request_with_token(&github::user_request(), &token)
        .await
        .unwrap();
    assert_ne!(me.status(), StatusCode::OK);
    server.stop().await;
}
