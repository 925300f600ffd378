//! The timeline, repositories and profile pages after a real login at the
//! demo providers: what the person sees (escaped), paging, GitHub's ETags
//! and rate limit, provider failures, and disconnecting.

use trilogin_accounts::db::connections::{NewConnection, NewToken};
use trilogin_accounts::{Provider, UserId};

use crate::journey::login_via_demo;
use crate::refresh::{ada_with_github, demo_github};
use trilogin_oauth::secret::AccessToken;
use trilogin_testing::{TestApp, location, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_repositories_page_shows_github_data_escaped_with_paging_and_budget() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    let body = app.get_page("/repos", 200).await;
    let mut all = body.clone();
    for page in 2..=4 {
        all.push_str(&app.get_page(&format!("/repos?page={page}"), 200).await);
    }
    assert!(
        all.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
        "{all}"
    );
    assert!(!all.contains("<script>alert(1)"), "raw HTML from GitHub");
    assert_eq!(body.matches(r#"class="card repo""#).count(), 10);
    assert!(body.contains(r#"href="/repos?page=2" rel="next">Older</a>"#));
    assert!(body.contains("requests left until"), "{body}");
    assert!(body.contains("<time datetime="));
    // Every repository shows its stars, counted in words.
    let counts: Vec<&str> = all
        .split("<span>")
        .filter_map(|s| s.split_once(" star").map(|(n, _)| n))
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert_eq!(counts.len(), 34, "{all}");
    assert!(!all.contains("<span>1 stars</span>"), "{all}");

    let last = app.get_page("/repos?page=4", 200).await;
    assert_eq!(last.matches(r#"class="card repo""#).count(), 4);
    assert!(last.contains(r#"href="/repos?page=3" rel="prev">Newer</a>"#));
    assert!(!last.contains(r#"rel="next""#));
}

#[tokio::test]
async fn a_second_view_of_the_repositories_is_a_conditional_request_that_costs_no_quota() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    let first = app.get_page("/repos", 200).await;
    let budget = |page: &str| {
        let start = page.find("GitHub API: ").unwrap() + "GitHub API: ".len();
        page[start..]
            .split(' ')
            .next()
            .unwrap()
            .parse::<u32>()
            .unwrap()
    };
    let before = budget(&first);
    assert!(!first.contains("no request spent"));

    let second = app.get_page("/repos", 200).await;
    assert!(
        second.contains("unchanged since your last visit, no request spent"),
        "{second}"
    );
    assert_eq!(budget(&second), before, "a 304 costs no quota");
    assert_eq!(
        second.matches(r#"class="card repo""#).count(),
        10,
        "the cached page is shown"
    );
    assert_eq!(demo_github(&app).knobs().calls("repos"), 2);
}

#[tokio::test]
async fn a_spent_rate_limit_shows_when_to_try_again() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    demo_github(&app).set_rate_limit_remaining(0);
    let body = app.get_page("/repos", 200).await;
    assert!(body.contains("GitHub's rate limit is used up"), "{body}");
    let at = body.find("Please try again at ").unwrap() + "Please try again at ".len();
    let clock = &body[at..at + 9];
    assert!(
        clock.as_bytes()[2] == b':' && clock.ends_with(" UTC"),
        "HH:MM UTC, not {clock}"
    );
    assert!(body.contains(r#"href="/repos">Try again</a>"#));

    // Until the reset, asking again would only be refused again: GitHub
    // is not called.
    let calls = demo_github(&app).knobs().calls("repos");
    let again = app.get_page("/repos", 200).await;
    assert!(again.contains("GitHub's rate limit is used up"), "{again}");
    assert_eq!(demo_github(&app).knobs().calls("repos"), calls);
}

#[tokio::test]
async fn after_the_last_call_of_the_hour_github_is_not_called_until_the_reset() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    demo_github(&app).set_rate_limit_remaining(1);
    let last = app.get_page("/repos", 200).await;
    assert!(
        last.contains(r#"class="card repo""#),
        "the last call is answered: {last}"
    );
    let calls = demo_github(&app).knobs().calls("repos");
    let next = app.get_page("/repos?page=2", 200).await;
    assert!(next.contains("GitHub's rate limit is used up"), "{next}");
    assert!(next.contains("Please try again at "), "{next}");
    assert_eq!(
        demo_github(&app).knobs().calls("repos"),
        calls,
        "no call is spent on a certain refusal"
    );
}

#[tokio::test]
async fn a_secondary_rate_limit_is_waited_out_for_its_retry_after() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    demo_github(&app).impose_secondary_rate_limit(300);
    for attempt in ["refused", "not sent"] {
        let repos = app.get_page("/repos", 200).await;
        assert!(
            repos.contains("GitHub's rate limit is used up"),
            "{attempt}: {repos}"
        );
    }
    assert_eq!(
        demo_github(&app).knobs().calls("repos"),
        1,
        "one refused call, then none until Retry-After"
    );
}

#[tokio::test]
async fn the_timeline_shows_tweets_escaped_with_newlines_and_older_paging() {
    let app = spawn_app().await;
    login_via_demo(&app, "twitter", "zoe").await;
    let body = app.get_page("/timeline", 200).await;
    assert!(
        body.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2F;script&gt;"),
        "{body}"
    );
    assert!(!body.contains("<script>alert"), "raw HTML from Twitter");
    assert!(!body.contains("<img src=x onerror"));
    let multiline = body
        .split(r#"<p class="tweet-text">"#)
        .skip(1)
        .any(|tweet| tweet.split("</p>").next().unwrap().contains('\n'));
    assert!(multiline, "newlines are kept in the text: {body}");
    assert!(body.contains("@zoe_om"));
    let older = body
        .find(r#"href="/timeline?max_id="#)
        .expect("an Older link");
    let max_id: String = body[older + r#"href="/timeline?max_id="#.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let page = app
        .get_page(&format!("/timeline?max_id={max_id}"), 200)
        .await;
    assert!(page.contains(r#"href="/timeline">Newest</a>"#));
    assert!(page.contains(r#"class="card tweet""#) || page.contains("No older tweets"));
}

#[tokio::test]
async fn the_timeline_links_the_urls_of_tweets_and_nothing_else() {
    let app = spawn_app().await;
    login_via_demo(&app, "twitter", "zoe").await;
    let mut all = String::new();
    let mut path = "/timeline".to_owned();
    loop {
        let page = app.get_page(&path, 200).await;
        all.push_str(&page);
        let Some(at) = page.find(r#"href="/timeline?max_id="#) else {
            break;
        };
        let max_id: String = page[at + r#"href="/timeline?max_id="#.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        path = format!("/timeline?max_id={max_id}");
    }
    // Tera escapes `/` and `&` inside the attribute and the text alike.
    for (href, shown) in [
        (
            "https:&#x2F;&#x2F;example.com&#x2F;notes",
            "example.com&#x2F;notes",
        ),
        (
            "https:&#x2F;&#x2F;example.net&#x2F;blog&#x2F;escaping?ref=twitter&amp;utm_source=demo",
            "example.net&#x2F;blog&#x2F;escaping?ref=twitter&amp;utm_source=demo",
        ),
        (
            "https:&#x2F;&#x2F;example.net&#x2F;a_(b)",
            "example.net&#x2F;a_(b)",
        ),
    ] {
        let anchor = format!(r#"<a href="{href}" rel="noopener noreferrer">{shown}</a>"#);
        assert!(all.contains(&anchor), "no {anchor} in:\n{all}");
    }
    assert!(
        all.contains(r#"example.net&#x2F;end</a>."#),
        "the full stop after a link stays outside it"
    );
    let tweet_anchors = all
        .split(r#"<p class="tweet-text">"#)
        .skip(1)
        .flat_map(|tweet| {
            tweet
                .split("</p>")
                .next()
                .unwrap()
                .matches("<a ")
                .collect::<Vec<_>>()
        })
        .count();
    let safe_anchors = all.matches(r#" rel="noopener noreferrer">"#).count();
    assert!(tweet_anchors >= 3, "{tweet_anchors} links in tweets");
    assert_eq!(
        tweet_anchors, safe_anchors,
        "every link in a tweet, and only those, carries rel=noopener noreferrer"
    );
    assert!(!all.contains("<a href=\"javascript"), "{all}");
}

#[tokio::test]
async fn pages_of_unconnected_providers_offer_to_connect_them() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    let timeline = app.get_page("/timeline", 200).await;
    assert!(
        timeline.contains(r#"href="/login/twitter">Connect Twitter</a>"#),
        "{timeline}"
    );
    let profile = app.get_page("/profile", 200).await;
    assert!(profile.contains(r#"href="/login/google">Connect Google</a>"#));
}

#[tokio::test]
async fn the_profile_shows_userinfo_and_the_id_token_claims_readably() {
    let app = spawn_app().await;
    login_via_demo(&app, "google", "ada").await;
    let body = app.get_page("/profile", 200).await;
    assert!(body.contains("ada@example.com"), "{body}");
    assert!(body.contains(r#"<span class="status status-ok">verified</span>"#));
    for claim in ["iss", "aud", "sub", "iat", "exp"] {
        assert!(
            body.contains(&format!(r#"<th scope="row">{claim}</th>"#)),
            "{claim}"
        );
    }
    assert!(body.contains(" UTC ("), "times rendered readably: {body}");
    assert!(body.contains(trilogin_demo::GOOGLE_CLIENT_ID));
}

#[tokio::test]
async fn an_expired_google_token_is_refreshed_before_the_profile_renders() {
    let app = spawn_app().await;
    login_via_demo(&app, "google", "ada").await;
    let user_id = UserId::new(1);
    let mut stored = app.stored_oauth2(user_id, Provider::Google).unwrap();
    let old = stored.token.clone();
    stored.token.expires_at = Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(1));
    app.save_connection(&NewConnection {
        user_id,
        provider: Provider::Google,
        provider_user_id: &stored.provider_user_id,
        token: NewToken::OAuth2(&stored.token),
    });

    let body = app.get_page("/profile", 200).await;
    assert!(body.contains("ada@example.com"), "{body}");
    let google = app.state.demo.google.as_deref().unwrap();
    assert_eq!(google.knobs().calls("refresh"), 1);
    let row = app.stored_oauth2(user_id, Provider::Google).unwrap();
    assert_ne!(row.token.access_token, old.access_token);
    assert!(row.token.expires_at.unwrap() > time::OffsetDateTime::now_utc());
    assert!(row.refreshed_at.is_some());
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_gets_a_message_and_a_retry_link() {
    let app = spawn_app_with(|config| {
        config.provider_env.insert(
            "GITHUB_API_BASE_URL".into(),
            "http://127.0.0.1:9/api/".into(),
        );
    })
    .await;
    ada_with_github(&app, false).await;
    let response = app.get("/repos?page=2").await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("GitHub could not be reached"), "{body}");
    assert!(body.contains(r#"href="/repos?page=2">Try again</a>"#));
    assert!(!body.contains("127.0.0.1:9"), "no internals on the page");
}

#[tokio::test]
async fn disconnect_revokes_at_github_and_deletes_the_row() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    login_via_demo(&app, "twitter", "ada").await;
    let user_id = UserId::new(1);
    let token = app.stored_oauth2(user_id, Provider::GitHub).unwrap().token;
    let response = app.press("/account/github/disconnect").await;
    assert_eq!(location(&response), "/account");
    let page = app.get_page("/account", 200).await;
    assert!(
        page.contains("GitHub is disconnected: its access was revoked at GitHub"),
        "{page}"
    );
    assert!(page.contains(r#"href="/login/github">Connect GitHub</a>"#));
    assert_eq!(demo_github(&app).knobs().calls("revoke"), 1);
    assert!(app.stored_oauth2(user_id, Provider::GitHub).is_none());
    assert_github_refuses(&app, &token.access_token).await;
}

/// Asserts that demo GitHub no longer accepts `access_token` (revoked).
pub async fn assert_github_refuses(app: &TestApp, access_token: &AccessToken) {
    let at_github = app
        .client
        .get(app.url("/_demo/github/api/user"))
        .bearer_auth(access_token.secret())
        .send()
        .await
        .unwrap();
    assert_eq!(
        at_github.status(),
        401,
        "the token no longer works at GitHub"
    );
}

#[tokio::test]
async fn disconnect_revokes_at_twitter_and_deletes_the_row() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    login_via_demo(&app, "twitter", "ada").await;
    app.press("/account/twitter/disconnect").await;
    let page = app.get_page("/account", 200).await;
    assert!(page.contains("Twitter is disconnected"), "{page}");
    let twitter = app.state.demo.twitter.as_deref().unwrap();
    assert_eq!(twitter.knobs().calls("invalidate_token"), 1);
    assert!(
        app.stored_oauth1(UserId::new(1), Provider::Twitter)
            .is_none()
    );
}

#[tokio::test]
async fn the_last_connection_cannot_be_disconnected() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    let response = app.press("/account/github/disconnect").await;
    assert_eq!(location(&response), "/account");
    let page = app.get_page("/account", 200).await;
    assert!(
        page.contains("GitHub is your only connection, so it was not removed"),
        "{page}"
    );
    assert_eq!(demo_github(&app).knobs().calls("revoke"), 0);
    assert!(
        app.stored_oauth2(UserId::new(1), Provider::GitHub)
            .is_some()
    );
}

#[tokio::test]
async fn a_provider_that_answers_too_slowly_gets_a_message_and_a_retry_link() {
    let app = spawn_app_with(|config| {
        config
            .provider_env
            .insert("GITHUB_TIMEOUT".into(), "1".into());
    })
    .await;
    let (user_id, _) = ada_with_github(&app, false).await;
    demo_github(&app)
        .knobs()
        .set_latency(std::time::Duration::from_secs(3));
    let body = app.get_page("/repos", 200).await;
    assert!(body.contains("GitHub did not answer in time"), "{body}");
    assert!(body.contains(r#"href="/repos">Try again</a>"#));
    let row = app.stored_oauth2(user_id, Provider::GitHub).unwrap();
    assert!(
        !row.needs_reconnect,
        "a slow provider is no reason to log in again"
    );
}

#[tokio::test]
async fn a_revoked_twitter_token_asks_for_a_reconnect_and_keeps_the_row() {
    let app = spawn_app().await;
    login_via_demo(&app, "twitter", "ada").await;
    app.state
        .demo
        .twitter
        .as_deref()
        .unwrap()
        .revoke_all_tokens();
    let body = app.get_page("/timeline", 200).await;
    assert!(
        body.contains(r#"href="/login/twitter">Reconnect Twitter</a>"#),
        "{body}"
    );
    let row = app
        .stored_oauth1(UserId::new(1), Provider::Twitter)
        .expect("the Twitter row is kept");
    assert!(row.needs_reconnect);
    let home = app.get_page("/", 200).await;
    assert!(home.contains("Needs a new login"), "{home}");
}

#[tokio::test]
async fn google_refresh_now_and_disconnect_use_its_token_and_revocation_endpoints() {
    let app = spawn_app().await;
    login_via_demo(&app, "github", "ada").await;
    login_via_demo(&app, "google", "ada").await;
    let google = app.state.demo.google.as_deref().unwrap();
    let before = app.stored_oauth2(UserId::new(1), Provider::Google).unwrap();
    app.press("/account/google/refresh").await;
    let page = app.get_page("/account", 200).await;
    assert!(
        page.contains("Your Google access token was refreshed."),
        "{page}"
    );
    assert_eq!(google.knobs().calls("refresh"), 1);
    let after = app.stored_oauth2(UserId::new(1), Provider::Google).unwrap();
    assert_ne!(after.token.access_token, before.token.access_token);

    app.press("/account/google/disconnect").await;
    let page = app.get_page("/account", 200).await;
    assert!(
        page.contains("Google is disconnected: its access was revoked at Google"),
        "{page}"
    );
    assert_eq!(google.knobs().calls("revoke"), 1);
    assert!(
        app.stored_oauth2(UserId::new(1), Provider::Google)
            .is_none()
    );
}
