//! Demo GitHub: authorization, token endpoint, API and knobs.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::Value;
use trilogin_demo::knobs::Fault;
use trilogin_demo::{GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET};

use crate::support::{
    self, DemoServer, PLAIN_PKCE, answer, answer_twice,
    assert_answered_consent_refuses_another_decision, assert_expired_page_links_back,
    assert_sent_back_with, consent_as, consent_id, location, param, pkce_pair, refresh_grant,
    start, start_on, status_and_json,
};

const AUTHORIZE: &str = "/_demo/github/login/oauth/authorize";
const TOKEN: &str = "/_demo/github/login/oauth/access_token";

/// An authorization request; `extra` adds or replaces query parameters.
async fn authorize(server: &DemoServer, extra: &[(&str, &str)]) -> reqwest::Response {
    let defaults = [
        ("client_id", GITHUB_CLIENT_ID.to_owned()),
        ("redirect_uri", server.redirect_uri("github")),
        ("scope", "read:user user:email".to_owned()),
        ("state", "st-123".to_owned()),
    ];
    support::authorize(server, AUTHORIZE, &defaults, extra).await
}

/// Opens the consent page with these extra query parameters; returns its HTML.
async fn consent_page(server: &DemoServer, extra: &[(&str, &str)]) -> (StatusCode, String) {
    let response = authorize(server, extra).await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// Runs the consent step for `person`; returns the code.
async fn code_for(server: &DemoServer, person: &str, challenge: Option<&str>) -> String {
    let mut extra = vec![];
    if let Some(challenge) = challenge {
        extra.push(("code_challenge", challenge));
        extra.push(("code_challenge_method", "S256"));
    }
    let page = authorize(server, &extra).await;
    let back = consent_as(server, AUTHORIZE, page, person).await;
    assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
    param(&back, "code").expect("a code")
}

/// Posts to the token endpoint with client_secret_post, asking for JSON.
async fn token_json(server: &DemoServer, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form: Vec<(&str, &str)> = vec![
        ("client_id", GITHUB_CLIENT_ID),
        ("client_secret", GITHUB_CLIENT_SECRET),
    ];
    form.extend_from_slice(fields);
    let request = server
        .client
        .post(server.url(TOKEN))
        .header("Accept", "application/json")
        .form(&form);
    status_and_json(request.send().await.unwrap()).await
}

/// The refresh grant, asking for JSON.
async fn refresh(server: &DemoServer, refresh_token: &str) -> (StatusCode, Value) {
    token_json(server, &refresh_grant(refresh_token)).await
}

async fn exchange(server: &DemoServer, code: &str, verifier: Option<&str>) -> (StatusCode, Value) {
    let mut fields = vec![("code", code)];
    if let Some(verifier) = verifier {
        fields.push(("code_verifier", verifier));
    }
    token_json(server, &fields).await
}

async fn tokens_for(server: &DemoServer, person: &str) -> Value {
    let code = code_for(server, person, None).await;
    let (status, body) = exchange(server, &code, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["access_token"].is_string(), "{body}");
    body
}

async fn api(server: &DemoServer, path: &str, token: &str) -> reqwest::Response {
    server
        .client
        .get(server.url(&format!("/_demo/github/api{path}")))
        .header("Authorization", format!("Bearer {token}"))
        .header("Accept", "application/vnd.github+json")
        .send()
        .await
        .unwrap()
}

/// The status of an API call.
async fn api_status(server: &DemoServer, path: &str, token: &str) -> StatusCode {
    api(server, path, token).await.status()
}

/// Posts `form` to the token endpoint with `client_secret_basic`, as a
/// plain client script does: no `Accept` header.
async fn token_basic(
    server: &DemoServer,
    secret: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    server
        .client
        .post(server.url(TOKEN))
        .basic_auth(GITHUB_CLIENT_ID, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// `GET /user` with `If-None-Match: etag`, the token in GitHub's `token` scheme.
async fn user_if_none_match(server: &DemoServer, access: &str, etag: &str) -> reqwest::Response {
    server
        .client
        .get(server.url("/_demo/github/api/user"))
        .header("Authorization", format!("token {access}"))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_full_login_with_pkce_yields_tokens_that_read_the_user_api() {
    let server = start().await;
    let (verifier, challenge) = pkce_pair();
    let code = code_for(&server, "grace", Some(&challenge)).await;
    let (status, token) = exchange(&server, &code, Some(&verifier)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(token["scope"], "read:user,user:email");
    assert!(token["access_token"].as_str().unwrap().starts_with("ghu_"));
    assert!(token["refresh_token"].as_str().unwrap().starts_with("ghr_"));
    assert_eq!(token["expires_in"], 8 * 3600);
    assert_eq!(token["refresh_token_expires_in"], 180 * 86_400);

    let access = token["access_token"].as_str().unwrap();
    let user = api(&server, "/user", access).await;
    assert_eq!(user.status(), StatusCode::OK);
    let user: Value = user.json().await.unwrap();
    assert_eq!(user["login"], "grace-hopper");
    assert_eq!(user["id"], 1_906_002);
    assert!(user["email"].is_null(), "Grace's e-mail is private");

    let emails: Value = api(&server, "/user/emails", access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails[0]["email"], "grace@example.org");
    assert_eq!(emails[0]["primary"], true);
    assert_eq!(server.github().knobs().calls("token"), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_token_answer_is_form_encoded_unless_json_is_asked_for_and_basic_auth_works() {
    let server = start().await;
    let code = code_for(&server, "ada", None).await;
    let redirect_uri = server.redirect_uri("github");
    let response = token_basic(
        &server,
        GITHUB_CLIENT_SECRET,
        &[("code", &code), ("redirect_uri", &redirect_uri)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(&response, "content-type").starts_with("application/x-www-form-urlencoded"));
    let body = response.text().await.unwrap();
    let fields: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap();
    assert!(fields["access_token"].starts_with("ghu_"));
    assert_eq!(fields["token_type"], "bearer");
    server.stop().await;
}

#[tokio::test]
async fn wrong_client_credentials_are_refused_with_status_200_as_github_does() {
    let server = start().await;
    let code = code_for(&server, "ada", None).await;
    let request = server
        .client
        .post(server.url(TOKEN))
        .header("Accept", "application/json")
        .form(&[
            ("client_id", GITHUB_CLIENT_ID),
            ("client_secret", "wrong"),
            ("code", &code),
        ]);
    let (status, body) = status_and_json(request.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["error"], "incorrect_client_credentials");
    assert!(body.get("access_token").is_none());
    // The failed client authentication did not spend the code.
    let (_, body) = exchange(&server, &code, None).await;
    assert!(body["access_token"].is_string());
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_redirect_uri_at_authorization_goes_back_to_the_registered_callback() {
    let server = start().await;
    let response = authorize(
        &server,
        &[
            ("redirect_uri", "https://evil.example/steal"),
            ("state", "st-9"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = location(&response);
    assert!(back.as_str().starts_with(&server.redirect_uri("github")));
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("redirect_uri_mismatch")
    );
    assert_eq!(param(&back, "state").as_deref(), Some("st-9"));
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_client_gets_a_not_found_page_and_no_redirect() {
    let server = start().await;
    let (status, html) = consent_page(&server, &[("client_id", "someone-else")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("consent_id"));
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_redirect_uri_at_the_token_endpoint_is_refused() {
    let server = start().await;
    let code = code_for(&server, "ada", None).await;
    let (status, body) = token_json(
        &server,
        &[
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:1/other"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["error"], "redirect_uri_mismatch");
    server.stop().await;
}

#[tokio::test]
async fn a_code_works_once_and_its_replay_revokes_the_tokens_it_gave() {
    let server = start().await;
    let code = code_for(&server, "ada", None).await;
    let (_, first) = exchange(&server, &code, None).await;
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(api_status(&server, "/user", access).await, StatusCode::OK);

    let (status, replay) = exchange(&server, &code, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replay["error"], "bad_verification_code");
    assert_eq!(
        api_status(&server, "/user", access).await,
        StatusCode::UNAUTHORIZED
    );
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_or_missing_pkce_verifier_is_refused() {
    let server = start().await;
    let (_, challenge) = pkce_pair();
    let (other_verifier, _) = pkce_pair();
    let code = code_for(&server, "ada", Some(&challenge)).await;
    let (_, body) = exchange(&server, &code, Some(&other_verifier)).await;
    assert_eq!(body["error"], "bad_verification_code");

    let code = code_for(&server, "ada", Some(&challenge)).await;
    let (_, body) = exchange(&server, &code, None).await;
    assert_eq!(body["error"], "bad_verification_code");
    server.stop().await;
}

#[tokio::test]
async fn a_plain_pkce_challenge_is_refused_at_authorization() {
    let server = start().await;
    let response = authorize(&server, &PLAIN_PKCE).await;
    assert_sent_back_with(&response, "invalid_request");
    server.stop().await;
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token_and_reuse_of_the_old_one_revokes_the_chain() {
    let server = start().await;
    let first = tokens_for(&server, "ada").await;
    let old_refresh = first["refresh_token"].as_str().unwrap();
    let (status, second) = refresh(&server, old_refresh).await;
    assert_eq!(status, StatusCode::OK);
    let new_refresh = second["refresh_token"].as_str().unwrap();
    let new_access = second["access_token"].as_str().unwrap();
    assert_ne!(new_refresh, old_refresh);
    assert_eq!(
        api_status(&server, "/user", new_access).await,
        StatusCode::OK
    );

    let (status, reuse) = refresh(&server, old_refresh).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reuse["error"], "bad_refresh_token");
    // The whole chain is gone: the new tokens too.
    assert_eq!(
        api_status(&server, "/user", new_access).await,
        StatusCode::UNAUTHORIZED
    );
    let (_, after) = refresh(&server, new_refresh).await;
    assert_eq!(after["error"], "bad_refresh_token");
    let knobs = server.github().knobs();
    assert_eq!(knobs.calls("refresh"), 3);
    server.stop().await;
}

#[tokio::test]
async fn an_expired_access_token_gets_githubs_401_and_refresh_brings_access_back() {
    let server = start().await;
    let tokens = tokens_for(&server, "ada").await;
    let github = server.github();
    github.expire_all_access_tokens();
    let response = api(&server, "/user", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Bad credentials");
    assert!(body["documentation_url"].is_string());

    let (_, refreshed) = refresh(&server, tokens["refresh_token"].as_str().unwrap()).await;
    let response = api(
        &server,
        "/user",
        refreshed["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn revoked_refresh_tokens_are_refused() {
    let server = start().await;
    let tokens = tokens_for(&server, "zoe").await;
    server.github().revoke_all_refresh_tokens();
    let (_, body) = refresh(&server, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(body["error"], "bad_refresh_token");
    server.stop().await;
}

#[tokio::test]
async fn a_matching_etag_gets_304_without_spending_rate_limit() {
    let server = start().await;
    let tokens = tokens_for(&server, "ada").await;
    let access = tokens["access_token"].as_str().unwrap();
    let first = api(&server, "/user", access).await;
    assert_eq!(header(&first, "x-ratelimit-limit"), "5000");
    assert_eq!(header(&first, "x-ratelimit-remaining"), "4999");
    assert!(header(&first, "x-ratelimit-reset").parse::<i64>().unwrap() > 0);
    let etag = header(&first, "etag");
    assert!(etag.starts_with("W/\""));

    let again = user_if_none_match(&server, access, &etag).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "x-ratelimit-remaining"), "4999");
    assert_eq!(header(&again, "etag"), etag);

    let other = user_if_none_match(&server, access, "W/\"something-else\"").await;
    assert_eq!(other.status(), StatusCode::OK);
    assert_eq!(header(&other, "x-ratelimit-remaining"), "4998");
    server.stop().await;
}

#[tokio::test]
async fn an_exhausted_rate_limit_answers_403_with_remaining_zero() {
    let server = start().await;
    let tokens = tokens_for(&server, "ada").await;
    let access = tokens["access_token"].as_str().unwrap();
    let github = server.github();
    github.set_rate_limit_remaining(1);
    assert_eq!(api_status(&server, "/user", access).await, StatusCode::OK);
    let refused = api(&server, "/user", access).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&refused, "x-ratelimit-remaining"), "0");
    let body: Value = refused.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("rate limit"));
    server.stop().await;
}

#[tokio::test]
async fn repositories_are_paged_with_link_headers() {
    let server = start().await;
    let tokens = tokens_for(&server, "zoe").await;
    let access = tokens["access_token"].as_str().unwrap();

    let first = api(&server, "/user/repos?per_page=10", access).await;
    let link = header(&first, "link");
    assert!(link.contains("page=2>; rel=\"next\""), "{link}");
    assert!(link.contains("page=4>; rel=\"last\""), "{link}");
    assert!(!link.contains("rel=\"prev\""));
    let page: Vec<Value> = first.json().await.unwrap();
    assert_eq!(page.len(), 10);
    let names: Vec<&str> = page
        .iter()
        .map(|r| r["full_name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "default order is full_name ascending");

    let second = api(&server, "/user/repos?per_page=10&page=2", access).await;
    let link = header(&second, "link");
    for rel in ["prev", "next", "last", "first"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{link}");
    }
    let last = api(&server, "/user/repos?per_page=10&page=4", access).await;
    assert!(!header(&last, "link").contains("rel=\"next\""));
    let last: Vec<Value> = last.json().await.unwrap();
    assert!(!last.is_empty() && last.len() <= 10);

    let mut all = Vec::new();
    for page in 1..=4 {
        let items: Vec<Value> = api(
            &server,
            &format!("/user/repos?per_page=10&page={page}"),
            access,
        )
        .await
        .json()
        .await
        .unwrap();
        all.extend(items);
    }
    assert!(all.len() >= 30);
    assert!(all.iter().any(|r| r["description"].is_null()));

    let updated: Vec<Value> = api(&server, "/user/repos?sort=updated&per_page=100", access)
        .await
        .json()
        .await
        .unwrap();
    let times: Vec<&str> = updated
        .iter()
        .map(|r| r["updated_at"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "sort=updated is newest first"
    );
    server.stop().await;
}

#[tokio::test]
async fn deny_sends_access_denied_with_the_state_and_the_consent_cannot_be_replayed() {
    let server = start().await;
    let (_, html) = consent_page(&server, &[]).await;
    let consent = consent_id(&html);
    let response = answer(&server, AUTHORIZE, &consent, "ada", "deny").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = location(&response);
    assert!(back.as_str().starts_with(&server.redirect_uri("github")));
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert!(param(&back, "error_description").is_some());
    assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
    assert!(param(&back, "code").is_none());

    let replay = answer(&server, AUTHORIZE, &consent, "ada", "authorize").await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let forged = answer(&server, AUTHORIZE, "made-up-consent-id", "ada", "authorize").await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    server.stop().await;
}

#[tokio::test]
async fn the_consent_page_is_branded_offers_three_people_and_escapes_input() {
    let server = start().await;
    let (status, html) = consent_page(
        &server,
        &[("scope", "<script>alert(1)</script>"), ("login", "zoe-om")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Demo GitHub — no real account"));
    assert!(!html.contains("<script>alert(1)"));
    // Tera escapes `/` as `&#x2F;` in attribute values, which browsers decode.
    assert!(html.contains("avatars&#x2F;ada.svg"));
    assert!(html.contains("Zoë Østergård-Müller"));
    assert!(html.contains("value=\"zoe\" checked"));
    assert!(html.contains("_demo&#x2F;demo.css"));
    assert!(!html.contains("<style"), "styles come from the stylesheet");
    server.stop().await;
}

#[tokio::test]
async fn revoking_the_grant_needs_the_client_credentials_and_ends_the_tokens() {
    let server = start().await;
    let tokens = tokens_for(&server, "ada").await;
    let access = tokens["access_token"].as_str().unwrap();
    let url = server.url(&format!(
        "/_demo/github/api/applications/{GITHUB_CLIENT_ID}/grant"
    ));
    let body = serde_json::json!({ "access_token": access });

    let delete = |secret: Option<&str>| {
        let request = server.client.delete(&url).json(&body);
        match secret {
            Some(secret) => request.basic_auth(GITHUB_CLIENT_ID, Some(secret)),
            None => request,
        }
        .send()
    };

    let anonymous = delete(None).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let wrong = delete(Some("wrong")).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&server, "/user", access).await, StatusCode::OK);

    let revoked = delete(Some(GITHUB_CLIENT_SECRET)).await.unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        api_status(&server, "/user", access).await,
        StatusCode::UNAUTHORIZED
    );
    let (_, refreshed) = refresh(&server, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed["error"], "bad_refresh_token");
    server.stop().await;
}

#[tokio::test]
async fn the_password_grant_and_a_bearer_call_work_like_a_plain_oauth2_provider() {
    let server = start().await;
    // As a classic client script does it: Basic client auth, no Accept header.
    let password = |password| {
        [
            ("grant_type", "password"),
            ("username", "ada-lovelace"),
            ("password", password),
        ]
    };
    let response = token_basic(&server, GITHUB_CLIENT_SECRET, &password("demo-password")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let token: Value = response.json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    let access = token["access_token"].as_str().unwrap();
    let users = api(&server, "/users", access).await;
    assert_eq!(users.status(), StatusCode::OK);
    let users: Vec<Value> = users.json().await.unwrap();
    assert_eq!(users.len(), 3);
    let me: Value = api(&server, "/user", access).await.json().await.unwrap();
    assert_eq!(me["login"], "ada-lovelace");

    let wrong = token_basic(&server, GITHUB_CLIENT_SECRET, &password("guess")).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(wrong["error"], "invalid_grant");

    let bad_client = token_basic(&server, "nope", &[("grant_type", "client_credentials")]).await;
    assert_eq!(bad_client.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn a_client_credentials_token_lists_users_but_is_no_person() {
    let server = start().await;
    let (status, token) = token_json(&server, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(token.get("refresh_token").is_none());
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(api_status(&server, "/users", access).await, StatusCode::OK);
    assert_eq!(
        api_status(&server, "/user", access).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api_status(&server, "/users", "made-up").await,
        StatusCode::UNAUTHORIZED
    );
    server.stop().await;
}

#[tokio::test]
async fn injected_token_faults_fire_once() {
    let server = start().await;
    let github = server.github();
    let code = code_for(&server, "ada", None).await;

    github.knobs().fail_next_token_request(Fault::ServerError);
    let response = server
        .client
        .post(server.url(TOKEN))
        .form(&[
            ("client_id", GITHUB_CLIENT_ID),
            ("client_secret", GITHUB_CLIENT_SECRET),
            ("code", &code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(header(&response, "content-type").starts_with("text/html"));

    github.knobs().fail_next_token_request(Fault::InvalidGrant);
    let (_, body) = exchange(&server, &code, None).await;
    assert_eq!(body["error"], "bad_verification_code");

    // The faults did not touch the code.
    let (_, body) = exchange(&server, &code, None).await;
    assert!(body["access_token"].is_string(), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn latency_is_added_to_every_endpoint() {
    let server = start().await;
    let github = server.github();
    github
        .knobs()
        .set_latency(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    let response = api(&server, "/user", "made-up").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    server.stop().await;
}

#[tokio::test]
async fn issued_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_on(dir.path()).await;
    let tokens = tokens_for(&server, "ada").await;
    server.stop().await;

    let restarted = start_on(dir.path()).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        api_status(&restarted, "/user", access).await,
        StatusCode::OK
    );
    let (_, refreshed) = refresh(&restarted, tokens["refresh_token"].as_str().unwrap()).await;
    assert!(refreshed["access_token"].is_string(), "{refreshed}");
    restarted.stop().await;
}

#[tokio::test]
async fn the_same_consent_sent_twice_gets_the_same_code_which_works_once() {
    let server = start().await;
    let (_, html) = consent_page(&server, &[]).await;
    let back = answer_twice(&server, AUTHORIZE, &consent_id(&html)).await;
    let code = param(&back, "code").expect("a code");
    let (_, tokens) = exchange(&server, &code, None).await;
    assert!(tokens["access_token"].is_string(), "{tokens}");
    let (_, again) = exchange(&server, &code, None).await;
    assert_eq!(again["error"], "bad_verification_code");
    server.stop().await;
}

#[tokio::test]
async fn another_decision_on_an_answered_consent_is_refused() {
    let server = start().await;
    let (_, html) = consent_page(&server, &[]).await;
    assert_answered_consent_refuses_another_decision(&server, AUTHORIZE, &consent_id(&html)).await;
    server.stop().await;
}

#[tokio::test]
async fn the_expired_request_page_links_back_to_the_site() {
    let server = start().await;
    assert_expired_page_links_back(&server, AUTHORIZE).await;
    server.stop().await;
}

/// The `<title>` of a page, after checking it is an HTML page.
async fn html_title(response: reqwest::Response) -> String {
    assert!(header(&response, "content-type").starts_with("text/html"));
    let html = response.text().await.unwrap();
    let start = html.find("<title>").expect("a title") + "<title>".len();
    let end = html[start..].find("</title>").unwrap() + start;
    html[start..end].to_owned()
}

#[tokio::test]
async fn the_profiles_and_repositories_the_api_links_to_have_pages_that_name_them() {
    let server = start().await;
    let tokens = tokens_for(&server, "zoe").await;
    let access = tokens["access_token"].as_str().unwrap();
    let user: Value = api(&server, "/user", access).await.json().await.unwrap();
    let repos: Value = api(&server, "/user/repos", access)
        .await
        .json()
        .await
        .unwrap();
    let hostile = repos
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["description"]
                .as_str()
                .is_some_and(|d| d.contains("<script>"))
        })
        .expect("a repository with a hostile description");
    // Tera writes `/` as `&#x2F;`, which browsers decode.
    let repo_title =
        format!("{} · Demo GitHub", hostile["full_name"].as_str().unwrap()).replace('/', "&#x2F;");
    let person_title = "Zoë Østergård-Müller (zoe-om) · Demo GitHub";
    for (url, title) in [
        (&user["html_url"], person_title),
        (&hostile["owner"]["html_url"], person_title),
        (&hostile["html_url"], repo_title.as_str()),
    ] {
        let response = server
            .client
            .get(url.as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        assert_eq!(html_title(response).await, title);
    }
    let page = server
        .client
        .get(hostile["html_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    assert!(html.contains("_demo&#x2F;demo.css"));
    let avatar = server
        .client
        .get(user["avatar_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(avatar.status(), StatusCode::OK);
    assert_eq!(header(&avatar, "content-type"), "image/svg+xml");
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_page_is_a_titled_404_page_and_an_unknown_api_path_githubs_json() {
    let server = start().await;
    for path in [
        "/_demo/github/nobody",
        "/_demo/github/ada-lovelace/no-such-repo",
        "/_demo/github/a/b/c",
    ] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(html_title(response).await, "Page not found · Demo GitHub");
    }
    let response = server
        .client
        .get(server.url("/_demo/github/api/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (_, body) = status_and_json(response).await;
    assert_eq!(body["message"], "Not Found");
    assert_eq!(body["documentation_url"], "https://docs.github.com/rest");
    server.stop().await;
}
