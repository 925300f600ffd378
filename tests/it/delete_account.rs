//! Deleting an account: a page says what will happen, the POST revokes each
//! connection at its provider, deletes the account, its connections and its
//! sessions in every browser, and the person lands logged out.

use trilogin_accounts::db::fixtures::{count_rows, session_rows};
use trilogin_accounts::{Provider, UserId};

use crate::journey::login_via_demo;
use crate::refresh::demo_github;
use crate::resource_pages::assert_github_refuses;
use trilogin_testing::{TestApp, csrf_token_in, location, spawn_app, spawn_app_with};

/// Ada, logged in with GitHub, with Twitter and Google connected.
async fn ada_with_three_connections(app: &TestApp) {
    for provider in ["github", "twitter", "google"] {
        assert_eq!(
            login_via_demo(app, provider, "ada").await,
            "/",
            "{provider}"
        );
    }
}

/// Presses "Delete my account" on the confirmation page.
async fn delete_my_account(app: &TestApp) -> reqwest::Response {
    let page = app.get_page("/account/delete", 200).await;
    let csrf = csrf_token_in(&page).expect("the page has a CSRF token");
    app.post_form("/account/delete", &[("csrf_token", &csrf)])
        .await
}

#[tokio::test]
async fn the_account_page_leads_to_a_page_that_says_what_deleting_does() {
    let app = spawn_app().await;
    ada_with_three_connections(&app).await;
    let account = app.get_page("/account", 200).await;
    assert!(account.contains(r#"href="/account/delete""#), "{account}");
    let page = app.get_page("/account/delete", 200).await;
    assert!(page.contains("Delete your account?"), "{page}");
    assert!(
        page.contains("revoked at Twitter, GitHub and Google"),
        "{page}"
    );
    assert!(page.contains("logged out in every browser"), "{page}");
    assert!(page.contains("Delete my account"), "{page}");
    assert_eq!(
        count_rows(&mut app.db(), "users"),
        1,
        "asking deletes nothing"
    );
}

#[tokio::test]
async fn deleting_revokes_everything_deletes_everything_and_logs_out_everywhere() {
    let app = spawn_app().await;
    ada_with_three_connections(&app).await;
    // The same person, logged in in a second browser.
    let other_browser = app.browser();
    assert_eq!(login_via_demo(&other_browser, "github", "ada").await, "/");
    let github_token = app
        .stored_oauth2(UserId::new(1), Provider::GitHub)
        .unwrap()
        .token;

    let response = delete_my_account(&app).await;
    assert_eq!(location(&response), "/");
    let home = app.get_page("/", 200).await;
    assert!(home.contains("Your account was deleted."), "{home}");
    assert!(home.contains("Log in with GitHub"), "logged out: {home}");

    assert_eq!(demo_github(&app).knobs().calls("revoke"), 1);
    let twitter = app.state.demo.twitter.as_deref().unwrap();
    assert_eq!(twitter.knobs().calls("invalidate_token"), 1);
    let google = app.state.demo.google.as_deref().unwrap();
    assert_eq!(google.knobs().calls("revoke"), 1);
    assert_github_refuses(&app, &github_token.access_token).await;

    let mut conn = app.db();
    assert_eq!(count_rows(&mut conn, "users"), 0);
    assert_eq!(count_rows(&mut conn, "oauth1_tokens"), 0);
    assert_eq!(count_rows(&mut conn, "oauth2_tokens"), 0);
    // Only this browser's new session, holding the message, is left.
    assert_eq!(
        session_rows(&mut conn).len(),
        1,
        "no session of the account is left"
    );
    let elsewhere = other_browser.get("/").await.text().await.unwrap();
    assert!(
        elsewhere.contains("Log in with GitHub"),
        "the other browser is logged out: {elsewhere}"
    );
}

#[tokio::test]
async fn deleting_without_the_forms_token_is_refused_and_deletes_nothing() {
    let app = spawn_app().await;
    ada_with_three_connections(&app).await;
    for form in [&[][..], &[("csrf_token", "forged")][..]] {
        let response = app.post_form("/account/delete", form).await;
        assert_eq!(response.status(), 403);
    }
    assert_eq!(count_rows(&mut app.db(), "users"), 1);
    assert_eq!(demo_github(&app).knobs().calls("revoke"), 0);
    let home = app.get_page("/", 200).await;
    assert!(home.contains(r#"action="/logout""#), "still logged in");
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_does_not_stop_the_deletion_and_is_named() {
    let app =
        spawn_app_with(|config| config.http_timeout = std::time::Duration::from_secs(1)).await;
    ada_with_three_connections(&app).await;
    demo_github(&app)
        .knobs()
        .set_latency(std::time::Duration::from_secs(3));
    delete_my_account(&app).await;
    demo_github(&app)
        .knobs()
        .set_latency(std::time::Duration::ZERO);
    let home = app.get_page("/", 200).await;
    assert!(home.contains("Your account was deleted."), "{home}");
    assert!(
        home.contains("GitHub could not be reached to revoke this site&#x27;s access"),
        "{home}"
    );
    assert_eq!(count_rows(&mut app.db(), "users"), 0);
}

#[tokio::test]
async fn strangers_cannot_reach_the_deletion() {
    let app = spawn_app().await;
    let response = app.get("/account/delete").await;
    assert_eq!(location(&response), "/?next=%2Faccount%2Fdelete");
    let response = app
        .post_form("/account/delete", &[("csrf_token", "x")])
        .await;
    assert_eq!(location(&response), "/");
}
