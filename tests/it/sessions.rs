//! The server-side session store and the session cookie.

use std::collections::HashMap;
use trilogin_accounts::UserId;

use actix_session::storage::{SessionKey, SessionStore};
use trilogin::web::session::{Flash, FlashKind};
use trilogin_accounts::db::fixtures::{
    count_rows, session_rows, set_session_expiry, set_session_state,
};
use trilogin_accounts::db::{self, sessions::session_id};

use trilogin_testing::{TestApp, spawn_app, spawn_app_with};

const DAY: time::Duration = time::Duration::days(1);

fn state_with_flash(text: &str) -> HashMap<String, String> {
    let flashes = vec![Flash {
        kind: FlashKind::Success,
        text: text.to_owned(),
    }];
    HashMap::from([("flash".to_owned(), serde_json::to_string(&flashes).unwrap())])
}

/// Stores a session holding one flash message and gives the browser its cookie.
async fn plant_session(app: &TestApp, text: &str) -> SessionKey {
    let key = app
        .state
        .sessions
        .save(state_with_flash(text), &DAY)
        .await
        .unwrap();
    app.plant_session_cookie(&app.session_cookie_value(key.as_ref()));
    key
}

#[tokio::test]
async fn the_store_keeps_state_under_the_hash_of_the_key_only() {
    let app = spawn_app().await;
    let store = &app.state.sessions;
    let key = store.save(state_with_flash("hi"), &DAY).await.unwrap();
    assert_eq!(
        store.load(&key).await.unwrap(),
        Some(state_with_flash("hi"))
    );

    let ids: Vec<String> = session_rows(&mut app.db())
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    assert_eq!(ids, [session_id(key.as_ref())]);
    // The row sorts by the session's start; the key's random part is not
    // in it, only in its SHA-256.
    let (key_time, key_random) = key.as_ref().split_once('.').unwrap();
    let (row_time, digest) = ids[0].split_once('.').unwrap();
    assert_eq!(row_time, key_time);
    assert_eq!(digest.len(), 64);
    assert!(!ids[0].contains(key_random));

    store.delete(&key).await.unwrap();
    assert_eq!(store.load(&key).await.unwrap(), None);
}

#[tokio::test]
async fn a_session_survives_an_app_restart_on_the_same_database() {
    let app = spawn_app().await;
    let key = plant_session(&app, "Remembered across restarts").await;
    let app = app.restart().await;

    assert!(app.state.sessions.load(&key).await.unwrap().is_some());
    let body = app.get_page("/", 200).await;
    assert!(body.contains("Remembered across restarts"), "{body}");
}

#[tokio::test]
async fn a_flash_message_is_shown_once() {
    let app = spawn_app().await;
    plant_session(&app, "Logged out.").await;
    assert!(app.get_page("/", 200).await.contains("Logged out."));
    assert!(!app.get_page("/", 200).await.contains("Logged out."));
}

#[tokio::test]
async fn a_tampered_session_cookie_gives_a_fresh_empty_session() {
    let app = spawn_app().await;
    let key = app
        .state
        .sessions
        .save(state_with_flash("Secret state"), &DAY)
        .await
        .unwrap();
    let value = app.session_cookie_value(key.as_ref());
    // Flip one character in the middle of the encrypted value.
    let mut chars: Vec<char> = value.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    app.plant_session_cookie(&chars.into_iter().collect::<String>());

    let body = app.get_page("/", 200).await;
    assert!(!body.contains("Secret state"));
    // The real session is untouched.
    assert!(app.state.sessions.load(&key).await.unwrap().is_some());
}

#[tokio::test]
async fn an_unknown_session_key_gives_a_fresh_empty_session() {
    let app = spawn_app().await;
    app.plant_session_cookie(&app.session_cookie_value(&"x".repeat(64)));
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "an empty session is not stored"
    );
}

#[tokio::test]
async fn an_expired_session_is_gone_and_purged() {
    let app = spawn_app().await;
    let key = plant_session(&app, "Too late").await;
    let past = db::now() - time::Duration::minutes(1);
    set_session_expiry(&mut app.db(), past);

    assert_eq!(app.state.sessions.load(&key).await.unwrap(), None);
    assert!(!app.get_page("/", 200).await.contains("Too late"));
    assert_eq!(
        app.state.sessions.purge_expired().await.unwrap().sessions,
        1
    );
    let left = count_rows(&mut app.db(), "sessions");
    assert_eq!(left, 0);
}

#[tokio::test]
async fn an_update_to_an_expired_session_never_brings_its_state_back() {
    let app = spawn_app().await;
    let store = &app.state.sessions;
    let old = store
        .save(state_with_flash("a"), &time::Duration::seconds(-1))
        .await
        .unwrap();
    let old_text = old.as_ref().to_owned();
    let logged_in = HashMap::from([("user_id".to_owned(), "1".to_owned())]);
    let new = store.update(old, logged_in, &DAY).await.unwrap();
    assert_ne!(new.as_ref(), old_text);
    assert_eq!(store.load(&new).await.unwrap(), None, "an empty session");
    let rows = count_rows(&mut app.db(), "sessions");
    assert_eq!(rows, 1, "only the expired row, until the purge");
}

#[tokio::test]
async fn an_update_to_a_deleted_session_never_brings_its_state_back() {
    let app = spawn_app().await;
    let store = &app.state.sessions;
    let logged_in = HashMap::from([("user_id".to_owned(), "1".to_owned())]);
    let key = store.save(logged_in.clone(), &DAY).await.unwrap();
    let same_key = SessionKey::try_from(key.as_ref().to_owned()).unwrap();
    store.delete(&key).await.unwrap();
    let new = store.update(same_key, logged_in, &DAY).await.unwrap();
    assert_eq!(store.load(&new).await.unwrap(), None);
    let rows = count_rows(&mut app.db(), "sessions");
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn session_state_is_sealed_at_rest_and_bound_to_its_row() {
    let app = spawn_app().await;
    let store = &app.state.sessions;
    let mine = store
        .save(state_with_flash("my secret flash"), &DAY)
        .await
        .unwrap();
    let other = store.save(state_with_flash("other"), &DAY).await.unwrap();
    let rows = session_rows(&mut app.db());
    for (_, state, _) in &rows {
        assert!(state.starts_with("v2:"), "{state}");
        assert!(
            !state.contains("secret") && !state.contains("flash"),
            "{state}"
        );
    }
    // A state copied into another session's row does not open there: that
    // browser is simply logged out, never given the other state.
    let mine_state = &rows
        .iter()
        .find(|(id, _, _)| *id == session_id(mine.as_ref()))
        .unwrap()
        .1;
    set_session_state(&mut app.db(), Some(&session_id(other.as_ref())), mine_state);
    assert_eq!(store.load(&other).await.unwrap(), None);
    assert_eq!(
        store.load(&mine).await.unwrap(),
        Some(state_with_flash("my secret flash"))
    );
}

#[tokio::test]
async fn a_clear_session_state_of_an_earlier_release_is_sealed_at_start_up() {
    let app = spawn_app().await;
    let key = plant_session(&app, "Kept across the upgrade").await;
    let clear = serde_json::to_string(&state_with_flash("Kept across the upgrade")).unwrap();
    set_session_state(&mut app.db(), None, &clear);
    let app = app.restart().await;
    let (_, stored, _) = session_rows(&mut app.db()).remove(0);
    assert!(stored.starts_with("v2:"), "{stored}");
    assert_eq!(
        app.state.sessions.load(&key).await.unwrap(),
        Some(state_with_flash("Kept across the upgrade"))
    );
}

#[tokio::test]
async fn a_session_without_a_login_lives_no_longer_than_a_pending_login() {
    let app = spawn_app().await;
    plant_session(&app, "hello").await;
    app.get_page("/", 200).await;
    app.get_page("/", 200).await;
    let (_, _, expires) = session_rows(&mut app.db()).remove(0);
    assert!(
        expires <= db::now() + time::Duration::minutes(10),
        "{expires}"
    );
}

#[tokio::test]
async fn using_a_session_slides_its_expiry_forward() {
    let app = spawn_app().await;
    app.plant_logged_in_session(UserId::new(1)).await;
    let soon = db::now() + time::Duration::hours(1);
    set_session_expiry(&mut app.db(), soon);
    app.get_page("/", 200).await;
    let (_, _, expires) = session_rows(&mut app.db()).remove(0);
    assert!(expires > db::now() + time::Duration::days(13), "{expires}");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_scoped_to_the_site() {
    let app = spawn_app().await;
    plant_session(&app, "x").await;
    let response = app.get("/").await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("trilogin_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_site_is_https() {
    let app =
        spawn_app_with(|config| config.app_url = "https://127.0.0.1:0".parse().unwrap()).await;
    assert!(app.address.starts_with("https://"));
    let key = app
        .state
        .sessions
        .save(state_with_flash("x"), &DAY)
        .await
        .unwrap();
    let cookie = format!(
        "trilogin_session={}",
        app.session_cookie_value(key.as_ref())
    );
    // The test server itself speaks plain http on the bound port.
    let response = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/", app.port))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
}

#[tokio::test]
async fn a_logged_in_page_carries_a_stable_csrf_token_in_its_log_out_form() {
    let app = spawn_app().await;
    app.plant_logged_in_session(UserId::new(1)).await;
    let first = app.get_page("/", 200).await;
    let token = trilogin_testing::csrf_token_in(&first).expect("log-out form with a CSRF token");
    assert!(token.len() >= 43, "{token}");
    assert!(first.contains(r#"action="/logout""#));
    let second = app.get_page("/", 200).await;
    assert_eq!(trilogin_testing::csrf_token_in(&second), Some(token));
}

#[tokio::test]
async fn an_anonymous_page_has_no_log_out_form() {
    let app = spawn_app().await;
    let page = app.get_page("/", 200).await;
    assert_eq!(trilogin_testing::csrf_token_in(&page), None);
}

#[tokio::test]
async fn a_csrf_token_made_before_a_restart_is_still_the_sessions_after_it() {
    let app = spawn_app().await;
    app.plant_logged_in_session(UserId::new(7)).await;
    let before = trilogin_testing::csrf_token_in(&app.get_page("/", 200).await).unwrap();
    let app = app.restart().await;
    let after = trilogin_testing::csrf_token_in(&app.get_page("/", 200).await);
    assert_eq!(after, Some(before));
}
