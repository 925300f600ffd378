//! Logging in, connecting providers and logging out, through the real
//! pages and the demo providers; each test checks what the person sees
//! and what the database holds.

use std::collections::HashMap;

use actix_session::storage::SessionStore as _;

use trilogin_accounts::UserId;
use trilogin_accounts::db::fixtures::{self, session_rows};
use trilogin_accounts::db::models::User;

use trilogin::config::DemoMode;
use trilogin_demo::google::id_token::IdTokenFault;
use trilogin_demo::knobs::Fault;

use crate::journey::{
    consent_via_demo, follow_to_callback, home_page, login_via_demo, login_via_demo_to,
};
use trilogin_testing::{TestApp, csrf_token_in, location, spawn_app, spawn_app_with};

const DAY: time::Duration = time::Duration::days(1);
const CSRF: &str = "csrf-token-of-this-session-0123456789abcdef";

/// Gives the browser a session of user `user_id` with a known CSRF token.
async fn plant_logged_in_session(app: &TestApp, user_id: UserId) {
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
async fn a_logout_link_shows_the_log_out_button_and_logs_nobody_out() {
    let app = spawn_app().await;
    plant_logged_in_session(&app, UserId::new(1)).await;
    let page = app.get_page("/logout", 200).await;
    assert!(
        page.contains("Log out of trilogin in this browser?"),
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"name="csrf_token" value="{CSRF}""#)),
        "the page's own form: {page}"
    );
    let home = app.get_page("/", 200).await;
    assert!(home.contains(r#"action="/logout""#), "still logged in");

    let stranger = app.browser().get("/logout").await;
    assert_eq!(stranger.status(), 200);
    let page = stranger.text().await.unwrap();
    assert!(page.contains("You are not logged in."), "{page}");
    assert!(!page.contains(r#"action="/logout""#), "{page}");
}

#[tokio::test]
async fn logout_by_another_method_is_refused_with_a_page_that_says_how() {
    let app = spawn_app().await;
    plant_logged_in_session(&app, UserId::new(1)).await;
    let response = app.client.put(app.url("/logout")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, POST");
    let body = response.text().await.unwrap();
    assert!(body.contains("Log out"), "{body}");
    let home = app.get_page("/", 200).await;
    assert!(home.contains(r#"action="/logout""#), "still logged in");
}

#[tokio::test]
async fn logout_without_or_with_a_wrong_csrf_token_is_refused_and_keeps_the_session() {
    let app = spawn_app().await;
    plant_logged_in_session(&app, UserId::new(1)).await;
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
    plant_logged_in_session(&app, UserId::new(1)).await;
    let home = app.get_page("/", 200).await;
    assert!(home.contains(&format!(r#"name="csrf_token" value="{CSRF}""#)));

    let before = session_ids(&app);
    assert_eq!(before.len(), 1);

    let response = post_logout(&app, &[("csrf_token", CSRF)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/");
    let home = app.get_page("/", 200).await;
    assert!(!home.contains(r#"action="/logout""#), "{home}");
    assert!(home.contains("You are logged out."), "{home}");
    assert!(home.contains("Log in with GitHub"));
    // The old session is gone server-side, not only from the browser.
    let after = session_ids(&app);
    assert!(!after.contains(&before[0]), "{before:?} {after:?}");
    let home = app.get_page("/", 200).await;
    assert!(!home.contains("You are logged out."), "said once: {home}");
}

fn session_ids(app: &TestApp) -> Vec<String> {
    session_rows(&mut app.db())
        .into_iter()
        .map(|(id, _, _)| id)
        .collect()
}

/// Every account, oldest first.
fn all_users(app: &TestApp) -> Vec<User> {
    fixtures::all_users(&mut app.db())
}

/// (user id, provider, provider user id) of every stored connection.
fn connections(app: &TestApp) -> Vec<(UserId, String, String)> {
    fixtures::all_identities(&mut app.db())
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

#[tokio::test]
async fn first_login_with_google_creates_an_account_and_a_token_row() {
    first_login_creates_an_account_and_a_connection("google", "Google", "108123456789012345671")
        .await;
}

/// Logs out through the page's form.
async fn log_out(app: &TestApp) {
    let home = home_page(app).await;
    let csrf = csrf_token_in(&home).expect("a log-out form");
    let response = post_logout(app, &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), 303);
}

#[tokio::test]
async fn a_second_login_with_the_same_identity_finds_the_same_account() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "grace").await;
    log_out(&app).await;
    login_via_demo(&app, "github", "grace").await;
    let home = home_page(&app).await;
    assert!(home.contains("Logged in with GitHub"), "{home}");
    let accounts = all_users(&app);
    assert_eq!(accounts.len(), 1);
    assert_eq!(connections(&app).len(), 1);
    assert_eq!(
        accounts[0].email.as_deref(),
        Some("grace@example.org"),
        "a private GitHub address comes from /user/emails"
    );
}

#[tokio::test]
async fn a_logged_in_person_connects_a_second_and_third_provider_to_the_same_account() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "zoe").await;
    home_page(&app).await;
    login_via_demo(&app, "google", "zoe").await;
    assert!(home_page(&app).await.contains("Connected Google"));
    login_via_demo(&app, "twitter", "zoe").await;
    assert!(home_page(&app).await.contains("Connected Twitter"));

    let accounts = all_users(&app);
    assert_eq!(accounts.len(), 1);
    let providers: Vec<(UserId, String)> = connections(&app)
        .into_iter()
        .map(|(user, name, _)| (user, name))
        .collect();
    let id = accounts[0].id;
    assert_eq!(
        providers,
        [
            (id, "github".to_owned()),
            (id, "google".to_owned()),
            (id, "twitter".to_owned())
        ]
    );
}

#[tokio::test]
async fn the_same_email_at_two_providers_never_links_two_people() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    log_out(&app).await;
    login_via_demo(&app, "google", "ada").await;
    let accounts = all_users(&app);
    assert_eq!(
        accounts.len(),
        2,
        "logged out, a new provider is a new account"
    );
}

#[tokio::test]
async fn connecting_an_identity_owned_by_another_account_offers_a_merge_and_moves_nothing() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    log_out(&app).await;
    login_via_demo(&app, "google", "grace").await;
    home_page(&app).await;
    let before = connections(&app);

    assert_eq!(
        login_via_demo(&app, "github", "ada").await,
        "/account/merge"
    );
    let page = app.get_page("/account/merge", 200).await;
    assert!(
        page.contains("That GitHub account is connected to another account here"),
        "{page}"
    );
    assert_eq!(connections(&app), before, "nothing moves before a yes");
    assert_eq!(all_users(&app).len(), 2);
    assert!(
        page.contains(r#"action="/logout""#),
        "still logged in as Grace"
    );
}

/// Asserts the home page shows `message` and nothing was stored.
async fn ends_home_with(app: &TestApp, answer: reqwest::Response, message: &str) {
    assert_eq!(answer.status(), 303, "{:?}", answer.headers());
    assert_eq!(location(&answer), "/");
    let home = home_page(app).await;
    assert!(home.contains(message), "{message:?} not in {home}");
    assert!(home.contains("flash-error"));
    assert!(all_users(app).is_empty());
    assert!(connections(app).is_empty());
}

#[tokio::test]
async fn a_callback_with_a_state_of_no_login_is_refused() {
    let app = spawn_app().await;
    // A login under way in this browser, and a forged callback beside it.
    let _ = app.get("/login/github").await;
    let forged = app
        .get("/auth/github/callback?code=stolen-code&state=not-the-state")
        .await;
    ends_home_with(
        &app,
        forged,
        "That GitHub login link has expired or was already used",
    )
    .await;
}

#[tokio::test]
async fn a_callback_used_twice_is_refused_the_second_time() {
    let app = spawn_app().await;
    let answer = consent_via_demo(&app, "/login/github", "ada", "authorize").await;
    let callback = location(&answer);
    let first = follow_to_callback(&app, &answer).await;
    assert_eq!(location(&first), "/");
    log_out(&app).await;
    let (users_before, rows_before) = (all_users(&app).len(), connections(&app));

    let replay = app.client.get(&callback).send().await.unwrap();
    assert_eq!(location(&replay), "/");
    let home = home_page(&app).await;
    assert!(home.contains("expired or was already used"), "{home}");
    assert!(
        !home.contains(r#"action="/logout""#),
        "the replay logs nobody in"
    );
    assert_eq!(all_users(&app).len(), users_before);
    assert_eq!(connections(&app), rows_before);
}

#[tokio::test]
async fn denied_consent_ends_on_the_home_page_with_nothing_stored() {
    let app = spawn_app().await;
    for provider in ["github", "google", "twitter"] {
        let path = format!("/login/{provider}");
        let answer = consent_via_demo(&app, &path, "ada", "deny").await;
        let done = follow_to_callback(&app, &answer).await;
        ends_home_with(&app, done, "You cancelled the login at").await;
    }
}

#[tokio::test]
async fn a_provider_outage_at_the_token_endpoint_ends_on_the_home_page() {
    let app = spawn_app().await;
    let github = app.state.demo.github.clone().unwrap();
    github.knobs().fail_next_token_request(Fault::ServerError);
    let answer = consent_via_demo(&app, "/login/github", "ada", "authorize").await;
    let done = follow_to_callback(&app, &answer).await;
    ends_home_with(&app, done, "GitHub is having trouble right now (error 503)").await;

    let twitter = app.state.demo.twitter.clone().unwrap();
    twitter.knobs().fail_next_token_request(Fault::ServerError);
    let answer = consent_via_demo(&app, "/login/twitter", "ada", "authorize").await;
    let done = follow_to_callback(&app, &answer).await;
    ends_home_with(&app, done, "Twitter is having trouble right now").await;
}

#[tokio::test]
async fn a_github_rate_limit_at_login_ends_on_the_home_page_with_when_to_come_back() {
    let app = spawn_app().await;
    let github = app.state.demo.github.clone().unwrap();
    github.impose_secondary_rate_limit(120);
    let answer = consent_via_demo(&app, "/login/github", "ada", "authorize").await;
    let done = follow_to_callback(&app, &answer).await;
    ends_home_with(&app, done, "GitHub has asked this site to slow down").await;
    assert_eq!(github.knobs().calls("user"), 1, "refused once, not retried");
}

#[tokio::test]
async fn a_token_endpoint_that_does_not_answer_in_time_ends_on_the_home_page() {
    // Long enough for the calls that are answered (discovery, the pushed
    // request) on a busy machine, far shorter than the stalled one.
    let app = spawn_app_with(|config| {
        config
            .provider_env
            .insert("GOOGLE_TIMEOUT".to_owned(), "2".to_owned());
    })
    .await;
    let google = app.state.demo.google.clone().unwrap();
    google.knobs().fail_next_token_request(Fault::Timeout);
    let answer = consent_via_demo(&app, "/login/google", "ada", "authorize").await;
    let started = std::time::Instant::now();
    let done = follow_to_callback(&app, &answer).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    ends_home_with(&app, done, "Google did not answer in time").await;
}

#[tokio::test]
async fn an_id_token_that_fails_validation_ends_on_the_home_page() {
    let app = spawn_app().await;
    let google = app.state.demo.google.clone().unwrap();
    for fault in [IdTokenFault::BadSignature, IdTokenFault::WrongNonce] {
        google.tamper_next_id_token(fault);
        let answer = consent_via_demo(&app, "/login/google", "ada", "authorize").await;
        let done = follow_to_callback(&app, &answer).await;
        ends_home_with(&app, done, "failed this site&#x27;s security checks").await;
    }
}

#[tokio::test]
async fn claims_options_let_in_only_the_logins_whose_id_token_meets_them() {
    let with_options = |options: &'static str| {
        move |config: &mut trilogin::config::Config| {
            config
                .provider_env
                .insert("GOOGLE_CLAIMS_OPTIONS".to_owned(), options.to_owned());
        }
    };
    // Every demo Google address is verified: this rule lets ada in.
    let app = spawn_app_with(with_options(r#"{"email_verified": {"values": [true]}}"#)).await;
    assert_eq!(login_via_demo(&app, "google", "ada").await, "/");
    assert_eq!(all_users(&app).len(), 1);

    // A Google Workspace domain the demo accounts are not in.
    let app = spawn_app_with(with_options(
        r#"{"hd": {"essential": true, "value": "example.com"}}"#,
    ))
    .await;
    let answer = consent_via_demo(&app, "/login/google", "ada", "authorize").await;
    let done = follow_to_callback(&app, &answer).await;
    ends_home_with(&app, done, "failed this site&#x27;s security checks").await;
}

#[tokio::test]
async fn next_is_followed_when_it_is_a_path_of_this_site() {
    let app = spawn_app().await;
    let went = login_via_demo_to(&app, "/login/github?next=/account%3Ftab%3D1", "ada").await;
    assert_eq!(went, "/account?tab=1");
}

#[tokio::test]
async fn next_pointing_to_another_site_is_ignored() {
    let app = spawn_app().await;
    for next in [
        "https%3A%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
    ] {
        let path = format!("/login/github?next={next}");
        assert_eq!(login_via_demo_to(&app, &path, "ada").await, "/", "{next}");
    }
}

#[tokio::test]
async fn unknown_or_unavailable_providers_get_the_404_page() {
    let app = spawn_app_with(|config| config.demo_providers = DemoMode::Off).await;
    for path in [
        "/login/facebook",
        "/login/github",
        "/auth/github/callback?code=x&state=y",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.text().await.unwrap().contains("Page not found"));
    }
}

fn session_cookie(app: &TestApp) -> Option<String> {
    use reqwest::cookie::CookieStore as _;
    let url = app.address.parse().unwrap();
    let header = app.cookies.cookies(&url)?;
    header
        .to_str()
        .unwrap()
        .split("; ")
        .find_map(|c| c.strip_prefix("trilogin_session="))
        .map(str::to_owned)
}

#[tokio::test]
async fn the_session_key_changes_at_login_so_a_planted_key_is_worthless() {
    let app = spawn_app().await;
    let answer = consent_via_demo(&app, "/login/github", "ada", "authorize").await;
    let before = session_cookie(&app).expect("the pending login has a session");
    let done = follow_to_callback(&app, &answer).await;
    assert_eq!(location(&done), "/");
    let after = session_cookie(&app).expect("logged in");
    assert_ne!(before, after);

    // Whoever kept the old cookie is not logged in.
    app.plant_session_cookie(&before);
    let home = home_page(&app).await;
    assert!(!home.contains(r#"action="/logout""#), "{home}");
}

#[tokio::test]
async fn the_form_post_callback_needs_no_csrf_token_but_its_state() {
    let app = spawn_app().await;
    let answer = consent_via_demo(&app, "/login/github", "ada", "authorize").await;
    let callback = url::Url::parse(&location(&answer)).unwrap();
    let params: Vec<(String, String)> = callback.query_pairs().into_owned().collect();
    let done = app
        .client
        .post(app.url("/auth/github/callback"))
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&done), "/");
    assert!(home_page(&app).await.contains("Logged in with GitHub"));
    assert_eq!(all_users(&app).len(), 1);
}

#[tokio::test]
async fn a_bad_provider_setting_stops_start_up_naming_the_variable() {
    let data = trilogin_testing::TestData::new();
    let mut config = trilogin_testing::test_config(&data);
    config
        .provider_env
        .insert("GITHUB_TIMEOUT".to_owned(), "soon".to_owned());
    let Err(error) = trilogin::startup::Application::build(config).await else {
        panic!("the app started with GITHUB_TIMEOUT=soon");
    };
    let message = format!("{error:#}");
    assert!(message.contains("GITHUB_TIMEOUT"), "{message}");
}
