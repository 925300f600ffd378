//! Logging in, connecting providers and logging out, through the real
//! pages and the demo providers; each test checks what the person sees
//! and what the database holds.

use std::collections::HashMap;

use actix_session::storage::SessionStore as _;

use diesel::prelude::*;
use trilogin::db::models::User;
use trilogin::db::schema::{oauth1_tokens, oauth2_tokens, users};

use crate::helpers::{TestApp, spawn_app};
use crate::journey::{home_page, login_via_demo};

const DAY: time::Duration = time::Duration::days(1);
const CSRF: &str = "csrf-token-of-this-session-0123456789abcdef";

/// Gives the browser a session of user `user_id` with a known CSRF token.
async fn plant_logged_in_session(app: &TestApp, user_id: i32) {
    let state = HashMap::from([
        ("user_id".to_owned(), user_id.to_string()),
        ("csrf_token".to_owned(), format!("\"{CSRF}\"")),
    ]);
    let key = app.state.sessions.save(state, &DAY).await.unwrap();
    app.plant_session_cookie(&app.session_cookie_value(key.as_ref()));
}

async fn post_logout(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/logout"))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn logout_by_link_is_refused_with_a_page_that_says_how() {
    let app = spawn_app().await;
    plant_logged_in_session(&app, 1).await;
    let response = app.get("/logout").await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let body = response.text().await.unwrap();
    assert!(body.contains("Log out"), "{body}");
    let home = app.get_page("/", 200).await;
    assert!(home.contains(r#"action="/logout""#), "still logged in");
}

#[tokio::test]
async fn logout_without_or_with_a_wrong_csrf_token_is_refused_and_keeps_the_session() {
    let app = spawn_app().await;
    plant_logged_in_session(&app, 1).await;
    for form in [&[][..], &[("csrf_token", "forged")][..]] {
        let response = post_logout(&app, form).await;
        assert_eq!(response.status(), 403);
        let body = response.text().await.unwrap();
        assert!(body.contains("This form has expired"), "{body}");
    }
    let home = app.get_page("/", 200).await;
    assert!(home.contains(r#"action="/logout""#), "still logged in");
}

#[tokio::test]
async fn logout_with_the_csrf_token_ends_the_session() {
    let app = spawn_app().await;
    plant_logged_in_session(&app, 1).await;
    let home = app.get_page("/", 200).await;
    assert!(home.contains(&format!(r#"name="csrf_token" value="{CSRF}""#)));

    let response = post_logout(&app, &[("csrf_token", CSRF)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/");
    let home = app.get_page("/", 200).await;
    assert!(!home.contains(r#"action="/logout""#), "{home}");
    assert!(home.contains("Log in with GitHub"));
    // The old session is gone server-side, not only from the browser.
    let count: i64 = {
        use diesel::prelude::*;
        trilogin::db::schema::sessions::table
            .count()
            .get_result(&mut app.db())
            .unwrap()
    };
    assert_eq!(count, 0);
}

/// Every account, oldest first.
fn all_users(app: &TestApp) -> Vec<User> {
    users::table
        .order(users::id)
        .select(User::as_select())
        .load(&mut app.db())
        .unwrap()
}

/// (user id, provider, provider user id) of every stored connection.
fn connections(app: &TestApp) -> Vec<(i32, String, String)> {
    let mut conn = app.db();
    let mut rows: Vec<(i32, String, String)> = oauth2_tokens::table
        .select((
            oauth2_tokens::user_id,
            oauth2_tokens::name,
            oauth2_tokens::provider_user_id,
        ))
        .load(&mut conn)
        .unwrap();
    rows.extend(
        oauth1_tokens::table
            .select((
                oauth1_tokens::user_id,
                oauth1_tokens::name,
                oauth1_tokens::provider_user_id,
            ))
            .load::<(i32, String, String)>(&mut conn)
            .unwrap(),
    );
    rows.sort();
    rows
}

async fn first_login_creates_an_account_and_a_connection(provider: &str, label: &str, id: &str) {
    let app = spawn_app().await;
    assert_eq!(login_via_demo(&app, provider, "ada").await, "/");
    let home = home_page(&app).await;
    assert!(home.contains(&format!("Logged in with {label}")), "{home}");
    assert!(home.contains(r#"action="/logout""#), "{home}");

    let accounts = all_users(&app);
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].display_name, "Ada Lovelace");
    assert_eq!(
        connections(&app),
        [(accounts[0].id, provider.to_owned(), id.to_owned())]
    );
}

#[tokio::test]
async fn first_login_with_github_creates_an_account_and_a_token_row() {
    first_login_creates_an_account_and_a_connection("github", "GitHub", "1815001").await;
}

#[tokio::test]
async fn first_login_with_twitter_creates_an_account_and_a_token_row() {
    first_login_creates_an_account_and_a_connection("twitter", "Twitter", "1457812345678901249")
        .await;
}
