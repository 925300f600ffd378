//! Every signature method, end to end: the provider checks HMAC-SHA256,
//! PLAINTEXT and RSA-SHA1 with its own code, as it does HMAC-SHA1.

use rsa::pkcs8::DecodePrivateKey as _;
use rsa::{RsaPrivateKey, RsaPublicKey};
use trilogin_oauth::config::{SignatureMethod, SignatureType};
use trilogin_oauth::{Error, OAuth1Token};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;
use crate::provider::SignedWith;

/// The RSA-SHA1 test key published with Google's Signet library.
const CLIENT_RSA_KEY: &str = include_str!("fixtures/signet-rsa-sha1-key.pem");
const CLIENT_RSA_KEY_FILE: &str = "tests/oauth1/fixtures/signet-rsa-sha1-key.pem";

fn client_public_key() -> RsaPublicKey {
    RsaPrivateKey::from_pkcs8_pem(CLIENT_RSA_KEY)
        .unwrap()
        .to_public_key()
}

/// The provider's expectations at each step, for `name` and its key.
fn expecting(signature: SignedWith, name: &str, rsa: Option<&RsaPublicKey>) -> SignedWith {
    let signature = signature.with("oauth_signature_method", name);
    match rsa {
        Some(key) => signature.with_rsa(key.clone()),
        None => signature,
    }
}

/// Logs in and calls the API with `method`; the provider checks each call
/// with `provider_key` for RSA-SHA1.
async fn login_and_call(
    method_config: SignatureMethod,
    name: &str,
    provider_key: Option<&RsaPublicKey>,
) -> Result<OAuth1Token, Error> {
    let server = MockServer::start().await;
    mount_refusal(&server).await;
    Mock::given(method("POST"))
        .and(path("/oauth/request_token"))
        .and(expecting(request_token_signature(), name, provider_key))
        .respond_with(ResponseTemplate::new(200).set_body_string(TEMPORARY_CREDENTIALS))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/access_token"))
        .and(expecting(access_token_signature(), name, provider_key))
        .respond_with(ResponseTemplate::new(200).set_body_string(TOKEN_CREDENTIALS))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/1.1/account/verify_credentials.json"))
        .and(expecting(api_signature(), name, provider_key))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;

    let mut config = config(&server, SignatureType::Header, CONSUMER_SECRET);
    config.signature_method = method_config;
    config.rsa_key_file =
        Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CLIENT_RSA_KEY_FILE));
    let client = client_with(config);
    let token = log_in(&client, &MemorySession::default()).await?;
    let response = client
        .get("account/verify_credentials.json", &token)
        .await?;
    assert_eq!(response.status(), 200);
    Ok(token)
}

#[tokio::test]
async fn hmac_sha256_signatures_are_accepted_by_the_provider() {
    let token = login_and_call(SignatureMethod::HmacSha256, "HMAC-SHA256", None).await;
    assert_eq!(token.unwrap().oauth_token.secret(), ACCESS_TOKEN);
}

#[tokio::test]
async fn plaintext_signatures_are_accepted_by_the_provider() {
    let token = login_and_call(SignatureMethod::Plaintext, "PLAINTEXT", None).await;
    assert_eq!(token.unwrap().oauth_token.secret(), ACCESS_TOKEN);
}

#[tokio::test]
async fn rsa_sha1_signatures_from_the_configured_key_file_are_accepted_by_the_provider() {
    let public = client_public_key();
    let token = login_and_call(SignatureMethod::RsaSha1, "RSA-SHA1", Some(&public)).await;
    assert_eq!(token.unwrap().oauth_token.secret(), ACCESS_TOKEN);
}

#[tokio::test]
async fn rsa_sha1_signatures_fail_against_another_public_key() {
    let other = RsaPrivateKey::new(&mut rand::rngs::OsRng, 1024)
        .unwrap()
        .to_public_key();
    let err = login_and_call(SignatureMethod::RsaSha1, "RSA-SHA1", Some(&other))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider { status: 401, .. }),
        "{err:?}"
    );
}
