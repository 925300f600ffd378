//! Every signature placement is accepted by the provider's own check, and a
//! wrong secret is not.

use trilogin_oauth::Error;
use trilogin_oauth::config::SignatureType;
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;
use crate::provider::{Keys, verify};

/// The check itself is right: it accepts RFC 5849 §1.2's published
/// requests and refuses them with a wrong secret or a tampered parameter.
#[test]
fn the_providers_check_accepts_the_rfc_5849_section_1_2_requests_and_nothing_else() {
    let check = |method: &str, url: &str, header: &str, token_secret: &str, secret: &str| {
        let url = Url::parse(url).unwrap();
        verify(
            method,
            &url,
            Some(header),
            None,
            &Keys::shared(secret, token_secret),
        )
    };
    let initiate = "https://photos.example.net/initiate";
    let header = "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
        oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"137131200\", \
        oauth_nonce=\"wIjqoS\", oauth_callback=\"http%3A%2F%2Fprinter.example.com%2Fready\", \
        oauth_signature=\"74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D\"";
    let verified = check("POST", initiate, header, "", "kd94hf93k423kf44").unwrap();
    assert_eq!(verified.placement, "header");
    assert_eq!(verified.realm.as_deref(), Some("Photos"));
    assert!(check("POST", initiate, header, "", "kd94hf93k423kf45").is_err());
    let tampered = header.replace("wIjqoS", "wIjqoT");
    assert!(check("POST", initiate, &tampered, "", "kd94hf93k423kf44").is_err());

    let photos = "http://photos.example.net/photos?file=vacation.jpg&size=original";
    let header = "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
        oauth_token=\"nnch734d00sl2jdk\", oauth_signature_method=\"HMAC-SHA1\", \
        oauth_timestamp=\"137131202\", oauth_nonce=\"chapoH\", \
        oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\"";
    assert!(
        check(
            "GET",
            photos,
            header,
            "pfkkdhi9sl3r4s00",
            "kd94hf93k423kf44"
        )
        .is_ok()
    );
    let other_photo = photos.replace("vacation", "other");
    assert!(
        check(
            "GET",
            &other_photo,
            header,
            "pfkkdhi9sl3r4s00",
            "kd94hf93k423kf44"
        )
        .is_err()
    );
}

/// Runs the whole login and a form POST to the API with `signature_type`,
/// and returns where the provider found the protocol parameters each time.
async fn login_and_post(signature_type: SignatureType) -> Vec<&'static str> {
    let server = provider(1).await;
    let status = "Hello Ladies + Gentlemen, a signed OAuth request! ~ é ☃";
    Mock::given(method("POST"))
        .and(path("/1.1/statuses/update.json"))
        .and(api_signature())
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, signature_type);
    let token = log_in(&client, &MemorySession::default()).await.unwrap();
    let mut req = trilogin_oauth::ApiRequest::post("statuses/update.json")
        .query("include_entities", "true")
        .form("status", status);
    req.headers.push(("x-request".into(), "kept".into()));
    let response = client.request(&req, &token).await.unwrap();
    assert_eq!(response.status(), 200);

    let mut placements = Vec::new();
    for (at, signature) in [
        ("/oauth/request_token", request_token_signature()),
        ("/oauth/access_token", access_token_signature()),
        ("/1.1/statuses/update.json", api_signature()),
    ] {
        let seen = received_at(&server, at, &signature).await;
        assert_eq!(seen.len(), 1, "{at}");
        placements.push(seen[0].placement);
    }
    let requests = server.received_requests().await.unwrap_or_default();
    let update = requests
        .iter()
        .find(|r| r.url.path() == "/1.1/statuses/update.json")
        .unwrap();
    assert_eq!(
        update
            .headers
            .get("x-request")
            .and_then(|h| h.to_str().ok()),
        Some("kept")
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&update.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(form.contains(&("status".into(), status.into())), "{form:?}");
    placements
}

#[tokio::test]
async fn header_signatures_are_accepted_by_the_provider() {
    assert_eq!(login_and_post(SignatureType::Header).await, ["header"; 3]);
}

#[tokio::test]
async fn query_signatures_are_accepted_by_the_provider() {
    assert_eq!(login_and_post(SignatureType::Query).await, ["query"; 3]);
}

#[tokio::test]
async fn body_signatures_are_accepted_by_the_provider() {
    assert_eq!(login_and_post(SignatureType::Body).await, ["body"; 3]);
}

#[tokio::test]
async fn the_realm_travels_in_the_header() {
    let server = MockServer::start().await;
    mount_refusal(&server).await;
    mount_request_token(&server, TEMPORARY_CREDENTIALS, 1).await;
    let mut config = config(&server, SignatureType::Header, CONSUMER_SECRET);
    config.realm = Some("Photos".into());
    let client = client_with(config);
    client
        .authorize_redirect(&MemorySession::default(), CALLBACK)
        .await
        .unwrap();
    let seen = received_at(&server, "/oauth/request_token", &request_token_signature()).await;
    assert_eq!(seen[0].realm.as_deref(), Some("Photos"));
}

#[tokio::test]
async fn a_client_with_the_wrong_secret_is_refused_by_the_provider() {
    for signature_type in [
        SignatureType::Header,
        SignatureType::Query,
        SignatureType::Body,
    ] {
        let server = MockServer::start().await;
        mount_refusal(&server).await;
        mount_request_token(&server, TEMPORARY_CREDENTIALS, 0).await;
        let client = client_with(config(&server, signature_type, "not-the-consumer-secret"));
        let err = client
            .authorize_redirect(&MemorySession::default(), CALLBACK)
            .await
            .unwrap_err();
        match err {
            Error::Provider {
                error,
                status,
                body,
                ..
            } => {
                assert_eq!(error, "signature_invalid");
                assert_eq!(status, 401);
                assert_eq!(body, "oauth_problem=signature_invalid");
            }
            other => panic!("{signature_type:?}: expected Provider, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_api_call_signed_with_another_tokens_secret_is_refused() {
    let server = MockServer::start().await;
    mount_refusal(&server).await;
    mount_timeline(&server, ResponseTemplate::new(200), 0).await;
    let client = client(&server, SignatureType::Header);
    let mut token = access_token();
    token.oauth_token_secret = trilogin_oauth::secret::TokenSecret::new("stolen-token-secret");

    let err = client
        .get("statuses/home_timeline.json", &token)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ReauthorizationRequired { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn every_request_carries_a_fresh_nonce() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1.1/x.json"))
        .and(api_signature())
        .respond_with(ResponseTemplate::new(200))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server, SignatureType::Header);
    client.get("x.json", &access_token()).await.unwrap();
    client.get("x.json", &access_token()).await.unwrap();
    let seen = received_at(&server, "/1.1/x.json", &api_signature()).await;
    assert_ne!(
        seen[0].oauth.get("oauth_nonce"),
        seen[1].oauth.get("oauth_nonce")
    );
}
