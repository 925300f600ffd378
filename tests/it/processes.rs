//! Several app processes on one database, as a site that outgrows one
//! process runs: a token is still refreshed once, because the refresh lease
//! and the compare-and-swap live in the database, not in process memory.

use std::collections::BTreeMap;
use std::time::Duration;

use trilogin::config::{Config, DemoMode};
use trilogin_accounts::Provider;
use trilogin_accounts::db::fixtures::postgres_or_skip;
use trilogin_demo::{GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET};

use crate::journey::consent_via_demo;
use crate::refresh::{ada_with_github, demo_github};
use trilogin_testing::{TestApp, TestData, location, spawn_app, spawn_app_on};

/// A second process has no demo of its own: it talks to the first one's
/// demo GitHub as a configured provider, as both would talk to the real
/// GitHub.
fn github_of(first: &TestApp) -> impl FnOnce(&mut Config) + use<> {
    let github = first.url("/_demo/github/");
    move |config| {
        config.demo_providers = DemoMode::Off;
        config.provider_env = BTreeMap::from([
            ("GITHUB_CLIENT_ID".to_owned(), GITHUB_CLIENT_ID.to_owned()),
            (
                "GITHUB_CLIENT_SECRET".to_owned(),
                GITHUB_CLIENT_SECRET.to_owned(),
            ),
            (
                "GITHUB_AUTHORIZE_URL".to_owned(),
                format!("{github}login/oauth/authorize"),
            ),
            (
                "GITHUB_ACCESS_TOKEN_URL".to_owned(),
                format!("{github}login/oauth/access_token"),
            ),
            ("GITHUB_API_BASE_URL".to_owned(), format!("{github}api/")),
        ]);
    }
}

#[tokio::test]
async fn two_app_processes_on_one_database_refresh_an_expired_token_once() {
    let first = spawn_app().await;
    let (user_id, old) = ada_with_github(&first, true).await;
    let second = first.spawn_beside(github_of(&first)).await;
    second.plant_logged_in_session(user_id).await;

    let loads = (0..25).flat_map(|_| [first.get("/repos"), second.get("/repos")]);
    for response in futures_util::future::join_all(loads).await {
        assert_eq!(response.status(), 200);
        let body = response.text().await.unwrap();
        assert!(body.contains(r#"class="card repo""#), "{body}");
    }

    assert_eq!(
        demo_github(&first).knobs().calls("refresh"),
        1,
        "the provider saw one refresh from the two processes together"
    );
    let row = first
        .stored_oauth2(user_id, Provider::GitHub)
        .expect("the GitHub row is kept");
    assert_ne!(row.token.access_token, old.access_token);
    assert!(!row.needs_reconnect);
}

#[tokio::test]
async fn a_login_started_on_one_process_finishes_on_another_and_both_share_the_session() {
    let first = spawn_app().await;
    // Behind a load balancer every process has the same public origin.
    let origin: url::Url = first.address.parse().unwrap();
    let use_github = github_of(&first);
    let second = first
        .spawn_beside(move |config| {
            use_github(config);
            config.app_url = origin;
        })
        .await;

    // Started on the first process...
    let answer = consent_via_demo(&first, "/login/github", "ada", "authorize").await;
    let callback = location(&answer);
    // ...the provider's answer reaches the second.
    let on_second = callback.replacen(&first.address, &second.url(""), 1);
    assert_ne!(on_second, callback);
    let done = first.client.get(&on_second).send().await.unwrap();
    assert_eq!(
        location(&done),
        "/",
        "the login finishes on the second process"
    );

    for process in [&first, &second] {
        let page = first
            .client
            .get(process.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(r#"action="/logout""#),
            "logged in on both: {page}"
        );
    }
}

#[tokio::test]
async fn a_postgresql_restart_costs_the_requests_in_flight_and_nothing_else() {
    const TEST: &str = "a_postgresql_restart_costs_the_requests_in_flight_and_nothing_else";
    if postgres_or_skip(TEST).is_none() {
        return;
    }
    let Ok(restart) = std::env::var("TEST_DATABASE_RESTART") else {
        assert!(
            std::env::var("CI").map_or(true, |ci| ci != "true"),
            "{TEST}: CI=true requires TEST_DATABASE_RESTART"
        );
        trilogin_accounts::db::fixtures::skip_line(format_args!(
            "{TEST} skipped: set TEST_DATABASE_RESTART to a command that restarts the server"
        ));
        return;
    };
    let app = spawn_app_on(TestData::on_postgres()).await;
    let (user_id, _) = ada_with_github(&app, false).await;
    assert_eq!(app.get("/repos").await.status(), 200);

    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(&restart)
            .status()
    })
    .await
    .unwrap()
    .expect("the restart command runs");
    assert!(status.success(), "the restart command failed: {status}");

    // The pool drops the connections the restart broke and opens new ones.
    let mut healthy = false;
    for _ in 0..50 {
        if app.get("/healthz").await.status() == 200 {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(healthy, "/healthz never recovered after the restart");
    let page = app.get_page("/repos", 200).await;
    assert!(
        page.contains(r#"class="card repo""#),
        "the session and the token survived: {page}"
    );
    assert!(app.stored_oauth2(user_id, Provider::GitHub).is_some());
}
