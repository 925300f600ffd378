//! The three legs through the consent form, and each way they are refused.

use reqwest::StatusCode;
use trilogin_demo::knobs::Fault;

use crate::support::*;

#[tokio::test]
async fn a_person_logs_in_through_the_consent_form_and_the_token_reads_their_account() {
    let server = spawn().await;
    let request = request_token(&server).await;

    let (html, consent_id) = consent_page(&server, &request.token).await;
    assert!(html.contains("Demo Twitter — no real account"));
    assert!(html.contains("src=\"/_demo/avatars/grace.svg\""));
    assert!(html.contains("@amazing_grace"));
    assert!(html.contains("href=\"/_demo/twitter/demo-twitter.css\""));
    // Only the consent script, as a file: the site's CSP refuses inline code.
    assert!(!html.contains("<style") && !html.contains("<script>"));
    assert!(html.contains("<script src=\"/_demo/demo.js\" defer></script>"));
    let css = server
        .client
        .get(server.url("demo-twitter.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");

    let response = decide(&server, &request.token, &consent_id, "authorize", "zoe").await;
    let params = callback_params(&server, &response);
    let verifier = pair(&params, "oauth_verifier").to_owned();

    let response = exchange(&server, &request, &verifier).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    let pairs = form_pairs(&response.text().await.unwrap());
    assert_eq!(pair(&pairs, "user_id"), "1457812345678901251");
    assert_eq!(pair(&pairs, "screen_name"), "zoe_om");
    let token = pair(&pairs, "oauth_token");
    assert!(token.starts_with("1457812345678901251-"));
    let signer = Signer::with_token(token, pair(&pairs, "oauth_token_secret"));

    let response = api_get(
        &server,
        &signer,
        "1.1/account/verify_credentials.json",
        &[("include_email", "true")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let user: serde_json::Value = response.json().await.unwrap();
    assert_eq!(user["id_str"], "1457812345678901251");
    assert_eq!(user["screen_name"], "zoe_om");
    assert_eq!(user["name"], "Zoë Østergård-Müller");
    assert_eq!(user["email"], "zoe@example.net");
    assert_eq!(
        user["profile_image_url_https"],
        format!("{}/_demo/avatars/zoe.svg", server.app_url)
    );

    let without_email = api_get(&server, &signer, "1.1/account/verify_credentials.json", &[])
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert!(without_email.get("email").is_none());
}

#[tokio::test]
async fn the_consent_form_needs_the_consent_id_bound_to_its_request_token() {
    let server = spawn().await;
    let first = request_token(&server).await;
    let second = request_token(&server).await;
    let (_, first_consent) = consent_page(&server, &first.token).await;
    let (_, second_consent) = consent_page(&server, &second.token).await;

    let forged = decide(&server, &first.token, "made-up", "authorize", "ada").await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let crossed = decide(&server, &first.token, &second_consent, "authorize", "ada").await;
    assert_eq!(crossed.status(), StatusCode::FORBIDDEN);

    let response = decide(&server, &first.token, &first_consent, "authorize", "ada").await;
    callback_params(&server, &response);
    // The consent id is spent with the decision.
    let again = decide(&server, &first.token, &first_consent, "deny", "ada").await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_consent_page_refuses_an_unknown_request_token_and_escapes_it() {
    let server = spawn().await;
    let response = server
        .client
        .get(server.url("oauth/authorize"))
        .query(&[("oauth_token", "<script>alert(1)</script>")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains("Whoa there!"));
    assert!(!html.contains("<script>"));
}

#[tokio::test]
async fn deny_sends_the_person_back_with_denied_and_ends_the_request_token() {
    let server = spawn().await;
    let request = request_token(&server).await;
    let (_, consent_id) = consent_page(&server, &request.token).await;
    let response = decide(&server, &request.token, &consent_id, "deny", "").await;
    let params = callback_params(&server, &response);
    assert_eq!(params, [("denied".to_owned(), request.token.clone())]);

    let response = exchange(&server, &request, "anything").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.text().await.unwrap(), "Invalid request token.");
}

#[tokio::test]
async fn a_wrong_verifier_is_refused_and_uses_up_the_request_token() {
    let server = spawn().await;
    let (request, verifier) = authorized(&server, "ada").await;
    let response = exchange(&server, &request, "not-the-verifier").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.text().await.unwrap(),
        "Error processing your OAuth request: Invalid oauth_verifier parameter"
    );
    let response = exchange(&server, &request, &verifier).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_exchange_before_consent_is_refused() {
    let server = spawn().await;
    let request = request_token(&server).await;
    let response = exchange(&server, &request, "").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_request_token_can_be_exchanged_only_once() {
    let server = spawn().await;
    let (request, verifier) = authorized(&server, "grace").await;
    assert_eq!(
        exchange(&server, &request, &verifier).await.status(),
        StatusCode::OK
    );
    let again = exchange(&server, &request, &verifier).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(again.text().await.unwrap(), "Invalid request token.");
}

#[tokio::test]
async fn request_token_refuses_any_callback_but_the_registered_one() {
    let server = spawn().await;
    let other = format!("{}/auth/twitter/callback/../../evil", server.app_url);
    for callback in [
        Some("https://evil.example/cb"),
        Some("oob"),
        Some(&other),
        None,
    ] {
        let extra: Vec<(&str, &str)> = callback
            .map(|c| ("oauth_callback", c))
            .into_iter()
            .collect();
        let response = ask_for_request_token(&server, &Signer::consumer(), &[], &extra)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{callback:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains("<error code=\"415\">"), "{body}");
    }
    assert_eq!(server.twitter().knobs().calls("request_token"), 4);
}

#[tokio::test]
async fn an_injected_fault_fails_the_next_access_token_request_only() {
    let server = spawn().await;
    let (request, verifier) = authorized(&server, "ada").await;
    server
        .twitter()
        .knobs()
        .fail_next_token_request(Fault::ServerError);
    let failed = exchange(&server, &request, &verifier).await;
    assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
    // The failure happened before the request token was looked at: it still works.
    assert_eq!(
        exchange(&server, &request, &verifier).await.status(),
        StatusCode::OK
    );
    assert_eq!(server.twitter().knobs().calls("access_token"), 2);

    let (request, verifier) = authorized(&server, "ada").await;
    server
        .twitter()
        .knobs()
        .fail_next_token_request(Fault::InvalidGrant);
    let refused = exchange(&server, &request, &verifier).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.text().await.unwrap(), "Invalid request token.");
}
