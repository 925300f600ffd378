//! A PostgreSQL restart while the site runs. A test binary of its own: the
//! restart takes the whole server down for a moment, and Cargo runs test
//! binaries one after the other, so no other test shares that moment.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

use std::time::Duration;

use trilogin_accounts::db::fixtures::{add_user, postgres_or_skip, skip_line};
use trilogin_testing::{TestData, csrf_token_in, spawn_app_on};

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
        skip_line(format_args!(
            "{TEST} skipped: set TEST_DATABASE_RESTART to a command that restarts the server"
        ));
        return;
    };
    let app = spawn_app_on(TestData::on_postgres()).await;
    let user_id = add_user(&mut app.db(), "Ada Lovelace");
    app.plant_logged_in_session(user_id).await;
    assert!(app.get_page("/", 200).await.contains("Ada Lovelace"));

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
    // The session and the account are as they were, and writes work.
    let home = app.get_page("/", 200).await;
    assert!(home.contains("Ada Lovelace"), "still logged in: {home}");
    let csrf = csrf_token_in(&home).expect("the log-out form");
    let out = app.post_form("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status(), 303);
    assert!(!app.get_page("/", 200).await.contains("Ada Lovelace"));
}
