//! Demo GitHub and Google on a random loopback port, and the steps every
//! test of their authorization endpoint takes.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
pub use trilogin_demo::testing::{DemoServer, consent_id, location, param};
use url::Url;

/// The providers these tests serve.
const PROVIDERS: [&str; 2] = ["github", "google"];

/// Demo GitHub and Google on a fresh data directory.
pub async fn start() -> DemoServer {
    DemoServer::start(&PROVIDERS).await
}

/// Demo GitHub and Google keeping their state in `data_dir`.
pub async fn start_on(data_dir: &Path) -> DemoServer {
    DemoServer::start_on(&PROVIDERS, data_dir).await
}

/// A request to the authorization endpoint at `path`: the query is
/// `defaults`, where `extra` adds or replaces parameters.
pub async fn authorize(
    server: &DemoServer,
    path: &str,
    defaults: &[(&str, String)],
    extra: &[(&str, &str)],
) -> Response {
    let mut query = defaults.to_vec();
    for (k, v) in extra {
        query.retain(|(key, _)| key != k);
        query.push((k, (*v).to_owned()));
    }
    server
        .client
        .get(server.url(path))
        .query(&query)
        .send()
        .await
        .unwrap()
}

/// The person's Authorize as `person` on the consent `page` of the
/// authorization endpoint at `path`: where the browser is sent back.
pub async fn consent_as(server: &DemoServer, path: &str, page: Response, person: &str) -> Url {
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let response = answer(server, path, &consent_id(&html), person, "authorize").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    location(&response)
}

/// Posts a consent form to the authorization endpoint at `path`.
pub async fn answer(
    server: &DemoServer,
    path: &str,
    consent: &str,
    person: &str,
    decision: &str,
) -> reqwest::Response {
    server
        .client
        .post(server.url(path))
        .form(&[
            ("consent_id", consent),
            ("person", person),
            ("decision", decision),
        ])
        .send()
        .await
        .unwrap()
}

/// Answers consent `consent` of the endpoint at `path` twice, as a
/// double-click does, and asserts both get the same redirect; returns it.
pub async fn answer_twice(server: &DemoServer, path: &str, consent: &str) -> Url {
    let first = answer(server, path, consent, "grace", "authorize").await;
    let second = answer(server, path, consent, "grace", "authorize").await;
    assert_eq!(first.status(), StatusCode::FOUND);
    assert_eq!(second.status(), StatusCode::FOUND);
    assert_eq!(location(&second), location(&first));
    location(&first)
}

/// Asserts that once consent `consent` is answered, another person or
/// another decision on it is refused with the expired-request page.
pub async fn assert_answered_consent_refuses_another_decision(
    server: &DemoServer,
    path: &str,
    consent: &str,
) {
    let first = answer(server, path, consent, "grace", "authorize").await;
    assert_eq!(first.status(), StatusCode::FOUND);
    let other_person = answer(server, path, consent, "ada", "authorize").await;
    assert_eq!(other_person.status(), StatusCode::BAD_REQUEST);
    let deny = answer(server, path, consent, "grace", "deny").await;
    assert_eq!(deny.status(), StatusCode::BAD_REQUEST);
    let page = deny.text().await.unwrap();
    assert!(page.contains("This request has expired"), "{page}");
}

/// Asserts that the expired-request page of the endpoint at `path` links
/// back to the site's home page.
pub async fn assert_expired_page_links_back(server: &DemoServer, path: &str) {
    let response = answer(server, path, "made-up-consent-id", "ada", "authorize").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains("This request has expired"));
    let home = server.url("/").replace('/', "&#x2F;");
    assert!(
        html.contains(&format!("<a href=\"{home}\">Back to the site</a>")),
        "{html}"
    );
}

/// A `plain` PKCE challenge, which the demos refuse: only S256 is offered
/// (RFC 7636 §4.2).
pub const PLAIN_PKCE: [(&str, &str); 2] = [
    (
        "code_challenge",
        "a-plain-verifier-a-plain-verifier-a-plain-v",
    ),
    ("code_challenge_method", "plain"),
];

/// Asserts that the browser is sent back with `error`.
pub fn assert_sent_back_with(response: &Response, error: &str) {
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(param(&location(response), "error").as_deref(), Some(error));
}

/// A response's status and JSON body.
pub async fn status_and_json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The form fields of the refresh grant (RFC 6749 §6).
pub fn refresh_grant(refresh_token: &str) -> [(&'static str, &str); 2] {
    [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ]
}

/// A fresh PKCE verifier and its S256 challenge, computed here (RFC 7636 §4.2).
pub fn pkce_pair() -> (String, String) {
    let verifier = format!("verifier-{}", URL_SAFE_NO_PAD.encode(rand_bytes()));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn rand_bytes() -> [u8; 32] {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}
