//! A build without the `demo` feature (`cargo test --no-default-features
//! --test no_demo`): no demo provider is served or offered, and no page
//! mentions one. With the feature on, this file compiles to nothing.

#![cfg(not(feature = "demo"))]
#![expect(clippy::unwrap_used, reason = "test set-up fails loudly")]

use std::collections::BTreeMap;

use trilogin::config::Config;
use trilogin::startup::Application;

async fn spawn(extra: &[(&str, &str)]) -> Result<String, anyhow::Error> {
    let dir = tempfile::tempdir().unwrap();
    let mut vars = BTreeMap::from([
        ("APP_URL".to_owned(), "http://127.0.0.1:0".to_owned()),
        ("BIND".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "DATABASE_URL".to_owned(),
            dir.path().join("app.db").to_string_lossy().into_owned(),
        ),
        ("SECRET_KEY".to_owned(), "k".repeat(48)),
    ]);
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let config = Config::from_lookup(|key| vars.get(key).cloned())?;
    let app = Application::build(config).await?;
    let address = app.address().to_owned();
    tokio::spawn(app.run_until_stopped());
    // The folder must outlive the server for the test's length.
    std::mem::forget(dir);
    Ok(address)
}

#[tokio::test]
async fn a_build_without_the_demo_feature_serves_and_mentions_no_demo() {
    let address = spawn(&[]).await.unwrap();
    let client = reqwest::Client::new();
    let home = client.get(&address).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let page = home.text().await.unwrap().to_lowercase();
    assert!(!page.contains("demo"), "{page}");
    assert!(
        !page.contains("/login/github"),
        "no provider is configured: {page}"
    );
    for path in [
        "/_demo/github/login/oauth/authorize",
        "/_demo/google/.well-known/openid-configuration",
        "/_demo/twitter/oauth/request_token",
        "/_demo/demo.css",
        "/login/github",
    ] {
        let answer = client.get(format!("{address}{path}")).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn demo_providers_on_is_refused_by_a_build_without_them() {
    let error = spawn(&[("DEMO_PROVIDERS", "on")]).await.unwrap_err();
    let message = format!("{error:#}");
    assert!(message.starts_with("DEMO_PROVIDERS:"), "{message}");
    assert!(
        message.contains("built without the demo providers"),
        "{message}"
    );
}

#[tokio::test]
async fn a_provider_of_oidc_providers_without_a_client_id_stops_a_build_without_demos() {
    let error = spawn(&[("OIDC_PROVIDERS", "keycloak")]).await.unwrap_err();
    let message = format!("{error:#}");
    assert!(
        message.starts_with("KEYCLOAK_CLIENT_ID: must be set"),
        "{message}"
    );

    let address = spawn(&[
        ("OIDC_PROVIDERS", "keycloak"),
        ("KEYCLOAK_CLIENT_ID", "site"),
        ("KEYCLOAK_CLIENT_SECRET", "secret"),
        (
            "KEYCLOAK_SERVER_METADATA_URL",
            "https://sso.example.com/realms/main/.well-known/openid-configuration",
        ),
    ])
    .await
    .unwrap();
    let page = reqwest::get(&address).await.unwrap().text().await.unwrap();
    assert!(page.contains("Log in with Keycloak"), "{page}");
    assert!(!page.to_lowercase().contains("demo"), "{page}");
}
