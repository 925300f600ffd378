//! Refresh on access, single flight, the 401 retry, revocation, token
//! placement and the request-side compliance hooks.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use serde_json::json;
use trilogin_oauth::config::TokenPlacement;
use trilogin_oauth::{
    ApiRequest, ApiVerbs, Error, OAuth2Token, RefreshClaim, Result, Token, TokenHooks,
    UpdateOutcome,
};
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

async fn mount_refresh(
    server: &MockServer,
    at: &str,
    body: serde_json::Value,
    expected_calls: u64,
) {
    Mock::given(method("POST"))
        .and(path(at))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(expected_calls)
        .mount(server)
        .await;
}

async fn mount_api(server: &MockServer, bearer: &str, status: u16, expected_calls: u64) {
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .and(header("authorization", format!("Bearer {bearer}").as_str()))
        .respond_with(ResponseTemplate::new(status).set_body_json(json!({"login": "ada"})))
        .expect(expected_calls)
        .mount(server)
        .await;
}

#[tokio::test]
async fn an_expired_token_is_refreshed_before_the_request_and_saved() {
    let server = MockServer::start().await;
    mount_refresh(
        &server,
        "/token",
        json!({"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 3600, "token_type": "bearer"}),
        1,
    )
    .await;
    mount_api(&server, "at-2", 200, 1).await;
    mount_api(&server, "at-1", 200, 0).await;
    let client = client(oauth2_config(&server));
    let hooks = stored_token_expiring_in(-10);
    let response = client.get("me", &hooks).await.unwrap();
    assert_eq!(response.status(), 200);
    let stored = hooks.stored();
    assert_eq!(stored.access_token.secret(), "at-2");
    assert_eq!(stored.refresh_token.unwrap().secret(), "rt-2");
    let body = form(&received(&server, "/token").await[0]);
    assert_eq!(body["refresh_token"], "rt-1");
}

#[tokio::test]
async fn a_token_inside_the_leeway_is_refreshed_and_one_outside_is_not() {
    let server = MockServer::start().await;
    mount_refresh(&server, "/token", refreshed(), 1).await;
    mount_api(&server, "at-2", 200, 1).await;
    mount_api(&server, "fresh", 200, 1).await;
    let client = client(oauth2_config(&server));
    client
        .get("me", &stored_token_expiring_in(30))
        .await
        .unwrap();
    client
        .get("me", &MemoryHooks::with(token("fresh", Some("rt-x"), 600)))
        .await
        .unwrap();
}

#[tokio::test]
async fn tokens_that_live_shorter_than_the_leeway_are_not_refreshed_on_every_request() {
    let server = MockServer::start().await;
    // The provider hands out 30-second tokens; the leeway is 60 s.
    mount_refresh(
        &server,
        "/token",
        json!({"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 30}),
        1,
    )
    .await;
    mount_api(&server, "at-2", 200, 3).await;
    let client = client(oauth2_config(&server));
    let hooks = stored_token_expiring_in(-10);
    for _ in 0..3 {
        let response = client.get("me", &hooks).await.unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(
        hooks.update_count(),
        1,
        "one refresh, then the fresh token is used"
    );
}

#[tokio::test]
async fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
    let server = MockServer::start().await;
    mount_refresh(&server, "/token", refreshed(), 1).await;
    let client = client(oauth2_config(&server));
    let new = client
        .refresh_token(&token("at-1", Some("rt-1"), -10))
        .await
        .unwrap();
    assert_eq!(new.access_token.secret(), "at-2");
    assert_eq!(new.refresh_token.unwrap().secret(), "rt-1");
    assert_eq!(new.scope.as_deref(), Some("read:user"));
}

#[tokio::test]
async fn refresh_token_url_is_honoured() {
    let server = MockServer::start().await;
    mount_refresh(&server, "/refresh", json!({"access_token": "at-2"}), 1).await;
    mount_refresh(&server, "/token", json!({"access_token": "wrong"}), 0).await;
    let mut config = oauth2_config(&server);
    config.refresh_token_url = Some(url(&server, "/refresh"));
    let new = client(config)
        .refresh_token(&token("at-1", Some("rt-1"), -10))
        .await
        .unwrap();
    assert_eq!(new.access_token.secret(), "at-2");
}

#[tokio::test]
async fn invalid_grant_asks_for_a_new_login_and_keeps_the_stored_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": "The refresh token is revoked",
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_api(&server, "at-1", 200, 0).await;
    let client = client(oauth2_config(&server));
    let hooks = stored_token_expiring_in(-10);
    let result = client.get("me", &hooks).await;
    assert_reauthorization_required(&result);
    assert_eq!(hooks.stored().access_token.secret(), "at-1");
    assert_eq!(hooks.update_count(), 0);
}

#[tokio::test]
async fn a_401_causes_one_refresh_and_one_retry() {
    let server = MockServer::start().await;
    mount_refresh(&server, "/token", refreshed(), 1).await;
    mount_api(&server, "at-1", 401, 1).await;
    mount_api(&server, "at-2", 200, 1).await;
    let client = client(oauth2_config(&server));
    let hooks = stored_token_expiring_in(3600);
    assert_eq!(client.get("me", &hooks).await.unwrap().status(), 200);
    assert_eq!(hooks.stored().access_token.secret(), "at-2");
}

#[tokio::test]
async fn a_second_401_is_not_retried_again() {
    let server = MockServer::start().await;
    mount_refresh(&server, "/token", refreshed(), 1).await;
    mount_api(&server, "at-1", 401, 1).await;
    mount_api(&server, "at-2", 401, 1).await;
    let client = client(oauth2_config(&server));
    let hooks = stored_token_expiring_in(3600);
    let result = client.get("me", &hooks).await;
    assert_reauthorization_required(&result);
}

#[tokio::test]
async fn a_401_without_a_refresh_token_asks_for_a_new_login() {
    let server = MockServer::start().await;
    mount_refresh(&server, "/token", json!({"access_token": "x"}), 0).await;
    mount_api(&server, "at-1", 401, 1).await;
    let client = client(oauth2_config(&server));
    let result = client
        .get("me", &MemoryHooks::with(token("at-1", None, 3600)))
        .await;
    assert_reauthorization_required(&result);
}

#[tokio::test]
async fn concurrent_requests_with_one_expired_token_refresh_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(
                    json!({"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 3600}),
                )
                .set_delay(std::time::Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_api(&server, "at-2", 200, 8).await;
    let client = client(oauth2_config(&server));
    let hooks = stored_token_expiring_in(-10);
    let results = futures_util::future::join_all((0..8).map(|_| client.get("me", &hooks))).await;
    for result in results {
        assert_eq!(result.unwrap().status(), 200);
    }
    assert_eq!(hooks.update_count(), 1);
}

/// Storage shared with another process that always refreshes first.
struct OtherProcessWins(MemoryHooks);

#[async_trait]
impl TokenHooks for OtherProcessWins {
    async fn fetch_token(&self, name: &str) -> Result<Option<Token>> {
        self.0.fetch_token(name).await
    }
    async fn update_token(
        &self,
        _: &str,
        _: &OAuth2Token,
        _: &OAuth2Token,
    ) -> Result<UpdateOutcome> {
        let winner = token("at-winner", Some("rt-winner"), 3600);
        *self.0.token.lock().unwrap() = Some(winner.clone());
        Ok(UpdateOutcome::Superseded(winner))
    }
}

#[tokio::test]
async fn a_refresh_that_loses_the_compare_and_swap_uses_the_winners_token() {
    let server = MockServer::start().await;
    mount_refresh(&server, "/token", json!({"access_token": "at-mine"}), 1).await;
    mount_api(&server, "at-winner", 200, 1).await;
    mount_api(&server, "at-mine", 200, 0).await;
    let client = client(oauth2_config(&server));
    let hooks = OtherProcessWins(stored_token_expiring_in(-10));
    client.get("me", &hooks).await.unwrap();
}

/// Storage where another process holds the refresh lease and finishes it
/// while we wait.
struct OtherProcessRefreshing(MemoryHooks);

#[async_trait]
impl TokenHooks for OtherProcessRefreshing {
    async fn fetch_token(&self, name: &str) -> Result<Option<Token>> {
        self.0.fetch_token(name).await
    }
    async fn update_token(
        &self,
        name: &str,
        new: &OAuth2Token,
        old: &OAuth2Token,
    ) -> Result<UpdateOutcome> {
        self.0.update_token(name, new, old).await
    }
    async fn claim_refresh(&self, _: &str, _: &OAuth2Token) -> Result<RefreshClaim> {
        self.0.updates.fetch_add(1, Ordering::SeqCst);
        *self.0.token.lock().unwrap() = Some(token("at-other", Some("rt-other"), 3600));
        Ok(RefreshClaim::Busy)
    }
}

#[tokio::test]
async fn a_refresh_leased_by_another_process_is_waited_for_not_repeated() {
    let server = MockServer::start().await;
    mount_refresh(&server, "/token", json!({"access_token": "at-mine"}), 0).await;
    mount_api(&server, "at-other", 200, 1).await;
    let client = client(oauth2_config(&server));
    let hooks = OtherProcessRefreshing(stored_token_expiring_in(-10));
    client.get("me", &hooks).await.unwrap();
}

#[tokio::test]
async fn a_person_without_a_stored_token_is_not_connected() {
    let server = MockServer::start().await;
    let client = client(oauth2_config(&server));
    let result = client.get("me", &MemoryHooks::default()).await;
    assert!(matches!(result, Err(Error::NotConnected(name)) if name == "test"));
}

#[tokio::test]
async fn the_token_can_travel_in_the_query_or_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .and(query_param("access_token", "at-q"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/me"))
        .and(body_string_contains("access_token=at-b"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = oauth2_config(&server);
    config.token_placement = TokenPlacement::Uri;
    client(config.clone())
        .get("me", &MemoryHooks::with(token("at-q", None, 600)))
        .await
        .unwrap();
    config.token_placement = TokenPlacement::Body;
    client(config)
        .post("me", &MemoryHooks::with(token("at-b", None, 600)))
        .await
        .unwrap();
    for request in received(&server, "/api/me").await {
        assert!(request.headers.get("authorization").is_none());
    }
}

#[tokio::test]
async fn compliance_hooks_fix_refresh_requests_answers_and_resource_requests() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("x-refresh-fix", "1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"ok": true, "token": "at-2"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .and(header("authorization", "Bearer at-2"))
        .and(header("x-api-fix", "1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = oauth2_config(&server);
    config.compliance.refresh_token_request = Some(Arc::new(|r: &mut reqwest::Request| {
        r.headers_mut()
            .insert("x-refresh-fix", "1".parse().unwrap());
    }));
    config.compliance.refresh_token_response = Some(Arc::new(
        |a: &mut trilogin_oauth::compliance::TokenAnswer| {
            if let Some(t) = a.fields.remove("token") {
                a.fields.insert("access_token".into(), t);
            }
        },
    ));
    config.compliance.protected_request = Some(Arc::new(|r: &mut reqwest::Request| {
        r.headers_mut().insert("x-api-fix", "1".parse().unwrap());
    }));
    client(config)
        .get("me", &stored_token_expiring_in(-10))
        .await
        .unwrap();
}

#[tokio::test]
async fn revocation_sends_the_refresh_token_with_its_hint() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/revoke"))
        .and(body_string_contains("token=rt-1"))
        .and(body_string_contains("token_type_hint=refresh_token"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = oauth2_config(&server);
    assert!(
        !client(config.clone())
            .revoke_token(&token("at-1", Some("rt-1"), 60))
            .await
            .unwrap()
    );
    config.revocation_endpoint = Some(url(&server, "/revoke"));
    assert!(
        client(config)
            .revoke_token(&token("at-1", Some("rt-1"), 60))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn userinfo_through_the_hooks_refreshes_an_expired_token_first() {
    let server = MockServer::start().await;
    mount_refresh(&server, "/token", refreshed(), 1).await;
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .and(header("authorization", "Bearer at-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sub": "user-1"})))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = oauth2_config(&server);
    config.userinfo_endpoint = Some(url(&server, "/userinfo"));
    let hooks = stored_token_expiring_in(-10);
    let info = oidc_client(config).userinfo_for(&hooks).await.unwrap();
    assert_eq!(info.sub, "user-1");
    assert_eq!(hooks.stored().access_token.secret(), "at-2");
}

#[tokio::test]
async fn userinfo_through_the_hooks_refreshes_once_after_a_401() {
    let server = MockServer::start().await;
    mount_refresh(&server, "/token", refreshed(), 1).await;
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .and(header("authorization", "Bearer at-2"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = oauth2_config(&server);
    config.userinfo_endpoint = Some(url(&server, "/userinfo"));
    let hooks = stored_token_expiring_in(3600);
    let result = oidc_client(config).userinfo_for(&hooks).await;
    assert_reauthorization_required(&result);
}

#[tokio::test]
async fn put_patch_and_delete_send_their_method_with_the_token() {
    let server = MockServer::start().await;
    for verb in ["PUT", "PATCH", "DELETE"] {
        Mock::given(method(verb))
            .and(path("/api/me"))
            .and(header("authorization", "Bearer at-1"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(oauth2_config(&server));
    let hooks = MemoryHooks::with(token("at-1", None, 600));
    assert_eq!(client.put("me", &hooks).await.unwrap().status(), 204);
    assert_eq!(client.patch("me", &hooks).await.unwrap().status(), 204);
    assert_eq!(client.delete("me", &hooks).await.unwrap().status(), 204);
}

#[tokio::test]
async fn a_request_that_withholds_the_token_needs_none_and_sends_none() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/public"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(oauth2_config(&server));
    let request = ApiRequest::get("public").without_token();
    // Nobody is connected: a normal request could not be sent at all.
    let nobody = MemoryHooks::default();
    assert!(matches!(
        client.request(&ApiRequest::get("public"), &nobody).await,
        Err(Error::NotConnected(_))
    ));
    let response = client.request(&request, &nobody).await.unwrap();
    assert_eq!(response.status(), 200);
    // With a token stored, it still stays home.
    let connected = MemoryHooks::with(token("at-1", None, 600));
    client.request(&request, &connected).await.unwrap();
    for received in received(&server, "/api/public").await {
        assert!(received.headers.get("authorization").is_none());
        assert!(!received.url.as_str().contains("at-1"));
    }
}
