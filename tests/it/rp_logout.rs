//! RP-initiated logout: after logging out, the person may also sign out of
//! an OpenID Connect provider that announces an `end_session_endpoint`;
//! the provider's return to APP_URL must carry the `state` sent.

use crate::journey::{home_page, login_via_demo};
use crate::oidc_providers::{demo, with_acme_and_dot};
use trilogin_testing::{TestApp, csrf_token_in, location, spawn_app, spawn_app_with};

/// Presses the header's "Log out" button; returns where the site sent the
/// browser.
async fn log_out(app: &TestApp) -> String {
    let home = app.get_page("/", 200).await;
    let csrf = csrf_token_in(&home).expect("the header has the log-out form");
    location(&app.post_form("/logout", &[("csrf_token", &csrf)]).await)
}

/// Presses "Also sign out of …" for `provider` on the page after logout;
/// returns the site's answer.
async fn sign_out_at(app: &TestApp, provider: &str) -> reqwest::Response {
    let page = app.get_page("/logout", 200).await;
    let csrf = csrf_token_in(&page).expect("the sign-out form has a CSRF token");
    app.post_form(&format!("/logout/{provider}"), &[("csrf_token", &csrf)])
        .await
}

fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn logging_out_offers_signing_out_of_each_oidc_provider_that_can() {
    let app = spawn_app_with(with_acme_and_dot).await;
    login_via_demo(&app, "acme", "ada").await;
    login_via_demo(&app, "google", "ada").await;
    login_via_demo(&app, "github", "ada").await;
    assert_eq!(log_out(&app).await, "/logout");
    let page = app.get_page("/logout", 200).await;
    assert!(page.contains("You are logged out."), "{page}");
    assert!(page.contains("Also sign out of Acme SSO"), "{page}");
    assert!(page.contains("Also sign out of Google"), "{page}");
    assert!(!page.contains("Also sign out of GitHub"), "{page}");
    assert!(
        !page.contains("Also sign out of Dot"),
        "not connected: {page}"
    );
    assert!(!app.get_page("/", 200).await.contains("Hello,"));
}

#[tokio::test]
async fn without_an_oidc_connection_logging_out_goes_home_with_no_offer() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    assert_eq!(log_out(&app).await, "/");
    assert!(home_page(&app).await.contains("You are logged out."));
    let page = app.get_page("/logout", 200).await;
    assert!(page.contains("You are not logged in."), "{page}");
}

#[tokio::test]
async fn signing_out_at_the_provider_sends_the_hint_client_and_state_and_checks_it_on_return() {
    let app = spawn_app_with(with_acme_and_dot).await;
    login_via_demo(&app, "acme", "ada").await;
    log_out(&app).await;
    let to_provider = location(&sign_out_at(&app, "acme").await);
    assert!(to_provider.contains("/_demo/acme/logout?"), "{to_provider}");
    assert_eq!(
        param(&to_provider, "client_id").as_deref(),
        Some(trilogin_demo::GOOGLE_CLIENT_ID)
    );
    let app_url = format!("{}/", app.address);
    assert_eq!(
        param(&to_provider, "post_logout_redirect_uri").as_deref(),
        Some(app_url.as_str())
    );
    let state = param(&to_provider, "state").expect("a state is sent");

    let back = app.client.get(&to_provider).send().await.unwrap();
    let sent = demo(&app, "acme")
        .last_end_session()
        .expect("the provider was asked");
    assert!(
        sent.hint_subject.is_some(),
        "a valid id_token_hint came: {sent:?}"
    );
    assert_eq!(sent.state.as_deref(), Some(state.as_str()));
    let returned = location(&back);
    assert_eq!(param(&returned, "state").as_deref(), Some(state.as_str()));

    let home = app.client.get(&returned).send().await.unwrap();
    assert_eq!(location(&home), "/");
    let page = home_page(&app).await;
    assert!(
        page.contains("You are signed out of Acme SSO too."),
        "{page}"
    );
    // The offer was single use.
    assert!(
        !app.get_page("/logout", 200)
            .await
            .contains("Also sign out of Acme SSO")
    );
}

#[tokio::test]
async fn a_return_with_a_wrong_or_missing_state_is_not_trusted_and_says_so() {
    let app = spawn_app_with(with_acme_and_dot).await;
    login_via_demo(&app, "acme", "ada").await;
    login_via_demo(&app, "google", "ada").await;
    log_out(&app).await;
    sign_out_at(&app, "acme").await;
    let answer = app.get("/?state=forged").await;
    assert_eq!(location(&answer), "/");
    let page = home_page(&app).await;
    assert!(
        page.contains("did not carry the sign-out this browser asked for"),
        "{page}"
    );
    assert!(!page.contains("You are signed out of Acme SSO too."));

    sign_out_at(&app, "google").await;
    let answer = app.get("/").await;
    assert_eq!(location(&answer), "/");
    let page = home_page(&app).await;
    assert!(
        page.contains("Google did not confirm the sign-out"),
        "{page}"
    );
}

#[tokio::test]
async fn a_state_with_no_sign_out_under_way_is_ignored_with_a_message() {
    let app = spawn_app().await;
    let answer = app.get("/?state=from-nowhere").await;
    assert_eq!(location(&answer), "/");
    let page = home_page(&app).await;
    assert!(
        page.contains("does not belong to a sign-out started in this browser"),
        "{page}"
    );
}

#[tokio::test]
async fn the_sign_out_button_needs_the_csrf_token_and_an_offer_of_this_browser() {
    let app = spawn_app_with(with_acme_and_dot).await;
    login_via_demo(&app, "acme", "ada").await;
    log_out(&app).await;
    let forged = app
        .post_form("/logout/acme", &[("csrf_token", "forged")])
        .await;
    assert_eq!(forged.status(), 403);

    // Another browser has no offer: it is told so, and nothing is sent.
    let page = app.get_page("/logout", 200).await;
    let csrf = csrf_token_in(&page).unwrap();
    let other = app.browser();
    let other_page = other.get("/logout").await.text().await.unwrap();
    assert!(other_page.contains("You are not logged in."));
    let refused = app.post_form("/logout/dot", &[("csrf_token", &csrf)]).await;
    assert_eq!(location(&refused), "/");
    assert!(
        home_page(&app)
            .await
            .contains("There is no sign-out of Dot waiting in this browser.")
    );
    assert_eq!(demo(&app, "dot").knobs().calls("end_session"), 0);
    let unknown = app
        .post_form("/logout/nobody", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_provider_that_does_not_answer_is_left_out_and_a_failed_sign_out_says_so() {
    let app = spawn_app_with(|config| {
        with_acme_and_dot(config);
        // Metadata read afresh each time, so the provider's silence shows.
        // The timeout leaves the logins, whose calls are not slowed, room
        // on a busy machine.
        for (key, value) in [("ACME_METADATA_TTL", "0"), ("ACME_TIMEOUT", "3")] {
            config.provider_env.insert(key.to_owned(), value.to_owned());
        }
    })
    .await;
    let slow = std::time::Duration::from_secs(5);
    login_via_demo(&app, "acme", "ada").await;
    demo(&app, "acme").knobs().set_latency(slow);
    // The logout itself never waits on the provider's answer to fail.
    assert_eq!(log_out(&app).await, "/");
    assert!(home_page(&app).await.contains("You are logged out."));

    demo(&app, "acme")
        .knobs()
        .set_latency(std::time::Duration::ZERO);
    login_via_demo(&app, "acme", "ada").await;
    assert_eq!(log_out(&app).await, "/logout");
    demo(&app, "acme").knobs().set_latency(slow);
    let answer = sign_out_at(&app, "acme").await;
    assert_eq!(location(&answer), "/");
    let page = home_page(&app).await;
    assert!(
        page.contains("Acme SSO could not be reached to sign you out there."),
        "{page}"
    );
    assert_eq!(demo(&app, "acme").knobs().calls("end_session"), 0);
}
