//! Demo GitHub: authorization, token endpoint, API and knobs.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::Value;
use trilogin_demo::knobs::Fault;
use trilogin_demo::{GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET};

use crate::helpers::{TestServer, consent_id, location, param, pkce_pair};

const AUTHORIZE: &str = "/_demo/github/login/oauth/authorize";
const TOKEN: &str = "/_demo/github/login/oauth/access_token";

/// Opens the consent page with these extra query parameters; returns its HTML.
async fn consent_page(server: &TestServer, extra: &[(&str, &str)]) -> (StatusCode, String) {
    let mut query = vec![
        ("client_id", GITHUB_CLIENT_ID.to_owned()),
        ("redirect_uri", server.redirect_uri("github")),
        ("scope", "read:user user:email".to_owned()),
        ("state", "st-123".to_owned()),
    ];
    for (k, v) in extra {
        query.retain(|(key, _)| key != k);
        query.push((k, (*v).to_owned()));
    }
    let response = server
        .client
        .get(server.url(AUTHORIZE))
        .query(&query)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// Posts the consent form.
async fn answer(
    server: &TestServer,
    consent: &str,
    person: &str,
    decision: &str,
) -> reqwest::Response {
    server
        .client
        .post(server.url(AUTHORIZE))
        .form(&[
            ("consent_id", consent),
            ("person", person),
            ("decision", decision),
        ])
        .send()
        .await
        .unwrap()
}

/// Runs the consent step for `person`; returns the code.
async fn code_for(server: &TestServer, person: &str, challenge: Option<&str>) -> String {
    let mut extra = vec![];
    if let Some(challenge) = challenge {
        extra.push(("code_challenge", challenge));
        extra.push(("code_challenge_method", "S256"));
    }
    let (status, html) = consent_page(server, &extra).await;
    assert_eq!(status, StatusCode::OK);
    let response = answer(server, &consent_id(&html), person, "authorize").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = location(&response);
    assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
    param(&back, "code").expect("a code")
}

/// Posts to the token endpoint with client_secret_post, asking for JSON.
async fn token_json(server: &TestServer, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form: Vec<(&str, &str)> = vec![
        ("client_id", GITHUB_CLIENT_ID),
        ("client_secret", GITHUB_CLIENT_SECRET),
    ];
    form.extend_from_slice(fields);
    let response = server
        .client
        .post(server.url(TOKEN))
        .header("Accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn exchange(server: &TestServer, code: &str, verifier: Option<&str>) -> (StatusCode, Value) {
    let mut fields = vec![("code", code)];
    if let Some(verifier) = verifier {
        fields.push(("code_verifier", verifier));
    }
    token_json(server, &fields).await
}

async fn tokens_for(server: &TestServer, person: &str) -> Value {
    let code = code_for(server, person, None).await;
    let (status, body) = exchange(server, &code, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["access_token"].is_string(), "{body}");
    body
}

async fn api(server: &TestServer, path: &str, token: &str) -> reqwest::Response {
    server
        .client
        .get(server.url(&format!("/_demo/github/api{path}")))
        .header("Authorization", format!("Bearer {token}"))
        .header("Accept", "application/vnd.github+json")
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
    let server = TestServer::start().await;
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
    assert_eq!(
        server
            .providers
            .github
            .as_ref()
            .unwrap()
            .knobs()
            .calls("token"),
        1
    );
    server.stop().await;
}

#[tokio::test]
async fn a_token_answer_is_form_encoded_unless_json_is_asked_for_and_basic_auth_works() {
    let server = TestServer::start().await;
    let code = code_for(&server, "ada", None).await;
    let response = server
        .client
        .post(server.url(TOKEN))
        .basic_auth(GITHUB_CLIENT_ID, Some(GITHUB_CLIENT_SECRET))
        .form(&[
            ("code", code.as_str()),
            ("redirect_uri", &server.redirect_uri("github")),
        ])
        .send()
        .await
        .unwrap();
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
    let server = TestServer::start().await;
    let code = code_for(&server, "ada", None).await;
    let response = server
        .client
        .post(server.url(TOKEN))
        .header("Accept", "application/json")
        .form(&[
            ("client_id", GITHUB_CLIENT_ID),
            ("client_secret", "wrong"),
            ("code", &code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "incorrect_client_credentials");
    assert!(body.get("access_token").is_none());
    // The failed client authentication did not spend the code.
    let (_, body) = exchange(&server, &code, None).await;
    assert!(body["access_token"].is_string());
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_redirect_uri_at_authorization_goes_back_to_the_registered_callback() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url(AUTHORIZE))
        .query(&[
            ("client_id", GITHUB_CLIENT_ID),
            ("redirect_uri", "https://evil.example/steal"),
            ("state", "st-9"),
        ])
        .send()
        .await
        .unwrap();
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
    let server = TestServer::start().await;
    let (status, html) = consent_page(&server, &[("client_id", "someone-else")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("consent_id"));
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_redirect_uri_at_the_token_endpoint_is_refused() {
    let server = TestServer::start().await;
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
    let server = TestServer::start().await;
    let code = code_for(&server, "ada", None).await;
    let (_, first) = exchange(&server, &code, None).await;
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(api(&server, "/user", access).await.status(), StatusCode::OK);

    let (status, replay) = exchange(&server, &code, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replay["error"], "bad_verification_code");
    assert_eq!(
        api(&server, "/user", access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_or_missing_pkce_verifier_is_refused() {
    let server = TestServer::start().await;
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
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url(AUTHORIZE))
        .query(&[
            ("client_id", GITHUB_CLIENT_ID),
            ("state", "s"),
            (
                "code_challenge",
                "plain-verifier-plain-verifier-plain-verifier",
            ),
            ("code_challenge_method", "plain"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        param(&location(&response), "error").as_deref(),
        Some("invalid_request")
    );
    server.stop().await;
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token_and_reuse_of_the_old_one_revokes_the_chain() {
    let server = TestServer::start().await;
    let first = tokens_for(&server, "ada").await;
    let old_refresh = first["refresh_token"].as_str().unwrap();
    let (status, second) = token_json(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let new_refresh = second["refresh_token"].as_str().unwrap();
    let new_access = second["access_token"].as_str().unwrap();
    assert_ne!(new_refresh, old_refresh);
    assert_eq!(
        api(&server, "/user", new_access).await.status(),
        StatusCode::OK
    );

    let (status, reuse) = token_json(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reuse["error"], "bad_refresh_token");
    // The whole chain is gone: the new tokens too.
    assert_eq!(
        api(&server, "/user", new_access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (_, after) = token_json(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", new_refresh),
        ],
    )
    .await;
    assert_eq!(after["error"], "bad_refresh_token");
    let knobs = server.providers.github.as_ref().unwrap().knobs();
    assert_eq!(knobs.calls("refresh"), 3);
    server.stop().await;
}

#[tokio::test]
async fn an_expired_access_token_gets_githubs_401_and_refresh_brings_access_back() {
    let server = TestServer::start().await;
    let tokens = tokens_for(&server, "ada").await;
    let github = server.providers.github.as_ref().unwrap();
    github.expire_all_access_tokens();
    let response = api(&server, "/user", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Bad credentials");
    assert!(body["documentation_url"].is_string());

    let (_, refreshed) = token_json(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
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
    let server = TestServer::start().await;
    let tokens = tokens_for(&server, "zoe").await;
    server
        .providers
        .github
        .as_ref()
        .unwrap()
        .revoke_all_refresh_tokens();
    let (_, body) = token_json(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(body["error"], "bad_refresh_token");
    server.stop().await;
}

#[tokio::test]
async fn a_matching_etag_gets_304_without_spending_rate_limit() {
    let server = TestServer::start().await;
    let tokens = tokens_for(&server, "ada").await;
    let access = tokens["access_token"].as_str().unwrap();
    let first = api(&server, "/user", access).await;
    assert_eq!(header(&first, "x-ratelimit-limit"), "5000");
    assert_eq!(header(&first, "x-ratelimit-remaining"), "4999");
    assert!(header(&first, "x-ratelimit-reset").parse::<i64>().unwrap() > 0);
    let etag = header(&first, "etag");
    assert!(etag.starts_with("W/\""));

    let again = server
        .client
        .get(server.url("/_demo/github/api/user"))
        .header("Authorization", format!("token {access}"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "x-ratelimit-remaining"), "4999");
    assert_eq!(header(&again, "etag"), etag);

    let other = server
        .client
        .get(server.url("/_demo/github/api/user"))
        .header("Authorization", format!("token {access}"))
        .header("If-None-Match", "W/\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    assert_eq!(header(&other, "x-ratelimit-remaining"), "4998");
    server.stop().await;
}

#[tokio::test]
async fn an_exhausted_rate_limit_answers_403_with_remaining_zero() {
    let server = TestServer::start().await;
    let tokens = tokens_for(&server, "ada").await;
    let access = tokens["access_token"].as_str().unwrap();
    let github = server.providers.github.as_ref().unwrap();
    github.set_rate_limit_remaining(1);
    assert_eq!(api(&server, "/user", access).await.status(), StatusCode::OK);
    let refused = api(&server, "/user", access).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&refused, "x-ratelimit-remaining"), "0");
    let body: Value = refused.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("rate limit"));
    server.stop().await;
}

#[tokio::test]
async fn repositories_are_paged_with_link_headers() {
    let server = TestServer::start().await;
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
    let server = TestServer::start().await;
    let (_, html) = consent_page(&server, &[]).await;
    let consent = consent_id(&html);
    let response = answer(&server, &consent, "ada", "deny").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = location(&response);
    assert!(back.as_str().starts_with(&server.redirect_uri("github")));
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert!(param(&back, "error_description").is_some());
    assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
    assert!(param(&back, "code").is_none());

    let replay = answer(&server, &consent, "ada", "authorize").await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let forged = answer(&server, "made-up-consent-id", "ada", "authorize").await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    server.stop().await;
}

#[tokio::test]
async fn the_consent_page_is_branded_offers_three_people_and_escapes_input() {
    let server = TestServer::start().await;
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
    let server = TestServer::start().await;
    let tokens = tokens_for(&server, "ada").await;
    let access = tokens["access_token"].as_str().unwrap();
    let url = server.url(&format!(
        "/_demo/github/api/applications/{GITHUB_CLIENT_ID}/grant"
    ));
    let body = serde_json::json!({ "access_token": access });

    let anonymous = server.client.delete(&url).json(&body).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let wrong = server
        .client
        .delete(&url)
        .basic_auth(GITHUB_CLIENT_ID, Some("wrong"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(api(&server, "/user", access).await.status(), StatusCode::OK);

    let revoked = server
        .client
        .delete(&url)
        .basic_auth(GITHUB_CLIENT_ID, Some(GITHUB_CLIENT_SECRET))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        api(&server, "/user", access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (_, refresh) = token_json(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(refresh["error"], "bad_refresh_token");
    server.stop().await;
}

#[tokio::test]
async fn the_password_grant_and_a_bearer_call_work_like_a_plain_oauth2_provider() {
    let server = TestServer::start().await;
    // As a classic client script does it: Basic client auth, no Accept header.
    let response = server
        .client
        .post(server.url(TOKEN))
        .basic_auth(GITHUB_CLIENT_ID, Some(GITHUB_CLIENT_SECRET))
        .form(&[
            ("grant_type", "password"),
            ("username", "ada-lovelace"),
            ("password", "demo-password"),
        ])
        .send()
        .await
        .unwrap();
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

    let wrong = server
        .client
        .post(server.url(TOKEN))
        .basic_auth(GITHUB_CLIENT_ID, Some(GITHUB_CLIENT_SECRET))
        .form(&[
            ("grant_type", "password"),
            ("username", "ada-lovelace"),
            ("password", "guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(wrong["error"], "invalid_grant");

    let bad_client = server
        .client
        .post(server.url(TOKEN))
        .basic_auth(GITHUB_CLIENT_ID, Some("nope"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_client.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn a_client_credentials_token_lists_users_but_is_no_person() {
    let server = TestServer::start().await;
    let (status, token) = token_json(&server, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(token.get("refresh_token").is_none());
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(
        api(&server, "/users", access).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        api(&server, "/user", access).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api(&server, "/users", "made-up").await.status(),
        StatusCode::UNAUTHORIZED
    );
    server.stop().await;
}

#[tokio::test]
async fn injected_token_faults_fire_once() {
    let server = TestServer::start().await;
    let github = server.providers.github.as_ref().unwrap();
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
    let server = TestServer::start().await;
    let github = server.providers.github.as_ref().unwrap();
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
    let server = TestServer::start_on(dir.path()).await;
    let tokens = tokens_for(&server, "ada").await;
    server.stop().await;

    let restarted = TestServer::start_on(dir.path()).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        api(&restarted, "/user", access).await.status(),
        StatusCode::OK
    );
    let (_, refreshed) = token_json(
        &restarted,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert!(refreshed["access_token"].is_string(), "{refreshed}");
    restarted.stop().await;
}
