//! The demo providers stay on loopback: anyone who reads the README knows
//! their secrets, so a site whose `APP_URL` is a public host serves them
//! only when told to, under a warning on every page, and never runs on a
//! generated secret key.

use trilogin::config::{Config, DemoMode};
use trilogin::startup::Application;

use trilogin_testing::{TestApp, spawn_app_with, test_config};

/// An origin off loopback; the app still binds 127.0.0.1 (`BIND`).
const PUBLIC_URL: &str = "https://trilogin.example";

/// The words of the off-loopback banner.
const PUBLIC_DEMO_WARNING: &str = "must not be used in production";

/// Moves the site to [`PUBLIC_URL`] with only real GitHub configured.
fn off_loopback_with_github(config: &mut Config) {
    config.app_url = PUBLIC_URL.parse().unwrap();
    for (key, value) in [
        ("GITHUB_CLIENT_ID", "Iv1.real0github0client"),
        ("GITHUB_CLIENT_SECRET", "real-github-secret"),
    ] {
        config.provider_env.insert(key.into(), value.into());
    }
}

/// A path of each demo provider, and the avatars they share.
const DEMO_PATHS: [&str; 4] = [
    "/_demo/twitter/demo-twitter.css",
    "/_demo/github/login/oauth/authorize?client_id=Iv1.demo0github0client",
    "/_demo/google/.well-known/openid-configuration",
    "/_demo/avatars/ada.svg",
];

async fn status(app: &TestApp, path: &str) -> u16 {
    app.get(path).await.status().as_u16()
}

#[tokio::test]
async fn off_loopback_auto_offers_no_demo_provider_and_serves_no_demo_route() {
    let app = spawn_app_with(off_loopback_with_github).await;
    assert!(app.state.demo.is_empty());

    let home = app.get_page("/", 200).await;
    assert!(home.contains(r#"href="/login/github""#), "{home}");
    assert!(!home.contains(r#"href="/login/twitter""#), "{home}");
    assert!(!home.contains(r#"href="/login/google""#), "{home}");
    assert!(!home.contains("demo-banner"), "{home}");
    for path in ["/login/twitter", "/login/google"] {
        assert_eq!(status(&app, path).await, 404, "{path}");
    }
    for path in DEMO_PATHS {
        assert_eq!(status(&app, path).await, 404, "{path}");
    }
}

#[tokio::test]
async fn off_loopback_demo_providers_on_serves_them_under_a_production_warning_on_every_page() {
    let app = spawn_app_with(|config| {
        off_loopback_with_github(config);
        config.demo_providers = DemoMode::On;
    })
    .await;
    assert!(!app.state.demo.is_empty());
    for path in DEMO_PATHS {
        assert_eq!(status(&app, path).await, 200, "{path}");
    }
    let home = app.get_page("/", 200).await;
    for name in ["twitter", "github", "google"] {
        assert!(home.contains(&format!(r#"href="/login/{name}""#)), "{home}");
    }
    for page in [home, app.get_page("/no/such/page", 404).await] {
        assert!(page.contains("demo-banner-public"), "{page}");
        assert!(page.contains(PUBLIC_DEMO_WARNING), "{page}");
        assert!(!page.contains("no real accounts involved"), "{page}");
    }
}

#[tokio::test]
async fn on_loopback_the_demo_banner_is_the_development_one() {
    let app = spawn_app_with(|_| {}).await;
    let home = app.get_page("/", 200).await;
    assert!(home.contains("no real accounts involved"), "{home}");
    assert!(!home.contains(PUBLIC_DEMO_WARNING), "{home}");
}

#[test]
fn off_loopback_a_missing_secret_key_stops_the_configuration_with_a_clear_message() {
    let vars = [("APP_URL", PUBLIC_URL), ("BIND", "127.0.0.1:0")];
    let error = Config::from_lookup(|key| {
        vars.iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| (*value).to_owned())
    })
    .unwrap_err()
    .to_string();
    assert_secret_key_required(&error);
}

#[tokio::test]
async fn off_loopback_a_missing_secret_key_stops_the_build_and_generates_no_key() {
    let data = trilogin_testing::TestData::new();
    let mut config = test_config(&data);
    off_loopback_with_github(&mut config);
    config.secret_key = None;
    let error = match Application::build(config).await {
        Ok(_) => panic!("the app started without SECRET_KEY off loopback"),
        Err(e) => format!("{e:#}"),
    };
    assert_secret_key_required(&error);
    assert!(!data.path().join("secret.key").exists());
}

fn assert_secret_key_required(error: &str) {
    assert!(
        error.starts_with("SECRET_KEY: must be set"),
        "unexpected message: {error}"
    );
    assert!(error.contains(PUBLIC_URL), "{error}");
    assert!(!error.contains('\n'), "{error}");
}
