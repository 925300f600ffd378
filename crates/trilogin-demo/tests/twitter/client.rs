//! The site's own OAuth 1.0a client against demo Twitter: two independent
//! implementations of RFC 5849 that must agree on the wire.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use trilogin_demo::{TWITTER_CLIENT_ID, TWITTER_CLIENT_SECRET};
use trilogin_oauth::config::SignatureMethod;
use trilogin_oauth::oauth1::OAuth1Client;
use trilogin_oauth::secret::ClientSecret;
use trilogin_oauth::{ClientConfig, Error};
use url::Url;

use crate::support::*;

/// One browser's server-side session.
use trilogin_oauth::session::MemoryLoginSession as Session;

/// The client as the site registers demo Twitter.
fn client(
    server: &TestServer,
    method: SignatureMethod,
    rsa_key_file: Option<&std::path::Path>,
) -> OAuth1Client {
    let url = |path: &str| Some(Url::parse(&server.url(path)).unwrap());
    let config = ClientConfig {
        client_id: TWITTER_CLIENT_ID.to_owned(),
        client_secret: Some(ClientSecret::new(TWITTER_CLIENT_SECRET)),
        request_token_url: url("oauth/request_token"),
        authorize_url: url("oauth/authenticate"),
        access_token_url: url("oauth/access_token"),
        api_base_url: url("1.1/"),
        signature_method: method,
        rsa_key_file: rsa_key_file.map(std::path::Path::to_path_buf),
        ..ClientConfig::default()
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    OAuth1Client::new("twitter", config, http).unwrap()
}

/// The browser's part: the consent page and the form, up to the callback's query.
async fn consent(server: &TestServer, authorize: &Url, decision: &str) -> BTreeMap<String, String> {
    let token = authorize
        .query_pairs()
        .find(|(n, _)| n == "oauth_token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let (_, consent_id) = consent_page(server, &token).await;
    let response = decide(server, &token, &consent_id, decision, "grace").await;
    callback_params(server, &response).into_iter().collect()
}

#[tokio::test]
async fn the_sites_client_logs_in_and_reads_the_timeline() {
    let server = spawn().await;
    let client = client(&server, SignatureMethod::HmacSha1, None);
    let session = Session::default();

    let authorize = client
        .authorize_redirect(&session, &server.callback)
        .await
        .unwrap();
    assert!(
        authorize
            .as_str()
            .starts_with(&server.url("oauth/authenticate"))
    );
    let callback = consent(&server, &authorize, "authorize").await;
    let token = client
        .authorize_access_token(&session, &callback)
        .await
        .unwrap();
    assert_eq!(token.extra["screen_name"], "amazing_grace");
    assert_eq!(token.extra["user_id"], "1457812345678901250");

    let response = client
        .get(
            "statuses/home_timeline.json?count=3&tweet_mode=extended",
            &token,
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tweets: Vec<serde_json::Value> = response.json().await.unwrap();
    assert_eq!(tweets.len(), 3);

    let response = client
        .post("oauth/invalidate_token", &[], &token)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let refused = client
        .get("account/verify_credentials.json", &token)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::ReauthorizationRequired { reason } if reason.contains("\"code\":89")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn the_sites_client_sees_a_denied_consent() {
    let server = spawn().await;
    let client = client(&server, SignatureMethod::HmacSha256, None);
    let session = Session::default();
    let authorize = client
        .authorize_redirect(&session, &server.callback)
        .await
        .unwrap();
    let callback = consent(&server, &authorize, "deny").await;
    let refused = client
        .authorize_access_token(&session, &callback)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::AccessDenied { .. }), "{refused:?}");
}

#[tokio::test]
async fn the_sites_client_signs_with_rsa_sha1_against_the_registered_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = rsa_key();
    let public = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    std::fs::write(dir.path().join("demo-twitter-consumer.pub.pem"), public).unwrap();
    let private_file = dir.path().join("consumer.key.pem");
    std::fs::write(
        &private_file,
        key.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();

    let server = spawn_in(dir.path()).await;
    let client = client(&server, SignatureMethod::RsaSha1, Some(&private_file));
    let session = Session::default();
    let authorize = client
        .authorize_redirect(&session, &server.callback)
        .await
        .unwrap();
    let callback = consent(&server, &authorize, "authorize").await;
    let token = client
        .authorize_access_token(&session, &callback)
        .await
        .unwrap();
    let response = client
        .get("account/verify_credentials.json?include_email=true", &token)
        .await
        .unwrap();
    let user: serde_json::Value = response.json().await.unwrap();
    assert_eq!(user["email"], "grace@example.org");
    server.stop().await;
}
