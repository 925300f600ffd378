//! Per-provider HTTP settings (Authlib's `client_kwargs`): user agent, extra
//! headers and a proxy, on every call the client makes.

use std::collections::BTreeMap;

use serde_json::json;
use trilogin_oauth::{ApiVerbs, ClientConfig, Error, OAuth2Client};
use url::Url;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

fn with_kwargs(config: ClientConfig) -> ClientConfig {
    ClientConfig {
        user_agent: Some("acme-portal/2.0".into()),
        headers: BTreeMap::from([("X-Tenant".to_owned(), "acme".to_owned())]),
        ..config
    }
}

#[tokio::test]
async fn the_user_agent_and_extra_headers_go_on_token_and_resource_calls() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(header("user-agent", "acme-portal/2.0"))
        .and(header("x-tenant", "acme"))
        .respond_with(ResponseTemplate::new(200).set_body_json(refreshed()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .and(header("user-agent", "acme-portal/2.0"))
        .and(header("x-tenant", "acme"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": "ada"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(with_kwargs(oauth2_config(&server)));
    let response = client
        .get("me", &stored_token_expiring_in(-5))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn without_settings_the_shared_clients_user_agent_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .and(header("user-agent", "trilogin-tests"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(oauth2_config(&server));
    let response = client
        .get("me", &stored_token_expiring_in(3600))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = &server.received_requests().await.unwrap()[0];
    assert!(received.headers.get("x-tenant").is_none());
}

#[tokio::test]
async fn a_proxy_carries_every_call_to_the_provider() {
    let proxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": "ada"})))
        .expect(1)
        .mount(&proxy)
        .await;
    let config = ClientConfig {
        // A host that does not resolve: only the proxy can reach it.
        api_base_url: Url::parse("http://provider.invalid/api/").ok(),
        allow_insecure_http: true,
        proxy: Url::parse(&proxy.uri()).ok(),
        ..oauth2_config(&proxy)
    };
    let client = client(config);
    let response = client
        .get("me", &stored_token_expiring_in(3600))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = &proxy.received_requests().await.unwrap()[0];
    assert_eq!(received.headers["host"], "provider.invalid");
    assert_eq!(received.headers["authorization"], "Bearer at-1");
}

#[test]
fn settings_that_cannot_be_sent_are_refused_when_the_client_is_built() {
    let server_url = Url::parse("https://provider.test/").unwrap();
    let base = ClientConfig {
        client_id: "id".into(),
        client_secret: Some(trilogin_oauth::secret::ClientSecret::new("secret")),
        authorize_url: server_url.join("authorize").ok(),
        access_token_url: server_url.join("token").ok(),
        ..ClientConfig::default()
    };
    let bad = [
        ClientConfig {
            headers: BTreeMap::from([("Bad Name".to_owned(), "x".to_owned())]),
            ..base.clone()
        },
        ClientConfig {
            headers: BTreeMap::from([("X-Ok".to_owned(), "line\nbreak".to_owned())]),
            ..base.clone()
        },
        ClientConfig {
            user_agent: Some("agent\r\nX-Injected: 1".into()),
            ..base.clone()
        },
        ClientConfig {
            proxy: Url::parse("mailto:proxy@example.com").ok(),
            ..base.clone()
        },
    ];
    for config in bad {
        let built = OAuth2Client::new("p", config.clone(), http());
        assert!(matches!(built, Err(Error::Config(_))), "{config:?}");
    }
    assert!(OAuth2Client::new("p", base, http()).is_ok());
}
