//! Links and images whose URL a provider chose: a `javascript:` or `data:`
//! URL from GitHub, Twitter or Google never becomes an `href` or a `src`.
//! A mock server stands in for all three; GitHub's login goes through the
//! real pages, so the avatar it names is the one the dashboard shows.

use serde_json::json;
use trilogin_accounts::db::connections::{self, NewConnection, NewToken};
use trilogin_accounts::{Provider, UserId};
use trilogin_oauth::OAuth1Token;
use trilogin_oauth::secret::{AccessToken, TokenSecret};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::account::oauth2_token;
use trilogin_testing::{TestApp, location, spawn_app_with};

const SCRIPT_URL: &str = "javascript:alert(document.cookie)";
const DATA_PAGE: &str = "data:text/html,<script>alert(1)</script>";
const DATA_IMAGE: &str = "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+";
const GOOD_REPO: &str = "https://github.com/mallory/fine";

/// Every provider configured, with each endpoint the pages use at `mock`.
async fn app_on(mock: &MockServer) -> TestApp {
    let base = mock.uri();
    spawn_app_with(|config| {
        for (key, value) in [
            ("GITHUB_CLIENT_ID", "gh-id".to_owned()),
            ("GITHUB_CLIENT_SECRET", "gh-secret".to_owned()),
            (
                "GITHUB_AUTHORIZE_URL",
                format!("{base}/login/oauth/authorize"),
            ),
            (
                "GITHUB_ACCESS_TOKEN_URL",
                format!("{base}/login/oauth/access_token"),
            ),
            ("GITHUB_API_BASE_URL", format!("{base}/api/")),
            ("TWITTER_CLIENT_ID", "tw-id".to_owned()),
            ("TWITTER_CLIENT_SECRET", "tw-secret".to_owned()),
            ("TWITTER_API_BASE_URL", format!("{base}/1.1/")),
            ("GOOGLE_CLIENT_ID", "g-id".to_owned()),
            ("GOOGLE_CLIENT_SECRET", "g-secret".to_owned()),
            ("GOOGLE_USERINFO_ENDPOINT", format!("{base}/userinfo")),
        ] {
            config.provider_env.insert(key.into(), value);
        }
    })
    .await
}

async fn answer(mock: &MockServer, verb: &str, at: &str, body: serde_json::Value) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(mock)
        .await;
}

fn repo(name: &str, html_url: &str) -> serde_json::Value {
    json!({
        "full_name": format!("mallory/{name}"), "name": name, "html_url": html_url,
        "description": null, "language": "Rust", "stargazers_count": 1,
        "private": false, "fork": false, "updated_at": "2026-11-20T10:00:00Z",
    })
}

/// Logs Mallory in with the mock GitHub, whose `/user` names `avatar_url`.
async fn login_with_github(app: &TestApp, mock: &MockServer, avatar_url: &str) -> UserId {
    answer(
        mock,
        "POST",
        "/login/oauth/access_token",
        json!({"access_token": "gho_mock", "token_type": "bearer", "scope": "read:user,user:email"}),
    )
    .await;
    answer(
        mock,
        "GET",
        "/api/user",
        json!({"id": 4242, "login": "mallory", "name": "Mallory",
               "email": "mallory@example.com", "avatar_url": avatar_url}),
    )
    .await;
    let to_github = location(&app.get("/login/github").await);
    let state = url::Url::parse(&to_github)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == "state")
        .map(|(_, value)| value.into_owned())
        .expect("the authorization request carries a state");
    let done = app
        .get(&format!("/auth/github/callback?code=c0de&state={state}"))
        .await;
    assert_eq!(location(&done), "/", "the login succeeds");
    connections::owner(&mut app.db(), Provider::GitHub, "4242")
        .unwrap()
        .expect("the login made a user")
}

/// Connects Twitter and Google for `user_id` straight in the database.
fn connect_twitter_and_google(app: &TestApp, user_id: UserId) {
    let twitter = OAuth1Token {
        oauth_token: AccessToken::new("tw-token"),
        oauth_token_secret: TokenSecret::new("tw-token-secret"),
        extra: Default::default(),
    };
    app.save_connection(&NewConnection {
        user_id,
        provider: Provider::Twitter,
        provider_user_id: "7",
        token: NewToken::OAuth1 {
            token: &twitter,
            screen_name: Some("mallory"),
        },
    });
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let google = oauth2_token("ya29.mock", expires);
    app.save_connection(&NewConnection {
        user_id,
        provider: Provider::Google,
        provider_user_id: "g-4242",
        token: NewToken::OAuth2(&google),
    });
}

fn assert_no_script_or_data_url(page: &str) {
    for attribute in ["href", "src"] {
        for scheme in ["javascript:", "data:"] {
            let unsafe_attribute = format!(r#"{attribute}="{scheme}"#);
            assert!(
                !page.contains(&unsafe_attribute),
                "{unsafe_attribute} in {page}"
            );
        }
    }
}

#[tokio::test]
async fn provider_urls_that_are_not_http_never_become_links_or_images() {
    let mock = MockServer::start().await;
    let app = app_on(&mock).await;
    let user_id = login_with_github(&app, &mock, DATA_IMAGE).await;
    connect_twitter_and_google(&app, user_id);
    answer(
        &mock,
        "GET",
        "/api/user/repos",
        json!([
            repo("scripted", SCRIPT_URL),
            repo("data-page", DATA_PAGE),
            repo("fine", GOOD_REPO),
        ]),
    )
    .await;
    answer(
        &mock,
        "GET",
        "/1.1/statuses/user_timeline.json",
        json!([{
            "id_str": "1900000000000000001", "full_text": "hello",
            "created_at": "Wed Nov 18 10:00:00 +0000 2026",
            "user": {"name": "Mallory", "screen_name": "mallory",
                     "profile_image_url_https": SCRIPT_URL},
        }]),
    )
    .await;
    answer(
        &mock,
        "GET",
        "/userinfo",
        json!({"sub": "g-4242", "name": "Mallory", "picture": DATA_IMAGE}),
    )
    .await;

    let dashboard = app.get_page("/", 200).await;
    assert!(dashboard.contains("Hello, Mallory"), "{dashboard}");
    assert!(!dashboard.contains(r#"class="avatar""#), "{dashboard}");

    let repos = app.get_page("/repos", 200).await;
    assert_eq!(repos.matches(r#"class="card repo""#).count(), 3, "{repos}");
    // Tera escapes `/` as `&#x2F;`, in attributes too.
    let good_link = format!(
        r#"<a href="{}">mallory&#x2F;fine</a>"#,
        GOOD_REPO.replace('/', "&#x2F;")
    );
    assert!(repos.contains(&good_link), "{repos}");
    assert!(
        repos.contains("mallory&#x2F;scripted"),
        "shown as text: {repos}"
    );

    let timeline = app.get_page("/timeline", 200).await;
    assert!(timeline.contains("hello"), "{timeline}");
    assert!(!timeline.contains("<img"), "{timeline}");

    let profile = app.get_page("/profile", 200).await;
    assert!(profile.contains("Mallory"), "{profile}");
    assert!(!profile.contains("<img"), "{profile}");

    for page in [dashboard, repos, timeline, profile] {
        assert_no_script_or_data_url(&page);
    }
}
