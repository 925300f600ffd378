//! The pages of demo Twitter: the profile and Tweet of every person and
//! Tweet the API answers with, and the not-found answers.

use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::support::*;

/// The `<title>` of a page, after checking it is an HTML page.
async fn html_title(response: Response) -> String {
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.unwrap();
    let start = html.find("<title>").expect("a title") + "<title>".len();
    let end = html[start..].find("</title>").unwrap() + start;
    html[start..end].to_owned()
}

async fn get(server: &TestServer, url: &str) -> Response {
    server.client.get(url).send().await.unwrap()
}

#[tokio::test]
async fn the_people_and_tweets_the_api_answers_with_have_pages_that_name_them() {
    let server = spawn().await;
    let account = login(&server, "ada").await;
    let signer = account.signer();
    let timeline: Value = api_get(&server, &signer, "1.1/statuses/user_timeline.json", &[])
        .await
        .json()
        .await
        .unwrap();
    let tweet = &timeline[0];
    let screen_name = tweet["user"]["screen_name"].as_str().unwrap();

    // Twitter's addresses of a profile and a Tweet.
    let profile = get(&server, &server.url(screen_name)).await;
    assert_eq!(profile.status(), StatusCode::OK);
    assert_eq!(
        html_title(profile).await,
        "Ada Lovelace (@ada_analytical) · Demo Twitter"
    );
    let status_url = server.url(&format!(
        "{screen_name}/status/{}",
        tweet["id_str"].as_str().unwrap()
    ));
    let status = get(&server, &status_url).await;
    assert_eq!(status.status(), StatusCode::OK);
    let title = html_title(status).await;
    assert!(title.starts_with("Ada Lovelace on Twitter: “"), "{title}");

    let avatar = get(
        &server,
        tweet["user"]["profile_image_url_https"].as_str().unwrap(),
    )
    .await;
    assert_eq!(avatar.status(), StatusCode::OK);
    assert_eq!(avatar.headers()["content-type"], "image/svg+xml");
    server.stop().await;
}

#[tokio::test]
async fn a_tweet_page_escapes_the_text_and_links_its_author() {
    let server = spawn().await;
    let account = login(&server, "zoe").await;
    let timeline: Value = api_get(
        &server,
        &account.signer(),
        "1.1/statuses/user_timeline.json",
        &[("count", "200"), ("tweet_mode", "extended")],
    )
    .await
    .json()
    .await
    .unwrap();
    let hostile = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            t["full_text"]
                .as_str()
                .is_some_and(|text| text.contains("&lt;"))
        })
        .expect("a Tweet with markup in it");
    let url = server.url(&format!(
        "zoe_om/status/{}",
        hostile["id_str"].as_str().unwrap()
    ));
    let html = get(&server, &url).await.text().await.unwrap();
    assert!(html.contains("&lt;"));
    assert!(!html.contains("<script>") && !html.contains("<b>"));
    // Tera writes `/` as `&#x2F;` in attribute values, which browsers decode.
    let author = server.url("zoe_om").replace('/', "&#x2F;");
    assert!(html.contains(&format!("<a href=\"{author}\">")), "{html}");
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_page_is_a_titled_404_page_and_an_unknown_api_path_twitters_json() {
    let server = spawn().await;
    for path in [
        "nobody_here",
        "ada_analytical/status/1",
        "zoe_om/status/not-a-number",
        "a/b/c/d",
    ] {
        let response = get(&server, &server.url(path)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            html_title(response).await,
            "Sorry, that page doesn’t exist! · Demo Twitter"
        );
    }
    let response = get(&server, &server.url("1.1/statuses/nothing.json")).await;
    assert_twitter_error(response, StatusCode::NOT_FOUND, 34).await;
    server.stop().await;
}
