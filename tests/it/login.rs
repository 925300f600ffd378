//! Logging in, connecting providers and logging out, through the real
//! pages and the demo providers; each test checks what the person sees
//! and what the database holds.

use std::collections::HashMap;

use actix_session::storage::SessionStore as _;

use crate::helpers::{TestApp, spawn_app};

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
