//! The dashboard and the account page: what a logged-in person sees about
//! their connections, with the data seeded straight into the database.

use trilogin_accounts::db::connections::{self, NewConnection, NewToken};
use trilogin_accounts::db::models::NewUser;
use trilogin_accounts::db::users::insert_user;
use trilogin_accounts::{Provider, UserId};
use trilogin_oauth::secret::{AccessToken, RefreshToken, TokenSecret};
use trilogin_oauth::{OAuth1Token, OAuth2Token};

use crate::journey::login_via_demo_to;
use trilogin_testing::{TestApp, location, spawn_app};

const HOSTILE: &str = r#"<script>alert("x")</script> & 'friends'"#;

/// A user named `name`, returning their id.
pub fn seed_user(app: &TestApp, name: &str) -> UserId {
    insert_user(
        &mut app.db(),
        &NewUser {
            display_name: name,
            email: Some("ada@example.com"),
            avatar_url: Some("https://avatars.example/ada.png?a=1&b=2"),
        },
    )
    .unwrap()
    .id
}

/// An OAuth 2 token expiring at `expires_at`, with a refresh token.
pub fn oauth2_token(access: &str, expires_at: time::OffsetDateTime) -> OAuth2Token {
    OAuth2Token {
        issued_at: None,
        access_token: AccessToken::new(access),
        token_type: "Bearer".into(),
        refresh_token: Some(RefreshToken::new(format!("{access}-refresh"))),
        expires_at: Some(expires_at),
        scope: Some("read:user user:email".into()),
        id_token: None,
        id_token_claims: None,
        extra: Default::default(),
        dpop_key: None,
    }
}

fn seed_github(app: &TestApp, user_id: UserId) {
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    app.save_connection(&NewConnection {
        user_id,
        provider: Provider::GitHub,
        provider_user_id: "583231",
        token: NewToken::OAuth2(&oauth2_token("gho_seeded", expires)),
    });
}

fn seed_twitter(app: &TestApp, user_id: UserId, screen_name: &str) {
    let token = OAuth1Token {
        oauth_token: AccessToken::new("tw-token"),
        oauth_token_secret: TokenSecret::new("tw-secret"),
        extra: Default::default(),
    };
    app.save_connection(&NewConnection {
        user_id,
        provider: Provider::Twitter,
        provider_user_id: "783214",
        token: NewToken::OAuth1 {
            token: &token,
            screen_name: Some(screen_name),
        },
    });
}

#[tokio::test]
async fn the_dashboard_greets_the_person_and_shows_a_card_per_provider() {
    let app = spawn_app().await;
    let user_id = seed_user(&app, HOSTILE);
    seed_github(&app, user_id);
    app.plant_logged_in_session(user_id).await;

    let body = app.get_page("/", 200).await;
    assert!(!body.contains("<script>alert"), "raw name in {body}");
    assert!(
        body.contains(
            "&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2F;script&gt; &amp; &#x27;friends&#x27;"
        ),
        "{body}"
    );
    assert!(body.contains(r#"alt="Profile picture of &lt;script&gt;"#));
    assert!(body.contains("ada@example.com"));
    assert!(
        body.contains(r#"href="/repos""#),
        "GitHub card links its page"
    );
    assert!(body.contains("Connected as <span class=\"identity\">583231</span>"));
    assert!(body.contains(r#"href="/login/twitter">Connect Twitter</a>"#));
    assert!(body.contains(r#"href="/login/google">Connect Google</a>"#));
    assert!(
        !body.contains("Log in with GitHub"),
        "no login buttons when logged in"
    );
}

#[tokio::test]
async fn a_session_of_a_deleted_account_shows_the_login_page_again() {
    let app = spawn_app().await;
    app.plant_logged_in_session(UserId::new(4242)).await;
    let body = app.get_page("/", 200).await;
    assert!(body.contains("Log in with GitHub"), "{body}");
    assert!(!body.contains("Hello,"), "{body}");
}

#[tokio::test]
async fn pages_that_need_a_login_send_strangers_home_with_a_message_and_the_way_back() {
    let app = spawn_app().await;
    for (path, next) in [
        ("/account", "%2Faccount"),
        ("/repos", "%2Frepos"),
        ("/timeline", "%2Ftimeline"),
        ("/profile", "%2Fprofile"),
        ("/timeline?max_id=7", "%2Ftimeline%3Fmax_id%3D7"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        let home = location(&response);
        assert_eq!(home, format!("/?next={next}"), "{path}");
        let page = app.get_page(&home, 200).await;
        assert!(page.contains("Please log in first."), "{path}: {page}");
        assert!(
            page.contains(&format!(r#"href="/login/github?next={next}""#)),
            "{path}: {page}"
        );
    }
}

#[tokio::test]
async fn logging_in_from_a_page_that_needed_it_ends_on_that_page() {
    let app = spawn_app().await;
    let home = location(&app.get("/repos").await);
    let page = app.get_page(&home, 200).await;
    let login = "/login/github?next=%2Frepos";
    assert!(page.contains(&format!(r#"href="{login}""#)), "{page}");
    assert_eq!(login_via_demo_to(&app, login, "ada").await, "/repos");
    let repos = app.get_page("/repos", 200).await;
    assert!(repos.contains(r#"class="card repo""#), "{repos}");
}

#[tokio::test]
async fn a_home_page_never_carries_a_next_of_another_site_into_its_log_in_links() {
    let app = spawn_app().await;
    for next in ["%2F%2Fevil.example", "https%3A%2F%2Fevil.example%2F", "%2F"] {
        let page = app.get_page(&format!("/?next={next}"), 200).await;
        assert!(page.contains(r#"href="/login/github""#), "{next}: {page}");
        assert!(!page.contains("evil"), "{next}: {page}");
    }
}

#[tokio::test]
async fn a_form_posted_without_a_login_goes_home_without_a_way_back() {
    let app = spawn_app().await;
    let response = app
        .post_form("/account/github/refresh", &[("csrf_token", "x")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/");
}

#[tokio::test]
async fn the_account_page_shows_each_connection_with_its_status() {
    let app = spawn_app().await;
    let user_id = seed_user(&app, "Ada");
    seed_github(&app, user_id);
    seed_twitter(&app, user_id, "ada<b>");
    connections::mark_needs_reconnect(&mut app.db(), user_id, Provider::GitHub).unwrap();
    app.plant_logged_in_session(user_id).await;

    let response = app.get("/account").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = response.text().await.unwrap();
    assert!(body.contains("@ada&lt;b&gt; (783214)"), "{body}");
    assert!(body.contains("<code>read:user</code> <code>user:email</code>"));
    assert!(body.contains("Needs reconnect: GitHub refused the saved access"));
    assert!(body.contains(r#"href="/login/github">Reconnect GitHub</a>"#));
    assert!(
        !body.contains(r#"action="/account/github/refresh""#),
        "no refresh for a connection that needs a new login"
    );
    assert!(body.contains(r#"href="/account/twitter/disconnect""#));
    assert!(body.contains("Never: Twitter gives no refresh token"));
    assert!(body.contains(r#"href="/login/google">Connect Google</a>"#));
    assert!(body.contains(r#"name="csrf_token""#));
    assert!(!body.contains("gho_seeded"), "tokens never reach a page");
}

#[tokio::test]
async fn the_only_connection_offers_no_disconnect_and_says_why() {
    let app = spawn_app().await;
    let user_id = seed_user(&app, "Ada");
    seed_github(&app, user_id);
    app.plant_logged_in_session(user_id).await;

    let body = app.get_page("/account", 200).await;
    assert!(
        body.contains(r#"action="/account/github/refresh""#),
        "{body}"
    );
    assert!(!body.contains(r#"href="/account/github/disconnect""#));
    assert!(body.contains("This is your only connection, so it cannot be removed"));
    assert!(body.contains("(in 60 minutes)") || body.contains("(in 59 minutes)"));
}

#[tokio::test]
async fn connections_are_named_by_handle_or_email_never_by_raw_id() {
    let app = spawn_app().await;
    for provider in ["twitter", "github", "google"] {
        crate::journey::login_via_demo(&app, provider, "ada").await;
    }

    let dashboard = app.get_page("/", 200).await;
    assert!(dashboard.contains("@ada_analytical"), "{dashboard}");
    assert!(dashboard.contains("@ada-lovelace"), "{dashboard}");
    assert!(dashboard.contains("ada@example.com"), "{dashboard}");
    assert!(!dashboard.contains("Connected as 1815001"), "{dashboard}");

    let account = app.get_page("/account", 200).await;
    assert!(account.contains("@ada-lovelace (1815001)"), "{account}");
    assert!(
        account.contains("ada@example.com (108123456789012345671)"),
        "{account}"
    );
}

#[tokio::test]
async fn disconnecting_asks_first_and_says_what_will_be_revoked() {
    let app = spawn_app().await;
    let user_id = seed_user(&app, "Ada");
    seed_github(&app, user_id);
    seed_twitter(&app, user_id, "ada");
    app.plant_logged_in_session(user_id).await;

    for (provider, revoked) in [
        ("github", "authorization is revoked at GitHub"),
        ("twitter", "invalidated at Twitter"),
    ] {
        let page = app
            .get_page(&format!("/account/{provider}/disconnect"), 200)
            .await;
        assert!(page.contains(revoked), "{provider}: {page}");
        assert!(
            page.contains(&escaped_attr(
                "action",
                &format!("/account/{provider}/disconnect")
            )),
            "{provider}: {page}"
        );
        assert!(
            page.contains(&format!("{}>Cancel<", escaped_attr("href", "/account"))),
            "{page}"
        );
    }
    // Asking changed nothing.
    assert!(app.stored_oauth2(user_id, Provider::GitHub).is_some());
    assert!(app.stored_oauth1(user_id, Provider::Twitter).is_some());

    let page = app.get_page("/account/google/disconnect", 200).await;
    assert!(page.contains("Google is not connected"), "{page}");
    assert!(!page.contains("<form method=\"post\""), "{page}");
    app.get_page("/account/myspace/disconnect", 404).await;
}

#[tokio::test]
async fn the_disconnect_page_of_the_last_connection_offers_no_button() {
    let app = spawn_app().await;
    let user_id = seed_user(&app, "Ada");
    seed_github(&app, user_id);
    app.plant_logged_in_session(user_id).await;
    let page = app.get_page("/account/github/disconnect", 200).await;
    assert!(page.contains("your only connection"), "{page}");
    assert!(!page.contains("<form method=\"post\""), "{page}");
}

/// `name="value"` as Tera writes it: autoescaping turns `/` into `&#x2F;`.
fn escaped_attr(name: &str, value: &str) -> String {
    format!(r#"{name}="{}""#, value.replace('/', "&#x2F;"))
}
