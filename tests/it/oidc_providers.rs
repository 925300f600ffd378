//! OpenID Connect providers configured by name (`OIDC_PROVIDERS`): two
//! served by demo Googles under their own names and issuers, a fourth
//! configured only through its `<NAME>_*` settings, and the start-up
//! refusals of incomplete settings.

use trilogin::config::{Config, DemoMode};
use trilogin_demo::google::DemoGoogle;
use trilogin_demo::google::id_token::IdTokenFault;

use crate::journey::{consent_via_demo, follow_to_callback, home_page, login_via_demo};
use trilogin_testing::{TestApp, spawn_app_with};

/// `acme` (shown as "Acme SSO") and `dot` (no display name), both served
/// by the demo.
pub fn with_acme_and_dot(config: &mut Config) {
    config.oidc_providers = vec!["acme".to_owned(), "dot".to_owned()];
    config
        .provider_env
        .insert("ACME_DISPLAY_NAME".to_owned(), "Acme SSO".to_owned());
}

/// The demo stand-in of the provider `name`.
pub fn demo<'a>(app: &'a TestApp, name: &str) -> &'a DemoGoogle {
    app.state
        .demo
        .oidc(name)
        .unwrap_or_else(|| panic!("the demo serves {name}"))
}

#[tokio::test]
async fn each_configured_provider_gets_a_log_in_button_after_the_presets() {
    let app = spawn_app_with(with_acme_and_dot).await;
    let home = home_page(&app).await;
    let order: Vec<usize> = [
        "Log in with Twitter",
        "Log in with GitHub",
        "Log in with Google",
        "Log in with Acme SSO",
        "Log in with Dot",
    ]
    .iter()
    .map(|button| {
        home.find(button)
            .unwrap_or_else(|| panic!("{button}: {home}"))
    })
    .collect();
    assert!(order.is_sorted(), "{order:?}");
    assert!(home.contains(r#"href="/login/acme""#));
}

#[tokio::test]
async fn a_configured_provider_logs_in_and_shows_its_profile_with_checked_claims() {
    let app = spawn_app_with(with_acme_and_dot).await;
    assert_eq!(login_via_demo(&app, "acme", "ada").await, "/");
    let home = home_page(&app).await;
    assert!(home.contains("Logged in with Acme SSO"), "{home}");
    // Tera escapes the slash inside the path; the browser reads it back.
    assert!(home.contains(r#"href="/profile&#x2F;acme""#), "{home}");

    let profile = app.get_page("/profile/acme", 200).await;
    assert!(profile.contains("Your Acme SSO profile"), "{profile}");
    assert!(profile.contains("Ada Lovelace"), "{profile}");
    assert!(profile.contains("Subject: your stable id at Acme SSO"));
    // The ID token is the one its own issuer signed.
    let issuer = demo(&app, "acme").issuer();
    assert!(issuer.ends_with("/_demo/acme"), "{issuer}");
    assert!(
        profile.contains(&issuer.replace('/', "&#x2F;")),
        "{profile}"
    );
    assert_eq!(demo(&app, "acme").knobs().calls("token"), 1);
    assert_eq!(demo(&app, "dot").knobs().calls("token"), 0);
}

#[tokio::test]
async fn a_second_configured_provider_connects_to_the_same_account_with_its_own_row() {
    let app = spawn_app_with(with_acme_and_dot).await;
    login_via_demo(&app, "acme", "ada").await;
    login_via_demo(&app, "dot", "grace").await;
    assert!(home_page(&app).await.contains("Connected Dot"));

    let account = app.get_page("/account", 200).await;
    for id in ["connection-acme", "connection-dot"] {
        let start = account
            .find(id)
            .unwrap_or_else(|| panic!("{id}: {account}"));
        let row = &account[start..];
        let row = &row[..row.find("</li>").unwrap()];
        assert!(row.contains("OpenID Connect"), "{row}");
        assert!(row.contains("Disconnect"), "{row}");
        assert!(row.contains("Refresh now"), "{row}");
    }
    // The account label is the e-mail address the ID token gives.
    assert!(account.contains("grace@"), "{account}");
    let profile = app.get_page("/profile/dot", 200).await;
    assert!(profile.contains("Your Dot profile"), "{profile}");
}

#[tokio::test]
async fn refresh_now_and_disconnect_work_on_a_configured_provider_with_revocation() {
    let app = spawn_app_with(with_acme_and_dot).await;
    login_via_demo(&app, "github", "ada").await;
    login_via_demo(&app, "acme", "ada").await;

    let refreshed = app.press("/account/acme/refresh").await;
    assert_eq!(refreshed.status(), 303);
    assert!(
        app.get_page("/account", 200)
            .await
            .contains("Your Acme SSO access token was refreshed.")
    );
    assert_eq!(demo(&app, "acme").knobs().calls("refresh"), 1);

    let confirm = app.get_page("/account/acme/disconnect", 200).await;
    assert!(confirm.contains("revoked at Acme SSO"), "{confirm}");
    let gone = app.press("/account/acme/disconnect").await;
    assert_eq!(gone.status(), 303);
    let account = app.get_page("/account", 200).await;
    assert!(
        account.contains("its access was revoked at Acme SSO and deleted here"),
        "{account}"
    );
    assert_eq!(demo(&app, "acme").knobs().calls("revoke"), 1);
}

#[tokio::test]
async fn profile_pages_of_unknown_or_non_oidc_providers_are_not_found() {
    let app = spawn_app_with(with_acme_and_dot).await;
    login_via_demo(&app, "github", "ada").await;
    for path in ["/profile/nobody", "/profile/github", "/profile/twitter"] {
        app.get_page(path, 404).await;
    }
    // A provider of another configuration is no provider of this site.
    let other = spawn_app_with(|_| {}).await;
    other.get_page("/login/acme", 404).await;
    login_via_demo(&other, "github", "ada").await;
    other.get_page("/profile/acme", 404).await;
    assert!(!other.get_page("/account", 200).await.contains("Acme"));
}

#[tokio::test]
async fn the_profile_of_a_provider_not_connected_offers_to_connect_it() {
    let app = spawn_app_with(with_acme_and_dot).await;
    login_via_demo(&app, "acme", "ada").await;
    let page = app.get_page("/profile/dot", 200).await;
    assert!(page.contains("Dot is not connected"), "{page}");
    assert!(page.contains(r#"href="/login/dot""#), "{page}");
}

#[tokio::test]
async fn a_tampered_id_token_of_a_configured_provider_ends_on_the_home_page() {
    let app = spawn_app_with(with_acme_and_dot).await;
    demo(&app, "acme").tamper_next_id_token(IdTokenFault::WrongAudience);
    let answer = consent_via_demo(&app, "/login/acme", "ada", "authorize").await;
    let done = follow_to_callback(&app, &answer).await;
    assert_eq!(done.status(), 303);
    let home = home_page(&app).await;
    assert!(home.contains("security checks"), "{home}");
    assert!(home.contains("Acme SSO"), "{home}");
    assert!(!home.contains("Hello,"), "nobody is logged in: {home}");
}

/// A port that was free a moment ago: the fourth provider's settings name
/// the site's own address before it starts.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_provider_configured_only_by_its_settings_logs_in_and_shows_its_profile() {
    let port = free_port();
    let app = spawn_app_with(|config| {
        config.app_url = format!("http://127.0.0.1:{port}").parse().unwrap();
        config.bind = format!("127.0.0.1:{port}").parse().unwrap();
        // The demo serves `keycloak` although it is configured: it stands
        // in for the real server the settings point to.
        config.demo_providers = DemoMode::On;
        config.oidc_providers = vec!["keycloak".to_owned()];
        for (key, value) in [
            (
                "KEYCLOAK_CLIENT_ID",
                trilogin_demo::GOOGLE_CLIENT_ID.to_owned(),
            ),
            (
                "KEYCLOAK_CLIENT_SECRET",
                trilogin_demo::GOOGLE_CLIENT_SECRET.to_owned(),
            ),
            (
                "KEYCLOAK_SERVER_METADATA_URL",
                format!("http://127.0.0.1:{port}/_demo/keycloak/.well-known/openid-configuration"),
            ),
            ("KEYCLOAK_DISPLAY_NAME", "Keycloak (staff)".to_owned()),
        ] {
            config.provider_env.insert(key.to_owned(), value);
        }
    })
    .await;
    let home = home_page(&app).await;
    assert!(home.contains("Log in with Keycloak (staff)"), "{home}");
    assert_eq!(login_via_demo(&app, "keycloak", "zoe").await, "/");
    let profile = app.get_page("/profile/keycloak", 200).await;
    assert!(
        profile.contains("Your Keycloak (staff) profile"),
        "{profile}"
    );
    assert!(profile.contains("Subject: your stable id at Keycloak (staff)"));
}

async fn start_up_error(change: impl FnOnce(&mut Config)) -> String {
    let data = trilogin_testing::TestData::new();
    let mut config = trilogin_testing::test_config(&data);
    change(&mut config);
    match trilogin::startup::Application::build(config).await {
        Ok(_) => panic!("the app started"),
        Err(error) => format!("{error:#}"),
    }
}

#[tokio::test]
async fn incomplete_settings_of_a_configured_provider_stop_start_up_naming_the_variable() {
    let message = start_up_error(|config| {
        config.demo_providers = DemoMode::Off;
        config.oidc_providers = vec!["okta".to_owned()];
    })
    .await;
    assert!(
        message.starts_with("OKTA_CLIENT_ID: must be set"),
        "{message}"
    );

    let message = start_up_error(|config| {
        config.oidc_providers = vec!["okta".to_owned()];
        config
            .provider_env
            .insert("OKTA_CLIENT_ID".to_owned(), "app".to_owned());
    })
    .await;
    assert!(
        message.starts_with("OKTA_SERVER_METADATA_URL: must be set"),
        "{message}"
    );

    let message = start_up_error(|config| {
        config.oidc_providers = vec!["okta".to_owned()];
        config
            .provider_env
            .insert("OKTA_SCOPE".to_owned(), "email profile".to_owned());
    })
    .await;
    assert!(
        message.starts_with("OKTA_SCOPE: must include openid"),
        "{message}"
    );

    let message = start_up_error(|config| {
        config.oidc_providers = vec!["okta".to_owned()];
        config.provider_env.insert(
            "OKTA_SERVER_METADATA_URL".to_owned(),
            "not a url".to_owned(),
        );
    })
    .await;
    assert!(
        message.contains("OKTA_SERVER_METADATA_URL: expected an absolute URL"),
        "{message}"
    );
}
