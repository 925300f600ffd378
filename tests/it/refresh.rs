//! Refresh on access as a person sees it: expired tokens are refreshed
//! before the page renders, once however many pages ask, and a refused
//! refresh asks for a new login without deleting anything.

use trilogin_accounts::db::connections::{NewConnection, NewToken, StoredOAuth2Token};
use trilogin_accounts::{Provider, UserId};
use trilogin_demo::github::{DEMO_PASSWORD, DemoGitHub};
use trilogin_demo::{GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET};
use trilogin_oauth::OAuth2Token;
use trilogin_oauth::secret::{AccessToken, RefreshToken};

use crate::account::seed_user;
use trilogin_testing::{TestApp, spawn_app};

/// Ada's GitHub id at the demo.
pub const ADA_GITHUB_ID: &str = "1815001";

/// The demo GitHub of `app`.
pub fn demo_github(app: &TestApp) -> &DemoGitHub {
    app.state
        .demo
        .github
        .as_deref()
        .expect("demo GitHub is served")
}

/// A real demo GitHub token of the person with GitHub login `login`, from
/// the demo's password grant (the consent page is tested elsewhere).
pub async fn demo_github_token(app: &TestApp, login: &str) -> OAuth2Token {
    let answer: serde_json::Value = app
        .client
        .post(app.url("/_demo/github/login/oauth/access_token"))
        .basic_auth(GITHUB_CLIENT_ID, Some(GITHUB_CLIENT_SECRET))
        .header("Accept", "application/json")
        .form(&[
            ("grant_type", "password"),
            ("username", login),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    OAuth2Token {
        issued_at: None,
        access_token: AccessToken::new(answer["access_token"].as_str().unwrap()),
        token_type: "Bearer".into(),
        refresh_token: Some(RefreshToken::new(answer["refresh_token"].as_str().unwrap())),
        expires_at: Some(
            time::OffsetDateTime::now_utc()
                + time::Duration::seconds(answer["expires_in"].as_i64().unwrap()),
        ),
        scope: answer["scope"].as_str().map(str::to_owned),
        id_token: None,
        id_token_claims: None,
        extra: Default::default(),
        dpop_key: None,
    }
}

/// Stores `token` as user `user_id`'s GitHub connection (Ada's identity).
pub fn store_github(app: &TestApp, user_id: UserId, token: &OAuth2Token) {
    app.save_connection(&NewConnection {
        user_id,
        provider: Provider::GitHub,
        provider_user_id: ADA_GITHUB_ID,
        token: NewToken::OAuth2(token),
    });
}

/// A logged-in Ada whose GitHub connection holds a real demo token,
/// expired when `expired` is set.
pub async fn ada_with_github(app: &TestApp, expired: bool) -> (UserId, OAuth2Token) {
    let user_id = seed_user(app, "Ada Lovelace");
    let mut token = demo_github_token(app, "ada-lovelace").await;
    if expired {
        token.expires_at = Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(5));
    }
    store_github(app, user_id, &token);
    app.plant_logged_in_session(user_id).await;
    (user_id, token)
}

fn stored(app: &TestApp, user_id: UserId) -> StoredOAuth2Token {
    app.stored_oauth2(user_id, Provider::GitHub)
        .expect("the GitHub row is kept")
}

#[tokio::test]
async fn an_expired_github_token_is_refreshed_before_the_repositories_render() {
    let app = spawn_app().await;
    let (user_id, old) = ada_with_github(&app, true).await;

    let body = app.get_page("/repos", 200).await;
    assert!(body.contains(r#"class="card repo""#), "{body}");
    assert_eq!(demo_github(&app).knobs().calls("refresh"), 1);

    let row = stored(&app, user_id);
    assert_ne!(row.token.access_token, old.access_token);
    assert_ne!(row.token.refresh_token, old.refresh_token, "GitHub rotates");
    assert!(row.token.expires_at.unwrap() > time::OffsetDateTime::now_utc());
    assert!(row.refreshed_at.is_some());
    assert!(!row.needs_reconnect);
}

#[tokio::test]
async fn fifty_concurrent_page_loads_with_one_expired_token_refresh_it_once() {
    let app = spawn_app().await;
    let (user_id, old) = ada_with_github(&app, true).await;

    let loads = (0..50).map(|_| app.get("/repos"));
    let responses = futures_util::future::join_all(loads).await;
    for response in responses {
        assert_eq!(response.status(), 200);
        let body = response.text().await.unwrap();
        assert!(body.contains(r#"class="card repo""#), "{body}");
    }
    assert_eq!(demo_github(&app).knobs().calls("refresh"), 1);
    let row = stored(&app, user_id);
    assert_ne!(row.token.access_token, old.access_token);
    assert!(!row.needs_reconnect);
}

#[tokio::test]
async fn a_revoked_refresh_token_asks_for_a_reconnect_and_keeps_the_row() {
    let app = spawn_app().await;
    let (user_id, old) = ada_with_github(&app, true).await;
    demo_github(&app).revoke_all_refresh_tokens();

    let body = app.get_page("/repos", 200).await;
    assert!(
        body.contains(r#"href="/login/github">Reconnect GitHub</a>"#),
        "{body}"
    );
    assert!(body.contains("nothing has been deleted"));

    let row = stored(&app, user_id);
    assert!(row.needs_reconnect);
    assert_eq!(row.token.access_token, old.access_token);

    // The next view does not ask GitHub again, and the account page says so.
    let refreshes = demo_github(&app).knobs().calls("refresh");
    let body = app.get_page("/repos", 200).await;
    assert!(body.contains("Reconnect GitHub"));
    assert_eq!(demo_github(&app).knobs().calls("refresh"), refreshes);
    let account = app.get_page("/account", 200).await;
    assert!(account.contains("Needs reconnect"), "{account}");
}

#[tokio::test]
async fn refresh_now_on_the_account_page_replaces_a_valid_token() {
    let app = spawn_app().await;
    let (user_id, old) = ada_with_github(&app, false).await;
    let response = app.press("/account/github/refresh").await;
    assert_eq!(trilogin_testing::location(&response), "/account");
    let page = app.get_page("/account", 200).await;
    assert!(
        page.contains("Your GitHub access token was refreshed."),
        "{page}"
    );
    assert_eq!(demo_github(&app).knobs().calls("refresh"), 1);
    let row = stored(&app, user_id);
    assert_ne!(row.token.access_token, old.access_token);
    assert!(row.refreshed_at.is_some());
}

#[tokio::test]
async fn refresh_now_without_the_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (user_id, old) = ada_with_github(&app, false).await;
    let response = app
        .post_form("/account/github/refresh", &[("csrf_token", "forged")])
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(demo_github(&app).knobs().calls("refresh"), 0);
    assert_eq!(stored(&app, user_id).token.access_token, old.access_token);
}
