//! Many browsers and many tabs on one database: logins are never lost to a
//! locked database or to each other, a failed refresh is retried at once,
//! and a logout sticks while a slow page is still in flight.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_session::storage::SessionStore as _;
use futures_util::future::join_all;
use trilogin_demo::knobs::Fault;

use crate::journey::{consent_at, follow_to_callback, login_via_demo};
use crate::refresh::{ada_with_github, demo_github};
use trilogin_testing::{Browser, TestApp, csrf_token_in, location, spawn_app, spawn_app_with};

/// The flash message a finished login shows, or what went wrong instead.
async fn flash_after_login(browser: &Browser, provider: &str, person: &str) -> String {
    login_via_demo(browser, provider, person).await;
    let home = browser.get("/").await.text().await.unwrap();
    let start = home.find(r#"<p class="flash"#).map_or(0, |i| i);
    home[start..].chars().take(200).collect()
}

async fn log_out(browser: &Browser) {
    let home = browser.get("/").await.text().await.unwrap();
    let token = csrf_token_in(&home).expect("a logged-in page has the log-out form");
    let answer = browser
        .client
        .post(format!("{}/logout", browser.address))
        .form(&[("csrf_token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_browsers_logging_in_at_once_for_seconds_never_fail() {
    let app = spawn_app_with(|config| config.login_rate_limit = 0).await;
    let deadline = Instant::now() + Duration::from_secs(4);
    let browsers = (0..20).map(|i| {
        let browser = app.browser();
        async move {
            let mut outcomes = Vec::new();
            let person = ["ada", "grace", "zoe"][i % 3];
            while Instant::now() < deadline {
                let provider = ["github", "twitter", "google"][(i + outcomes.len()) % 3];
                let flash = flash_after_login(&browser, provider, person).await;
                let ok = flash.contains("Logged in with");
                outcomes.push((provider, ok, flash));
                if ok {
                    log_out(&browser).await;
                }
            }
            outcomes
        }
    });
    let outcomes: Vec<_> = join_all(browsers).await.into_iter().flatten().collect();
    let failed: Vec<_> = outcomes.iter().filter(|(_, ok, _)| !ok).collect();
    assert!(outcomes.len() >= 40, "{} logins only", outcomes.len());
    assert!(
        failed.is_empty(),
        "{} of {} logins failed, e.g. {:?}",
        failed.len(),
        outcomes.len(),
        failed.first()
    );
}

#[tokio::test]
async fn four_tabs_starting_logins_at_the_same_moment_all_finish() {
    let app = spawn_app().await;
    // The browser has been here before: it started a login and left it.
    assert_eq!(app.get("/login/github").await.status(), 303);
    let starts = join_all((0..4).map(|_| app.get("/login/github"))).await;
    let to_provider: Vec<String> = starts.iter().map(location).collect();
    for (tab, url) in to_provider.iter().enumerate() {
        let answer = consent_at(&app, url, "ada", "authorize").await;
        let done = follow_to_callback(&app, &answer).await;
        assert_eq!(done.status(), 303);
        let home = app.get_page("/", 200).await;
        let expected = if tab == 0 {
            "Logged in with GitHub"
        } else {
            "Connected GitHub"
        };
        assert!(home.contains(expected), "tab {tab}: {home}");
    }
}

#[tokio::test]
async fn a_refresh_that_failed_once_is_tried_again_at_the_very_next_page_load() {
    let app = spawn_app().await;
    ada_with_github(&app, true).await;
    demo_github(&app)
        .knobs()
        .fail_next_token_request(Fault::ServerError);
    let first = app.get_page("/repos", 200).await;
    assert!(!first.contains(r#"class="card repo""#), "{first}");

    let started = Instant::now();
    let second = app.get_page("/repos", 200).await;
    let took = started.elapsed();
    assert!(second.contains(r#"class="card repo""#), "{second}");
    assert!(
        took < Duration::from_secs(1),
        "the second load took {took:?}"
    );
    assert_eq!(demo_github(&app).knobs().calls("refresh"), 2);
}

/// Stores `state` as the browser's session and returns its cookie value.
async fn plant_state(app: &TestApp, state: HashMap<String, String>) -> String {
    let key = app
        .state
        .sessions
        .save(state, &time::Duration::days(1))
        .await
        .unwrap();
    let cookie = app.session_cookie_value(key.as_ref());
    app.plant_session_cookie(&cookie);
    cookie
}

#[tokio::test]
async fn a_logout_during_a_slow_page_is_not_undone_when_the_page_finishes() {
    let app = spawn_app().await;
    let (user_id, _) = ada_with_github(&app, false).await;
    // A session with a message still to show: rendering `/repos` changes
    // the state, so its response writes the session back.
    let flash = r#"[{"kind":"success","text":"Welcome back"}]"#;
    let old_cookie = plant_state(
        &app,
        HashMap::from([
            ("user_id".to_owned(), user_id.to_string()),
            ("csrf_token".to_owned(), "\"the-csrf-token\"".to_owned()),
            ("flash".to_owned(), flash.to_owned()),
        ]),
    )
    .await;
    demo_github(&app)
        .knobs()
        .set_latency(Duration::from_millis(1500));

    let slow = app.get("/repos");
    let logout = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.post_form("/logout", &[("csrf_token", "the-csrf-token")])
            .await
    };
    let (slow, logout) = tokio::join!(slow, logout);
    assert_eq!(logout.status(), 303);
    assert_eq!(slow.status(), 200);
    demo_github(&app).knobs().set_latency(Duration::ZERO);

    let after = app.get_page("/", 200).await;
    assert_eq!(
        csrf_token_in(&after),
        None,
        "the browser is logged out: {after}"
    );
    app.plant_session_cookie(&old_cookie);
    let with_old_cookie = app.get_page("/", 200).await;
    assert_eq!(
        csrf_token_in(&with_old_cookie),
        None,
        "the old cookie is logged out too"
    );
    assert_eq!(app.get("/account").await.status(), 303);
}
