//! Merging two accounts of one person: offered only after a login that
//! proves control of the other account, done by a POST from the page that
//! lists both, refused without that fresh proof or when both accounts hold
//! the same provider, and consistent beside a concurrent disconnect.

use trilogin_accounts::db::fixtures::count_rows;
use trilogin_accounts::{Provider, UserId};

use crate::journey::login_via_demo;
use trilogin_testing::{Browser, TestApp, csrf_token_in, location, spawn_app};

/// Ada's two accounts: GitHub in another browser (account 1) and Twitter
/// in this one (account 2). This browser then logs in with GitHub, which
/// proves account 1 is Ada's too: the merge is offered.
async fn two_accounts_and_an_offer(app: &TestApp) -> Browser {
    let other = app.browser();
    assert_eq!(login_via_demo(&other, "github", "ada").await, "/");
    assert_eq!(login_via_demo(app, "twitter", "ada").await, "/");
    assert_eq!(login_via_demo(app, "github", "ada").await, "/account/merge");
    other
}

/// The CSRF token of this browser's session, from a page that shows it.
async fn csrf(app: &TestApp) -> String {
    let page = app.get_page("/account", 200).await;
    csrf_token_in(&page).expect("the account page has a CSRF token")
}

/// POSTs `path` with the session's CSRF token; the page it leads to.
async fn press(app: &TestApp, path: &str) -> String {
    let token = csrf(app).await;
    let response = app.post_form(path, &[("csrf_token", &token)]).await;
    assert_eq!(location(&response), "/account", "{path}");
    app.get_page("/account", 200).await
}

#[tokio::test]
async fn the_merge_page_lists_both_accounts_and_what_the_merged_one_keeps() {
    let app = spawn_app().await;
    two_accounts_and_an_offer(&app).await;
    let page = app.get_page("/account/merge", 200).await;
    for text in [
        "Merge your accounts?",
        "This account (kept)",
        "The other account (deleted)",
        "Twitter: ",
        "GitHub: ",
        "The merged account keeps the name <strong>Ada Lovelace</strong>",
        r#"action="/account/merge""#,
        "Keep them apart",
    ] {
        assert!(page.contains(text), "{text:?} not in {page}");
    }
}

#[tokio::test]
async fn merging_moves_every_connection_and_deletes_the_other_account() {
    let app = spawn_app().await;
    let other = two_accounts_and_an_offer(&app).await;
    let page = press(&app, "/account/merge").await;
    assert!(
        page.contains("The accounts are merged. This account now holds Twitter, GitHub."),
        "{page}"
    );
    assert_eq!(count_rows(&mut app.db(), "users"), 1);
    let kept = UserId::new(2);
    assert!(app.stored_oauth1(kept, Provider::Twitter).is_some());
    assert!(app.stored_oauth2(kept, Provider::GitHub).is_some());
    let elsewhere = other.get("/").await.text().await.unwrap();
    assert!(
        elsewhere.contains("Log in with GitHub"),
        "the deleted account's browser is logged out: {elsewhere}"
    );
    // Logging in with either provider now finds the merged account.
    let again = app.browser();
    assert_eq!(login_via_demo(&again, "github", "ada").await, "/");
    assert_eq!(count_rows(&mut app.db(), "users"), 1);
}

#[tokio::test]
async fn keeping_the_accounts_apart_closes_the_offer() {
    let app = spawn_app().await;
    two_accounts_and_an_offer(&app).await;
    let page = press(&app, "/account/merge/cancel").await;
    assert!(page.contains("Nothing was merged"), "{page}");
    let page = press(&app, "/account/merge").await;
    assert!(page.contains("There is nothing to merge now"), "{page}");
    assert_eq!(count_rows(&mut app.db(), "users"), 2);
}

#[tokio::test]
async fn a_merge_without_a_fresh_login_of_the_other_account_is_refused() {
    let app = spawn_app().await;
    let other = app.browser();
    assert_eq!(login_via_demo(&other, "github", "ada").await, "/");
    assert_eq!(login_via_demo(&app, "twitter", "ada").await, "/");

    let response = app.get("/account/merge").await;
    assert_eq!(location(&response), "/account");
    let page = press(&app, "/account/merge").await;
    assert!(page.contains("There is nothing to merge now"), "{page}");
    assert!(page.contains("flash-error"), "{page}");
    assert_eq!(count_rows(&mut app.db(), "users"), 2);

    // Without the form's token, not even an open offer is acted on.
    assert_eq!(
        login_via_demo(&app, "github", "ada").await,
        "/account/merge"
    );
    let response = app.post_form("/account/merge", &[]).await;
    assert_eq!(response.status(), 403);
    assert_eq!(count_rows(&mut app.db(), "users"), 2);
}

#[tokio::test]
async fn accounts_connected_to_the_same_provider_are_not_merged() {
    let app = spawn_app().await;
    let other = app.browser();
    assert_eq!(login_via_demo(&other, "github", "ada").await, "/");
    assert_eq!(login_via_demo(&other, "google", "ada").await, "/");
    assert_eq!(login_via_demo(&app, "twitter", "ada").await, "/");
    assert_eq!(login_via_demo(&app, "google", "grace").await, "/");
    assert_eq!(
        login_via_demo(&app, "github", "ada").await,
        "/account/merge"
    );

    let page = app.get_page("/account/merge", 200).await;
    assert!(
        page.contains("Both accounts are connected to Google"),
        "{page}"
    );
    assert!(!page.contains(r#"action="/account/merge""#), "{page}");
    let page = press(&app, "/account/merge").await;
    assert!(page.contains("flash-error"), "{page}");
    assert_eq!(count_rows(&mut app.db(), "users"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merge_and_a_disconnect_at_the_same_moment_leave_one_consistent_account() {
    let app = spawn_app().await;
    two_accounts_and_an_offer(&app).await;
    let token = csrf(&app).await;
    let form = [("csrf_token", token.as_str())];
    let (merged, disconnected) = tokio::join!(
        app.post_form("/account/merge", &form),
        app.post_form("/account/twitter/disconnect", &form),
    );
    assert_eq!(merged.status(), 303);
    assert_eq!(disconnected.status(), 303);
    assert_eq!(count_rows(&mut app.db(), "users"), 1);
    let kept = UserId::new(2);
    assert!(
        app.stored_oauth2(kept, Provider::GitHub).is_some(),
        "the merge happened"
    );
    // Twitter went only if the merge was first: it was the last
    // connection before it.
    let page = app.get_page("/account", 200).await;
    assert!(page.contains("Connected"), "{page}");
}
