//! Several app processes on one database, as a site that outgrows one
//! process runs: a token is still refreshed once, because the refresh lease
//! and the compare-and-swap live in the database, not in process memory.

use std::collections::BTreeMap;

use trilogin::config::{Config, DemoMode};
use trilogin_accounts::Provider;
use trilogin_demo::{GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET};

use trilogin_accounts::db::AnyConnection;
use trilogin_accounts::db::fixtures::{count_rows, postgres_or_skip};

use crate::journey::{consent_via_demo, login_via_demo};
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
async fn on_postgresql_each_demo_provider_logs_in_and_no_sqlite_file_is_made() {
    let test = "on_postgresql_each_demo_provider_logs_in_and_no_sqlite_file_is_made";
    if postgres_or_skip(test).is_none() {
        return;
    }
    let app = spawn_app_on(TestData::on_postgres()).await;
    // Log in with one provider, then connect the other two.
    for provider in ["twitter", "github", "google"] {
        assert_eq!(
            login_via_demo(&app, provider, "ada").await,
            "/",
            "{provider}"
        );
    }

    let mut conn = app.db();
    assert!(matches!(*conn, AnyConnection::Postgresql(_)));
    assert_eq!(count_rows(&mut conn, "users"), 1);
    assert_eq!(count_rows(&mut conn, "oauth1_tokens"), 1);
    assert_eq!(count_rows(&mut conn, "oauth2_tokens"), 2);
    let account = app.get_page("/account", 200).await;
    assert_eq!(account.matches("Disconnect").count(), 3, "{account}");

    let mut files = vec![app.dir.path().to_path_buf()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let head = std::fs::read(&path).unwrap();
            assert!(
                !head.starts_with(b"SQLite format 3"),
                "{} is a SQLite database",
                path.display()
            );
        }
    }
}
