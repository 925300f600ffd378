//! The API: timelines, paging, ids above 2^53, invalidation and revocation.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

const TWO_TO_THE_53: u64 = 1 << 53;

async fn timeline(
    server: &TestServer,
    account: &AccessToken,
    which: &str,
    params: &[(&str, &str)],
) -> Vec<Value> {
    let path = format!("1.1/statuses/{which}.json");
    let response = api_get(server, &account.signer(), &path, params).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn ids(tweets: &[Value]) -> Vec<u64> {
    tweets
        .iter()
        .map(|t| t["id_str"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn user_timeline_pages_with_max_id_and_since_id() {
    let server = spawn().await;
    let account = login(&server, "grace").await;

    let first = timeline(&server, &account, "user_timeline", &[("count", "10")]).await;
    assert_eq!(first.len(), 10);
    let first_ids = ids(&first);
    assert!(first_ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(
        first
            .iter()
            .all(|t| t["user"]["screen_name"] == "amazing_grace")
    );

    let oldest = first_ids[9];
    let max_id = (oldest - 1).to_string();
    let second = timeline(
        &server,
        &account,
        "user_timeline",
        &[("count", "10"), ("max_id", &max_id)],
    )
    .await;
    let second_ids = ids(&second);
    assert_eq!(second_ids.len(), 10);
    assert!(second_ids[0] < oldest);

    let since = first_ids[3].to_string();
    let newer = timeline(&server, &account, "user_timeline", &[("since_id", &since)]).await;
    assert_eq!(ids(&newer), first_ids[..3]);

    let mut everything = Vec::new();
    let mut max_id: Option<String> = None;
    loop {
        let mut params = vec![("count", "25")];
        if let Some(max) = &max_id {
            params.push(("max_id", max));
        }
        let page = timeline(&server, &account, "user_timeline", &params).await;
        let Some(last) = ids(&page).last().copied() else {
            break;
        };
        everything.extend(ids(&page));
        max_id = Some((last - 1).to_string());
    }
    assert!(everything.len() >= 50, "{} tweets", everything.len());
    let unique: std::collections::HashSet<_> = everything.iter().collect();
    assert_eq!(unique.len(), everything.len());

    let bad = api_get(
        &server,
        &account.signer(),
        "1.1/statuses/user_timeline.json",
        &[("max_id", "yesterday")],
    )
    .await;
    assert_twitter_error(bad, StatusCode::BAD_REQUEST, 195).await;
}

#[tokio::test]
async fn tweet_ids_above_2_53_also_travel_as_id_str_in_twitters_shape() {
    let server = spawn().await;
    let account = login(&server, "zoe").await;
    let response = api_get(
        &server,
        &account.signer(),
        "1.1/statuses/user_timeline.json",
        &[("count", "5"), ("tweet_mode", "extended")],
    )
    .await;
    let body = response.text().await.unwrap();
    let tweets: Vec<Value> = serde_json::from_str(&body).unwrap();
    for tweet in &tweets {
        let id_str = tweet["id_str"].as_str().unwrap();
        let id: u64 = id_str.parse().unwrap();
        assert!(id > TWO_TO_THE_53);
        // The number itself is exact in the JSON text, not rounded.
        assert!(body.contains(&format!("\"id\":{id_str},")));
        assert_eq!(tweet["user"]["id_str"], "1457812345678901251");
        let created_at = tweet["created_at"].as_str().unwrap();
        let parsed = time::PrimitiveDateTime::parse(
            created_at,
            time::macros::format_description!(
                "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] +0000 [year]"
            ),
        );
        assert!(parsed.is_ok(), "{created_at}");
        for field in ["entities", "retweet_count", "favorite_count", "full_text"] {
            assert!(tweet.get(field).is_some(), "{field} in {tweet}");
        }
        assert!(
            tweet["user"]["profile_image_url_https"]
                .as_str()
                .unwrap()
                .ends_with("/_demo/avatars/zoe.svg")
        );
    }
    let texts: Vec<&str> = tweets
        .iter()
        .map(|t| t["full_text"].as_str().unwrap())
        .collect();
    // Twitter sends `&`, `<` and `>` as entities, and nothing else encoded.
    assert!(
        texts
            .iter()
            .any(|t| t.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt;"))
    );
    assert!(texts.iter().any(|t| t.contains("&amp;amp;")));
    assert!(texts.iter().all(|t| !t.contains('<') && !t.contains('>')));
}

#[tokio::test]
async fn home_timeline_mixes_the_three_people_newest_first() {
    let server = spawn().await;
    let account = login(&server, "ada").await;
    let tweets = timeline(&server, &account, "home_timeline", &[("count", "30")]).await;
    assert_eq!(tweets.len(), 30);
    let authors: std::collections::HashSet<&str> = tweets
        .iter()
        .map(|t| t["user"]["screen_name"].as_str().unwrap())
        .collect();
    assert_eq!(authors.len(), 3);
    assert!(ids(&tweets).windows(2).all(|w| w[0] > w[1]));
}

#[tokio::test]
async fn user_timeline_of_an_unknown_user_is_code_34() {
    let server = spawn().await;
    let account = login(&server, "ada").await;
    let response = api_get(
        &server,
        &account.signer(),
        "1.1/statuses/user_timeline.json",
        &[("screen_name", "nobody_here")],
    )
    .await;
    assert_twitter_error(response, StatusCode::NOT_FOUND, 34).await;
}

#[tokio::test]
async fn an_invalidated_token_is_refused_with_code_89() {
    let server = spawn().await;
    let account = login(&server, "ada").await;
    let response = invalidate(&server, &account).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["access_token"], account.token.as_str());

    let path = "1.1/account/verify_credentials.json";
    let response = api_get(&server, &account.signer(), path, &[]).await;
    assert_twitter_error(response, StatusCode::UNAUTHORIZED, 89).await;
    assert_eq!(server.twitter().knobs().calls("invalidate_token"), 1);
}

#[tokio::test]
async fn revoking_every_token_makes_each_one_code_89() {
    let server = spawn().await;
    let ada = login(&server, "ada").await;
    let grace = login(&server, "grace").await;
    server.twitter().revoke_all_tokens();
    for account in [&ada, &grace] {
        let response = api_get(
            &server,
            &account.signer(),
            "1.1/statuses/home_timeline.json",
            &[],
        )
        .await;
        assert_twitter_error(response, StatusCode::UNAUTHORIZED, 89).await;
    }
    // Logging in again issues a new token that works.
    let again = login(&server, "ada").await;
    assert_ne!(again.token, ada.token);
    let response = api_get(
        &server,
        &again.signer(),
        "1.1/statuses/home_timeline.json",
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_second_login_of_the_same_person_gets_the_same_token_as_on_twitter() {
    let server = spawn().await;
    let first = login(&server, "grace").await;
    let second = login(&server, "grace").await;
    assert_eq!(first.token, second.token);
    assert_eq!(first.user_id, second.user_id);
    assert_eq!(second.screen_name, "amazing_grace");
}

#[tokio::test]
async fn every_endpoint_is_counted_and_slowed_by_the_knobs() {
    let server = spawn().await;
    let account = login(&server, "ada").await;
    timeline(&server, &account, "home_timeline", &[]).await;
    timeline(&server, &account, "user_timeline", &[]).await;
    api_get(
        &server,
        &account.signer(),
        "1.1/account/verify_credentials.json",
        &[],
    )
    .await;
    let knobs = server.twitter().knobs();
    for endpoint in [
        "request_token",
        "access_token",
        "verify_credentials",
        "user_timeline",
        "home_timeline",
    ] {
        assert_eq!(knobs.calls(endpoint), 1, "{endpoint}");
    }
    assert_eq!(knobs.calls("authorize"), 2, "page and form");

    knobs.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    timeline(&server, &account, "home_timeline", &[]).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
}
