//! A consent form sent twice, as a double-click on "Authorize app" sends
//! it, and the page for a request token that can no longer be answered.

use reqwest::StatusCode;

use crate::support::*;

#[tokio::test]
async fn the_same_decision_sent_twice_gets_the_same_redirect_and_the_verifier_works_once() {
    let server = spawn().await;
    let request = request_token(&server).await;
    let (_, consent_id) = consent_page(&server, &request.token).await;

    let first = decide(&server, &request.token, &consent_id, "authorize", "grace").await;
    let second = decide(&server, &request.token, &consent_id, "authorize", "grace").await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(first.headers()["location"], second.headers()["location"]);
    let params = callback_params(&server, &first);
    let verifier = pair(&params, "oauth_verifier");

    let exchanged = exchange(&server, &request, verifier).await;
    assert_eq!(exchanged.status(), StatusCode::OK);
    let pairs = form_pairs(&exchanged.text().await.unwrap());
    assert_eq!(pair(&pairs, "screen_name"), "amazing_grace");
    let again = exchange(&server, &request, verifier).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn another_decision_on_an_answered_form_is_refused() {
    let server = spawn().await;
    let request = request_token(&server).await;
    let (_, consent_id) = consent_page(&server, &request.token).await;
    let first = decide(&server, &request.token, &consent_id, "authorize", "grace").await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);

    let other_person = decide(&server, &request.token, &consent_id, "authorize", "ada").await;
    assert_eq!(other_person.status(), StatusCode::BAD_REQUEST);
    assert!(other_person.text().await.unwrap().contains("Whoa there!"));
    let deny = decide(&server, &request.token, &consent_id, "deny", "").await;
    assert_eq!(deny.status(), StatusCode::BAD_REQUEST);
    server.stop().await;
}

#[tokio::test]
async fn the_page_for_an_unusable_request_token_links_back_to_the_site() {
    let server = spawn().await;
    let response = decide(
        &server,
        "made-up-token",
        "made-up-consent",
        "authorize",
        "ada",
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains("Whoa there!"));
    // Tera writes `/` as `&#x2F;` in attribute values, which browsers decode.
    let home = format!("{}/", server.app_url).replace('/', "&#x2F;");
    assert!(
        html.contains(&format!("<a href=\"{home}\">Back to the site</a>")),
        "{html}"
    );
    server.stop().await;
}
