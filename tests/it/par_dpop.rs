//! Pushed authorization requests and DPoP-bound tokens end to end, against
//! demo Google with PAR required, DPoP required and server nonces: the
//! login, the profile, a refresh proved by the same key, one refresh for
//! many pages and two processes, and every refusal on either side.

use std::collections::BTreeMap;

use trilogin::config::{Config, DemoMode};
use trilogin_accounts::db::connections::StoredOAuth2Token;
use trilogin_accounts::db::fixtures;
use trilogin_accounts::{Provider, UserId};
use trilogin_demo::google::DemoGoogle;
use trilogin_demo::{GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET};
use trilogin_oauth::dpop::{DpopAlg, DpopKey, ProofFor, proof};

use crate::journey::{home_page, login_via_demo};
use trilogin_testing::{TestApp, location, spawn_app, spawn_app_with};

fn demo_google(app: &TestApp) -> &DemoGoogle {
    app.state
        .demo
        .google
        .as_deref()
        .expect("demo Google is served")
}

/// Demo Google at its strictest: pushed requests only, DPoP proofs
/// required, and a server nonce in every proof.
fn strict(google: &DemoGoogle) {
    google.require_par(true);
    google.require_dpop(true);
    google.use_dpop_nonces(true);
}

/// Ada logs in with Google on a strict demo Google: her stored connection.
async fn ada_with_dpop(app: &TestApp) -> StoredOAuth2Token {
    strict(demo_google(app));
    assert_eq!(login_via_demo(app, "google", "ada").await, "/");
    app.stored_oauth2(UserId::new(1), Provider::Google)
        .expect("the Google connection is stored")
}

fn thumbprint(stored: &StoredOAuth2Token) -> String {
    stored
        .token
        .dpop_key
        .as_ref()
        .expect("the token is bound to a key")
        .thumbprint()
        .unwrap()
}

#[tokio::test]
async fn with_par_required_and_dpop_nonces_the_site_logs_in_shows_the_profile_and_refreshes_with_the_same_key()
 {
    let app = spawn_app().await;
    let stored = ada_with_dpop(&app).await;
    let google = demo_google(&app);
    let key = thumbprint(&stored);

    assert_eq!(google.knobs().calls("par"), 1, "the request was pushed");
    assert_eq!(
        google.knobs().calls("token"),
        2,
        "the code exchange was sent again once, with the server's nonce"
    );
    assert_eq!(stored.token.token_type, "DPoP");
    assert_eq!(google.proved_keys("token"), std::slice::from_ref(&key));

    let profile = app.get_page("/profile", 200).await;
    assert!(profile.contains("ada@example.com"), "{profile}");
    let userinfo = google.proved_keys("userinfo");
    assert_eq!(userinfo.len(), 2, "at the login and for the page");
    assert!(userinfo.iter().all(|k| *k == key));
    let account = app.get_page("/account", 200).await;
    assert!(account.contains("<code>DPoP</code>"), "{account}");

    // The access token dies and the server moves to a new nonce.
    google.expire_all_access_tokens();
    google.rotate_dpop_nonce();
    let profile = app.get_page("/profile", 200).await;
    assert!(profile.contains("ada@example.com"), "{profile}");
    assert_eq!(
        google.knobs().calls("refresh"),
        2,
        "the refresh was sent again once, with the new nonce"
    );
    assert_eq!(
        google.proved_keys("refresh"),
        std::slice::from_ref(&key),
        "the refresh is proved by the login's key"
    );
    let row = app.stored_oauth2(UserId::new(1), Provider::Google).unwrap();
    assert_ne!(row.token.access_token, stored.token.access_token);
    assert_eq!(row.token.dpop_key, stored.token.dpop_key, "the key stays");
    assert_eq!(row.token.token_type, "DPoP");
    assert!(google.proved_keys("userinfo").iter().all(|k| *k == key));
}

#[tokio::test]
async fn many_pages_at_once_refresh_a_bound_token_once() {
    let app = spawn_app().await;
    let stored = ada_with_dpop(&app).await;
    let google = demo_google(&app);
    google.expire_all_access_tokens();
    let loads = (0..12).map(|_| app.get("/profile"));
    for response in futures_util::future::join_all(loads).await {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(google.knobs().calls("refresh"), 1);
    assert_eq!(google.proved_keys("refresh"), [thumbprint(&stored)]);
}

/// A second process has no demo of its own: it talks to the first one's
/// demo Google as a configured provider.
fn google_of(first: &TestApp) -> impl FnOnce(&mut Config) + use<> {
    let discovery = first.url("/_demo/google/.well-known/openid-configuration");
    move |config| {
        config.demo_providers = DemoMode::Off;
        config.provider_env = BTreeMap::from([
            ("GOOGLE_CLIENT_ID".to_owned(), GOOGLE_CLIENT_ID.to_owned()),
            (
                "GOOGLE_CLIENT_SECRET".to_owned(),
                GOOGLE_CLIENT_SECRET.to_owned(),
            ),
            ("GOOGLE_SERVER_METADATA_URL".to_owned(), discovery),
        ]);
    }
}

#[tokio::test]
async fn two_app_processes_refresh_a_bound_token_once_with_its_key() {
    let first = spawn_app().await;
    let stored = ada_with_dpop(&first).await;
    let second = first.spawn_beside(google_of(&first)).await;
    second.plant_logged_in_session(UserId::new(1)).await;
    let google = demo_google(&first);
    google.expire_all_access_tokens();

    let loads = (0..10).flat_map(|_| [first.get("/profile"), second.get("/profile")]);
    for response in futures_util::future::join_all(loads).await {
        assert_eq!(response.status(), 200);
        let body = response.text().await.unwrap();
        assert!(body.contains("ada@example.com"), "{body}");
    }
    // The process that did not see the nonce yet is told it once.
    assert!(google.knobs().calls("refresh") <= 2);
    assert_eq!(
        google.proved_keys("refresh"),
        [thumbprint(&stored)],
        "one refresh reached the provider, proved by the login's key"
    );
}

#[tokio::test]
async fn a_pushed_request_that_google_refuses_ends_on_the_home_page_with_its_error() {
    let app = spawn_app().await;
    let google = demo_google(&app);
    google.require_par(true);
    google.refuse_next_push();
    let start = app.get("/login/google").await;
    assert_eq!(start.status(), 303);
    assert_eq!(location(&start), "/");
    let home = home_page(&app).await;
    assert!(
        home.contains(
            "Google refused the login: The pushed authorization request was refused. (invalid_request)"
        ),
        "{home}"
    );
    assert!(home.contains("flash-error"));
    assert_eq!(google.knobs().calls("authorize"), 0);
}

#[tokio::test]
async fn a_request_that_is_not_pushed_is_refused_where_google_requires_par() {
    let app = spawn_app_with(|config| {
        config
            .provider_env
            .insert("GOOGLE_PAR".to_owned(), "off".to_owned());
    })
    .await;
    demo_google(&app).require_par(true);
    let start = app.get("/login/google").await;
    let to_google = location(&start);
    assert!(to_google.contains("state="), "not pushed: {to_google}");
    let page = app.client.get(&to_google).send().await.unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("must push"));
}

#[tokio::test]
async fn a_request_uri_works_once() {
    let app = spawn_app().await;
    demo_google(&app).require_par(true);
    let start = app.get("/login/google").await;
    let to_google = location(&start);
    assert!(to_google.contains("request_uri="), "{to_google}");
    let first = app.client.get(&to_google).send().await.unwrap();
    assert_eq!(first.status(), 200, "the consent page");
    let again = app.client.get(&to_google).send().await.unwrap();
    assert_eq!(again.status(), 400);
}

/// Sends `proof` and `token` to demo Google's userinfo in `scheme`.
async fn userinfo(
    app: &TestApp,
    scheme: &str,
    token: &str,
    proof: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url("/_demo/google/userinfo"))
        .header("Authorization", format!("{scheme} {token}"));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.send().await.unwrap()
}

/// A proof by `key` of a GET of `url` with `token`.
fn proof_of(key: &DpopKey, url: &str, token: &str, nonce: Option<&str>) -> String {
    let url = url::Url::parse(url).unwrap();
    let target = ProofFor {
        method: "GET",
        url: &url,
        access_token: Some(token),
        nonce,
    };
    proof(key, target, time::OffsetDateTime::now_utc()).unwrap()
}

/// The `DPoP` challenge of a refusal, with its error.
async fn challenge(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 401);
    let header = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(header.starts_with("DPoP "), "{header}");
    header
}

#[tokio::test]
async fn google_refuses_a_bound_token_as_bearer_a_proof_by_another_key_a_bad_proof_and_a_replay() {
    let app = spawn_app().await;
    let stored = ada_with_dpop(&app).await;
    demo_google(&app).use_dpop_nonces(false);
    let token = stored.token.access_token.secret();
    let key = stored.token.dpop_key.as_ref().unwrap();
    let url = app.url("/_demo/google/userinfo");

    let bearer = userinfo(&app, "Bearer", token, None).await;
    assert!(challenge(bearer).await.contains("invalid_token"));

    let stranger = DpopKey::generate(DpopAlg::Es256).unwrap();
    let other_key = userinfo(
        &app,
        "DPoP",
        token,
        Some(&proof_of(&stranger, &url, token, None)),
    )
    .await;
    assert!(challenge(other_key).await.contains("invalid_dpop_proof"));

    let missing = userinfo(&app, "DPoP", token, None).await;
    assert!(challenge(missing).await.contains("invalid_dpop_proof"));

    let elsewhere = proof_of(key, &app.url("/_demo/google/token"), token, None);
    let wrong_ath = proof_of(key, &url, "another-token", None);
    let mut forged = proof_of(key, &url, token, None);
    let last = if forged.ends_with('A') { 'B' } else { 'A' };
    forged.pop();
    forged.push(last);
    for bad in [elsewhere, wrong_ath, forged, "not-a-jwt".to_owned()] {
        let refused = userinfo(&app, "DPoP", token, Some(&bad)).await;
        assert!(
            challenge(refused).await.contains("invalid_dpop_proof"),
            "{bad}"
        );
    }

    let good = proof_of(key, &url, token, None);
    assert_eq!(
        userinfo(&app, "DPoP", token, Some(&good)).await.status(),
        200
    );
    let replayed = userinfo(&app, "DPoP", token, Some(&good)).await;
    let header = challenge(replayed).await;
    assert!(header.contains("used before"), "{header}");
}

#[tokio::test]
async fn in_nonce_mode_a_proof_without_the_nonce_is_told_the_nonce_to_use() {
    let app = spawn_app().await;
    let stored = ada_with_dpop(&app).await;
    let token = stored.token.access_token.secret();
    let key = stored.token.dpop_key.as_ref().unwrap();
    let url = app.url("/_demo/google/userinfo");

    let refused = userinfo(&app, "DPoP", token, Some(&proof_of(key, &url, token, None))).await;
    let nonce = refused.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    assert!(challenge(refused).await.contains("use_dpop_nonce"));
    let with_nonce = proof_of(key, &url, token, Some(&nonce));
    assert_eq!(
        userinfo(&app, "DPoP", token, Some(&with_nonce))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn google_refuses_a_refresh_without_a_proof_or_with_a_proof_by_another_key() {
    let app = spawn_app().await;
    let stored = ada_with_dpop(&app).await;
    demo_google(&app).use_dpop_nonces(false);
    demo_google(&app).require_dpop(false);
    let refresh_token = stored.token.refresh_token.as_ref().unwrap().secret();
    let url = app.url("/_demo/google/token");
    let stranger = DpopKey::generate(DpopAlg::Es256).unwrap();
    let parsed = url::Url::parse(&url).unwrap();
    let target = ProofFor {
        method: "POST",
        url: &parsed,
        access_token: None,
        nonce: None,
    };
    let by_stranger = proof(&stranger, target, time::OffsetDateTime::now_utc()).unwrap();
    for proof in [None, Some(by_stranger)] {
        let mut request = app
            .client
            .post(&url)
            .basic_auth(GOOGLE_CLIENT_ID, Some(GOOGLE_CLIENT_SECRET))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ]);
        if let Some(proof) = &proof {
            request = request.header("DPoP", proof);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 400);
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["error"], "invalid_dpop_proof", "{body}");
    }
}

#[tokio::test]
async fn a_dpop_login_started_on_one_process_finishes_on_another_with_the_sealed_key() {
    let first = spawn_app().await;
    strict(demo_google(&first));
    // Behind a load balancer every process has the same public origin.
    let origin: url::Url = first.address.parse().unwrap();
    let use_google = google_of(&first);
    let second = first
        .spawn_beside(move |config| {
            use_google(config);
            config.app_url = origin;
        })
        .await;

    let start = first.get("/login/google").await;
    let pending = fixtures::sealed_pending_logins(&mut first.db());
    assert_eq!(pending.len(), 1);
    assert!(pending[0].starts_with("v2:"), "the pending login is sealed");
    assert!(!pending[0].contains("ES256."), "no key in clear");

    let answer = crate::journey::consent_at(&first, &location(&start), "ada", "authorize").await;
    let callback = location(&answer).replacen(&first.address, &second.url(""), 1);
    let done = first.client.get(&callback).send().await.unwrap();
    assert_eq!(
        location(&done),
        "/",
        "the login finishes on the second process"
    );
    let stored = first
        .stored_oauth2(UserId::new(1), Provider::Google)
        .unwrap();
    assert_eq!(
        demo_google(&first).proved_keys("token"),
        [thumbprint(&stored)],
        "the second process proved the key the first one made"
    );
}

#[tokio::test]
async fn a_site_that_does_not_use_dpop_is_refused_by_a_provider_that_requires_it() {
    let app = spawn_app_with(|config| {
        config
            .provider_env
            .insert("GOOGLE_DPOP".to_owned(), "off".to_owned());
    })
    .await;
    demo_google(&app).require_dpop(true);
    let answer = crate::journey::consent_via_demo(&app, "/login/google", "ada", "authorize").await;
    let done = crate::journey::follow_to_callback(&app, &answer).await;
    assert_eq!(location(&done), "/");
    let home = home_page(&app).await;
    assert!(
        home.contains("Google refused the login: ") && home.contains("(invalid_dpop_proof)"),
        "{home}"
    );
    assert!(
        app.stored_oauth2(UserId::new(1), Provider::Google)
            .is_none()
    );
}

#[tokio::test]
async fn disconnecting_a_dpop_connection_revokes_it_and_deletes_its_key() {
    let app = spawn_app().await;
    ada_with_dpop(&app).await;
    assert_eq!(login_via_demo(&app, "github", "ada").await, "/");
    let response = app.press("/account/google/disconnect").await;
    assert_eq!(location(&response), "/account");
    assert_eq!(demo_google(&app).knobs().calls("revoke"), 1);
    assert!(
        app.stored_oauth2(UserId::new(1), Provider::Google)
            .is_none()
    );
    let keys = fixtures::sealed_dpop_keys(&mut app.db());
    assert_eq!(
        keys,
        [("github".to_owned(), None)],
        "GitHub's row is left, without a key"
    );
}
