//! OpenID Connect: discovery, the key set and its rotation, every ID token
//! rejection, userinfo and logout.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use trilogin_oauth::secret::IdToken;
use trilogin_oauth::{ClientConfig, Error, OAuth2Client, OAuth2Token, OidcClient};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

/// Mounts a token endpoint that answers once with `id_token`.
async fn mount_token_with_id_token(server: &MockServer, id_token: String) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "at-oidc",
            "token_type": "Bearer",
            "expires_in": 3600,
            "id_token": id_token,
        })))
        .up_to_n_times(1)
        .mount(server)
        .await;
}

/// Logs in with `client`; the provider answers with the ID token that
/// `make` builds from the login's nonce.
async fn oidc_login(
    server: &MockServer,
    client: &OidcClient,
    make: impl FnOnce(&str) -> String,
) -> Result<OAuth2Token, Error> {
    let session = MemorySession::default();
    let url = client
        .oauth2()
        .authorize_redirect(&session, REDIRECT_URI, &[])
        .await?;
    let q = query(&url);
    mount_token_with_id_token(server, make(&q["nonce"])).await;
    client
        .oauth2()
        .authorize_access_token(&session, &callback(&q["state"], "c"))
        .await
}

/// A provider with discovery and one key, which is fetched `jwks_calls`
/// times.
async fn provider(jwks_calls: u64) -> MockServer {
    provider_with(json!({}), jwks_calls).await
}

/// [`provider`] whose discovery document has `metadata` added.
async fn provider_with(metadata: Value, jwks_calls: u64) -> MockServer {
    let server = MockServer::start().await;
    mount_discovery(&server, metadata).await;
    mount_jwks(&server, &[key1()], jwks_calls).await;
    server
}

/// A provider that announces `algs` for its ID tokens and whose key set
/// must not be fetched, and its client.
async fn announcing(algs: Value) -> (MockServer, OidcClient) {
    let metadata = json!({ "id_token_signing_alg_values_supported": algs });
    let server = provider_with(metadata, 0).await;
    let client = oidc_client(oidc_config(&server));
    (server, client)
}

/// A good ID token for the login that sent `nonce`, signed with the
/// provider's key.
fn id_token(server: &MockServer, nonce: &str) -> String {
    sign(key1(), Some("key-1"), &claims(server, nonce))
}

/// A login with `client` that the provider answers with a good ID token.
async fn logged_in(server: &MockServer, client: &OidcClient) -> OAuth2Token {
    oidc_login(server, client, |n| id_token(server, n))
        .await
        .unwrap()
}

/// A login whose ID token carries good claims with `changes` made to
/// them (a null removes the claim).
async fn login_with_claims(changes: Value) -> Result<OAuth2Token, Error> {
    login_with_claims_as(|config| config, changes).await
}

/// [`login_with_claims`] with a client whose configuration `configure`
/// changes.
async fn login_with_claims_as(
    configure: impl FnOnce(ClientConfig) -> ClientConfig,
    changes: Value,
) -> Result<OAuth2Token, Error> {
    let server = provider(1).await;
    let client = oidc_client(configure(oidc_config(&server)));
    oidc_login(&server, &client, |nonce| {
        let mut c = claims(&server, nonce);
        if let (Value::Object(map), Value::Object(changes)) = (&mut c, changes) {
            for (name, value) in changes {
                if value.is_null() {
                    map.remove(&name);
                } else {
                    map.insert(name, value);
                }
            }
        }
        sign(key1(), Some("key-1"), &c)
    })
    .await
}

fn assert_invalid(result: Result<OAuth2Token, Error>, why: &str) {
    match result {
        Err(Error::InvalidIdToken(message)) => assert!(message.contains(why), "{why}: {message}"),
        other => panic!("expected an invalid id_token ({why}), got {other:?}"),
    }
}

/// A login whose ID token has `changes` made to its claims is refused,
/// with a reason that names `why`.
async fn assert_refused_with(changes: Value, why: &str) {
    assert_invalid(login_with_claims(changes).await, why);
}

#[tokio::test]
async fn an_oidc_login_validates_the_id_token_and_keeps_its_claims() {
    let token = login_with_claims(json!({})).await.unwrap();
    let claims = token.id_token_claims.unwrap();
    assert_eq!(claims.sub, "user-1");
    assert_eq!(claims.get_str("email"), Some("ada@example.test"));
}

/// A Google Workspace-style client: one hosted domain, a login of the last
/// five minutes, and a strong enough authentication.
fn demanding(config: ClientConfig) -> ClientConfig {
    ClientConfig {
        claims_options: trilogin_oauth::config::parse_claims_options(
            r#"{"hd": {"essential": true, "value": "example.com"}}"#,
        )
        .unwrap(),
        max_age: Some(time::Duration::minutes(5)),
        acr_values: Some("silver gold".into()),
        ..config
    }
}

#[tokio::test]
async fn claims_options_max_age_and_acr_values_are_asked_for_and_checked() {
    let server = MockServer::start().await;
    mount_discovery(&server, json!({})).await;
    let client = oidc_client(demanding(oidc_config(&server)));
    let url = start_login(client.oauth2(), &MemorySession::default()).await;
    let q = query(&url);
    assert_eq!(q["max_age"], "300");
    assert_eq!(q["acr_values"], "silver gold");

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let good = json!({"hd": "example.com", "auth_time": now - 10, "acr": "gold"});
    let token = login_with_claims_as(demanding, good.clone()).await.unwrap();
    assert_eq!(
        token.id_token_claims.unwrap().get_str("hd"),
        Some("example.com")
    );

    let with = |name: &str, value: Value| {
        let mut claims = good.clone();
        claims[name] = value;
        claims
    };
    for (claims, why) in [
        (with("hd", json!("gmail.com")), "hd is \"gmail.com\""),
        (with("hd", Value::Null), "essential claim hd"),
        (with("auth_time", json!(now - 3600)), "more than max_age"),
        (with("auth_time", Value::Null), "no auth_time"),
        (with("acr", json!("bronze")), "acr bronze"),
        (with("acr", Value::Null), "no acr"),
    ] {
        assert_invalid(login_with_claims_as(demanding, claims).await, why);
    }
}

#[tokio::test]
async fn the_authorization_url_carries_a_nonce_for_openid() {
    let server = MockServer::start().await;
    mount_discovery(&server, json!({})).await;
    let client = oidc_client(oidc_config(&server));
    let url = start_login(client.oauth2(), &MemorySession::default()).await;
    assert_eq!(url.path(), "/authorize", "the discovered endpoint is used");
    assert!(query(&url)["nonce"].len() >= 43);
}

#[tokio::test]
async fn discovery_is_fetched_once_and_explicit_settings_win() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": issuer(&server),
            "authorization_endpoint": format!("{}/discovered-authorize", server.uri()),
            "token_endpoint": format!("{}/token", server.uri()),
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = oidc_client(oidc_config(&server));
    let session = MemorySession::default();
    let first = start_login(client.oauth2(), &session).await;
    start_login(client.oauth2(), &session).await;
    assert_eq!(first.path(), "/discovered-authorize");
}

#[tokio::test]
async fn an_explicit_endpoint_wins_over_the_discovered_one() {
    let server = MockServer::start().await;
    mount_discovery(&server, json!({})).await;
    let config = ClientConfig {
        authorize_url: Some(url(&server, "/configured-authorize")),
        ..oidc_config(&server)
    };
    let url = oidc_client(config)
        .oauth2()
        .authorize_redirect(&MemorySession::default(), REDIRECT_URI, &[])
        .await
        .unwrap();
    assert_eq!(url.path(), "/configured-authorize");
}

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_refused() {
    let server = MockServer::start().await;
    mount_discovery(&server, json!({"issuer": "https://accounts.attacker.test"})).await;
    let result = oidc_client(oidc_config(&server))
        .oauth2()
        .authorize_redirect(&MemorySession::default(), REDIRECT_URI, &[])
        .await;
    assert!(
        matches!(result, Err(Error::IssuerMismatch(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_id_token_signed_by_another_key_is_refused() {
    let server = provider(1).await;
    let client = oidc_client(oidc_config(&server));
    let result = oidc_login(&server, &client, |n| {
        sign(key2(), Some("key-1"), &claims(&server, n))
    })
    .await;
    assert_invalid(result, "signature");
}

#[tokio::test]
async fn an_unsigned_id_token_is_refused() {
    let (server, client) = announcing(json!(["RS256", "none"])).await;
    let result = oidc_login(&server, &client, |n| {
        let b64 =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&claims(&server, n))
        )
    })
    .await;
    assert_invalid(result, "alg");
}

#[tokio::test]
async fn an_hs256_id_token_keyed_with_the_providers_public_key_is_refused() {
    let (server, client) = announcing(json!(["RS256", "HS256"])).await;
    let public_pem = std::fs::read(fixture("test-only-rsa-key-1-public.pem")).unwrap();
    let result = oidc_login(&server, &client, |n| {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("key-1".into());
        jsonwebtoken::encode(
            &header,
            &claims(&server, n),
            &EncodingKey::from_secret(&public_pem),
        )
        .unwrap()
    })
    .await;
    assert_invalid(result, "not allowed");
}

#[tokio::test]
async fn hs256_is_accepted_only_when_configured_and_then_keyed_with_the_client_secret() {
    let server = MockServer::start().await;
    mount_discovery(&server, json!({})).await;
    let config = ClientConfig {
        id_token_signing_alg_values: Some(vec!["HS256".into()]),
        ..oidc_config(&server)
    };
    let client = oidc_client(config);
    let token = oidc_login(&server, &client, |n| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(&server, n),
            &EncodingKey::from_secret(CLIENT_SECRET.as_bytes()),
        )
        .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(token.id_token_claims.unwrap().sub, "user-1");
}

#[tokio::test]
async fn an_id_token_from_another_issuer_is_refused() {
    assert_refused_with(json!({"iss": "https://other.test"}), "iss").await;
}

#[tokio::test]
async fn an_id_token_for_another_client_is_refused() {
    assert_refused_with(json!({"aud": "client-2"}), "aud").await;
}

#[tokio::test]
async fn an_id_token_for_several_audiences_needs_our_azp() {
    assert_refused_with(json!({"aud": [CLIENT_ID, "client-2"]}), "azp").await;
    let theirs = json!({"aud": [CLIENT_ID, "client-2"], "azp": "client-2"});
    assert_refused_with(theirs, "azp").await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_refused_with(json!({"exp": now - 600, "iat": now - 4200}), "expired").await;
}

#[tokio::test]
async fn an_id_token_issued_in_the_future_is_refused() {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_refused_with(json!({"iat": now + 3600}), "future").await;
}

#[tokio::test]
async fn an_id_token_without_sub_is_refused() {
    assert_refused_with(json!({"sub": null}), "sub").await;
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    assert_refused_with(json!({"nonce": "replayed"}), "nonce").await;
}

#[tokio::test]
async fn an_id_token_with_a_wrong_at_hash_is_refused() {
    assert_refused_with(json!({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}), "at_hash").await;
}

#[tokio::test]
async fn a_rotated_key_is_found_after_one_refetch() {
    let server = MockServer::start().await;
    mount_discovery(&server, json!({})).await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[key1()])))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[key1(), key2()])))
        .expect(1)
        .mount(&server)
        .await;
    let client = oidc_client(oidc_config(&server));
    logged_in(&server, &client).await;
    oidc_login(&server, &client, |n| {
        sign(key2(), Some("key-2"), &claims(&server, n))
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn unknown_kids_refetch_the_key_set_at_most_once_a_minute() {
    let server = provider(2).await;
    let client = oidc_client(oidc_config(&server));
    logged_in(&server, &client).await;
    for _ in 0..3 {
        let result = oidc_login(&server, &client, |n| {
            sign(key2(), Some("key-9"), &claims(&server, n))
        })
        .await;
        assert_invalid(result, "kid");
    }
}

#[tokio::test]
async fn a_token_without_kid_needs_exactly_one_fitting_key() {
    let server = provider(1).await;
    let client = oidc_client(oidc_config(&server));
    oidc_login(&server, &client, |n| {
        sign(key1(), None, &claims(&server, n))
    })
    .await
    .unwrap();

    let server = MockServer::start().await;
    mount_discovery(&server, json!({})).await;
    mount_jwks(&server, &[key1(), key2()], 1).await;
    let client = crate::support::oidc_client(oidc_config(&server));
    let result = oidc_login(&server, &client, |n| {
        sign(key1(), None, &claims(&server, n))
    })
    .await;
    assert_invalid(result, "several");
}

#[tokio::test]
async fn a_static_key_set_needs_no_fetch() {
    let server = provider(0).await;
    let config = ClientConfig {
        jwks: Some(jwks(&[key1()])),
        ..oidc_config(&server)
    };
    let client = oidc_client(config);
    logged_in(&server, &client).await;
}

#[tokio::test]
async fn userinfo_is_fetched_with_the_bearer_token_and_must_be_about_the_same_subject() {
    let server = provider(1).await;
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .and(header("authorization", "Bearer at-oidc"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"sub": "user-1", "name": "Ada"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"sub": "someone-else", "name": "Eve"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = oidc_client(oidc_config(&server));
    let token = logged_in(&server, &client).await;
    let info = client.userinfo(&token).await.unwrap();
    assert_eq!(
        (info.sub.as_str(), info.get_str("name")),
        ("user-1", Some("Ada"))
    );
    assert!(matches!(
        client.userinfo(&token).await,
        Err(Error::InvalidUserinfo(_))
    ));
}

#[tokio::test]
async fn the_userinfo_hook_maps_a_non_standard_payload() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 42, "login": "ada"})))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = oauth2_config(&server);
    config.userinfo_endpoint = Some(url(&server, "/userinfo"));
    config.compliance.userinfo = Some(std::sync::Arc::new(
        |v: Value| json!({"sub": v["id"].to_string(), "preferred_username": v["login"]}),
    ));
    let client = oidc_client(config);
    let info = client.userinfo(&token("at", None, 600)).await.unwrap();
    assert_eq!(info.sub, "42");
    assert_eq!(info.get_str("preferred_username"), Some("ada"));
}

#[tokio::test]
async fn the_logout_url_names_the_id_token_and_where_to_come_back() {
    let server = MockServer::start().await;
    mount_discovery(&server, json!({})).await;
    let client = oidc_client(oidc_config(&server));
    let url = client
        .logout_url(
            Some(&IdToken::new("h.p.s")),
            Some("http://127.0.0.1:8080/"),
            Some("st"),
        )
        .await
        .unwrap()
        .unwrap();
    let q = query(&url);
    assert_eq!(url.path(), "/logout");
    assert_eq!(q["id_token_hint"], "h.p.s");
    assert_eq!(q["post_logout_redirect_uri"], "http://127.0.0.1:8080/");
    assert_eq!(q["state"], "st");
    assert_eq!(q["client_id"], CLIENT_ID);
}

#[tokio::test]
async fn discovery_is_fetched_again_once_its_time_to_live_has_passed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": issuer(&server),
            "authorization_endpoint": format!("{}/authorize", server.uri()),
        })))
        .expect(2)
        .mount(&server)
        .await;
    let config = ClientConfig {
        metadata_ttl: time::Duration::ZERO,
        ..oidc_config(&server)
    };
    let client = oidc_client(config);
    let session = MemorySession::default();
    start_login(client.oauth2(), &session).await;
    start_login(client.oauth2(), &session).await;
}

#[tokio::test]
async fn a_form_post_callback_is_finished_from_its_form_fields() {
    let server = provider(1).await;
    let config = ClientConfig {
        authorize_params: [("response_mode".to_owned(), "form_post".to_owned())].into(),
        ..oidc_config(&server)
    };
    let client = oidc_client(config);
    let session = MemorySession::default();
    let url = start_login(client.oauth2(), &session).await;
    let q = query(&url);
    assert_eq!(q["response_mode"], "form_post");
    mount_token_with_id_token(
        &server,
        sign(key1(), Some("key-1"), &claims(&server, &q["nonce"])),
    )
    .await;
    // The form of the POST, decoded as the web layer hands it over.
    let form_body = format!("code=c&state={}&iss={}", q["state"], issuer(&server));
    let params: std::collections::BTreeMap<String, String> =
        url::form_urlencoded::parse(form_body.as_bytes())
            .into_owned()
            .collect();
    client
        .oauth2()
        .authorize_access_token(&session, &params)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_refreshed_id_token_is_validated_and_must_name_the_same_person() {
    let server = provider(1).await;
    let client = oidc_client(oidc_config(&server));
    let token = logged_in(&server, &client).await;

    let mut same = claims(&server, "ignored");
    same.as_object_mut().unwrap().remove("nonce");
    let mut other = same.clone();
    other["sub"] = json!("user-2");
    for (claims, ok) in [(same, true), (other, false)] {
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "at-2",
                "expires_in": 3600,
                "id_token": sign(key1(), Some("key-1"), &claims),
            })))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        let mut old = token.clone();
        old.refresh_token = Some(trilogin_oauth::secret::RefreshToken::new("rt-1"));
        let result = client.oauth2().refresh_token(&old).await;
        assert_eq!(result.is_ok(), ok, "{result:?}");
        if let Ok(new) = result {
            assert_ne!(new.id_token, token.id_token, "the new ID token is kept");
            assert_eq!(new.id_token_claims.unwrap().sub, "user-1");
        }
    }
}

#[tokio::test]
async fn a_refresh_without_an_id_token_keeps_the_old_one_with_its_claims() {
    let server = provider(1).await;
    let client = oidc_client(oidc_config(&server));
    let mut token = logged_in(&server, &client).await;
    token.refresh_token = Some(trilogin_oauth::secret::RefreshToken::new("rt-1"));
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(refreshed()))
        .expect(1)
        .mount(&server)
        .await;
    let new = client.oauth2().refresh_token(&token).await.unwrap();
    assert_eq!(new.access_token.secret(), "at-2");
    assert_eq!(new.id_token, token.id_token);
    assert_eq!(new.id_token_claims, token.id_token_claims);
}

#[tokio::test]
async fn a_refresh_on_access_checks_the_id_token_and_keeps_the_old_token_on_another_subject() {
    let server = provider(1).await;
    let config = ClientConfig {
        api_base_url: Some(url(&server, "/api/")),
        ..oidc_config(&server)
    };
    let client = oidc_client(config);
    let mut stored = logged_in(&server, &client).await;
    stored.refresh_token = Some(trilogin_oauth::secret::RefreshToken::new("rt-1"));
    stored.expires_at = Some(time::OffsetDateTime::now_utc() - time::Duration::seconds(10));

    let mut other = claims(&server, "ignored");
    other["sub"] = json!("user-2");
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "at-2",
            "expires_in": 3600,
            "id_token": sign(key1(), Some("key-1"), &other),
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/me"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let hooks = MemoryHooks::with(stored.clone());
    match trilogin_oauth::ApiVerbs::get(client.oauth2(), "me", &hooks).await {
        Err(Error::InvalidIdToken(message)) => assert!(message.contains("another subject")),
        other => panic!("expected an invalid id_token, got {other:?}"),
    }
    assert_eq!(hooks.update_count(), 0);
    assert_eq!(hooks.stored(), stored);
}

#[tokio::test]
async fn the_registry_makes_a_client_whose_scope_asks_for_openid_an_oidc_client() {
    let server = MockServer::start().await;
    let mut oauth = trilogin_oauth::OAuth::new(http());
    oauth.register("google", oidc_config(&server)).unwrap();
    oauth.register("github", oauth2_config(&server)).unwrap();
    let google = oauth.client("google").unwrap();
    assert!(google.as_oidc().is_some());
    assert_eq!(google.as_oauth2().unwrap().name(), "google");
    assert!(oauth.client("github").unwrap().as_oidc().is_none());
}

#[tokio::test]
async fn a_plain_oauth2_client_refuses_a_scope_asking_for_openid() {
    let server = MockServer::start().await;
    let result = OAuth2Client::new("test", oidc_config(&server), http());
    assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
}
