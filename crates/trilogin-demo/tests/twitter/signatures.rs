//! Signature, consumer, timestamp and nonce checks, on every signature
//! method and parameter placement.

use reqwest::{Method, StatusCode};
use rsa::pkcs8::{EncodePublicKey as _, LineEnding};

use crate::support::*;

/// Asks for a request token with `signer`.
async fn ask(server: &TestServer, signer: &Signer) -> reqwest::Response {
    let callback = [("oauth_callback", server.callback.as_str())];
    ask_for_request_token(server, signer, &[("x_auth_access_type", "read")], &callback)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signatures_are_accepted_from_the_header_the_query_and_the_body() {
    let server = spawn().await;
    for placement in [Placement::Header, Placement::Query, Placement::Body] {
        let signer = Signer {
            placement,
            ..Signer::consumer()
        };
        let response = ask(&server, &signer).await;
        assert_eq!(response.status(), StatusCode::OK, "{placement:?}");
    }

    let account = login(&server, "ada").await;
    for placement in [Placement::Header, Placement::Query] {
        let signer = Signer {
            placement,
            ..account.signer()
        };
        let response = api_get(
            &server,
            &signer,
            "1.1/statuses/user_timeline.json",
            &[("count", "2"), ("screen_name", "zoe_om")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{placement:?}");
        let tweets: Vec<serde_json::Value> = response.json().await.unwrap();
        assert_eq!(tweets.len(), 2);
    }
}

#[tokio::test]
async fn a_signature_over_other_parameters_is_refused_with_code_32() {
    let server = spawn().await;
    let account = login(&server, "ada").await;
    let signed = account.signer().request(
        &server.client,
        Method::GET,
        &server.url("1.1/statuses/user_timeline.json"),
        &[("count", "2")],
        &[],
    );
    // The same signature on a request that asks for something else.
    let mut tampered = signed.build().unwrap();
    tampered.url_mut().set_query(Some("count=200"));
    let response = server.client.execute(tampered).await.unwrap();
    assert_twitter_error(response, StatusCode::UNAUTHORIZED, 32).await;
}

#[tokio::test]
async fn a_wrong_consumer_secret_or_token_secret_is_refused_with_code_32() {
    let server = spawn().await;
    let wrong_consumer = Signer {
        consumer_secret: "not-the-secret".into(),
        ..Signer::consumer()
    };
    assert_twitter_error(
        ask(&server, &wrong_consumer).await,
        StatusCode::UNAUTHORIZED,
        32,
    )
    .await;

    let account = login(&server, "grace").await;
    let wrong_token_secret = Signer {
        token_secret: "not-the-token-secret".into(),
        ..account.signer()
    };
    let response = api_get(
        &server,
        &wrong_token_secret,
        "1.1/account/verify_credentials.json",
        &[],
    )
    .await;
    assert_twitter_error(response, StatusCode::UNAUTHORIZED, 32).await;
}

#[tokio::test]
async fn an_unknown_consumer_key_is_refused_with_code_32() {
    let server = spawn().await;
    let stranger = Signer {
        consumer_key: "someone-else".into(),
        ..Signer::consumer()
    };
    let response = ask(&server, &stranger).await;
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("OAuth")
    );
    assert_twitter_error(response, StatusCode::UNAUTHORIZED, 32).await;
}

#[tokio::test]
async fn timestamps_more_than_five_minutes_away_are_refused() {
    let server = spawn().await;
    for offset in [-301, 301] {
        let stale = Signer {
            timestamp: Some(unix_now() + offset),
            ..Signer::consumer()
        };
        assert_twitter_error(ask(&server, &stale).await, StatusCode::UNAUTHORIZED, 32).await;
    }
    let slightly_off = Signer {
        timestamp: Some(unix_now() - 200),
        ..Signer::consumer()
    };
    assert_eq!(ask(&server, &slightly_off).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_replayed_nonce_is_refused() {
    let server = spawn().await;
    let once = Signer {
        nonce: Some("the-same-nonce".into()),
        timestamp: Some(unix_now()),
        ..Signer::consumer()
    };
    assert_eq!(ask(&server, &once).await.status(), StatusCode::OK);
    assert_twitter_error(ask(&server, &once).await, StatusCode::UNAUTHORIZED, 32).await;

    let account = login(&server, "ada").await;
    let api = Signer {
        nonce: Some("api-nonce".into()),
        timestamp: Some(unix_now()),
        ..account.signer()
    };
    let path = "1.1/account/verify_credentials.json";
    assert_eq!(
        api_get(&server, &api, path, &[]).await.status(),
        StatusCode::OK
    );
    assert_twitter_error(
        api_get(&server, &api, path, &[]).await,
        StatusCode::UNAUTHORIZED,
        32,
    )
    .await;
}

#[tokio::test]
async fn hmac_sha256_is_accepted_and_plaintext_is_not() {
    let server = spawn().await;
    let sha256 = Signer {
        method: "HMAC-SHA256",
        ..Signer::consumer()
    };
    assert_eq!(ask(&server, &sha256).await.status(), StatusCode::OK);

    let plaintext = Signer {
        method: "PLAINTEXT",
        ..Signer::consumer()
    };
    assert_twitter_error(ask(&server, &plaintext).await, StatusCode::UNAUTHORIZED, 32).await;
}

#[tokio::test]
async fn rsa_sha1_is_accepted_once_the_consumer_key_is_registered() {
    let server = spawn().await;
    let key = rsa_key();
    let rsa = Signer {
        method: "RSA-SHA1",
        rsa_key: Some(key.clone()),
        ..Signer::consumer()
    };
    assert_twitter_error(ask(&server, &rsa).await, StatusCode::UNAUTHORIZED, 32).await;

    let pem = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    server.twitter().set_consumer_rsa_public_key(&pem).unwrap();
    assert_eq!(ask(&server, &rsa).await.status(), StatusCode::OK);

    // Another key's signature still fails.
    let other = Signer {
        rsa_key: Some(rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap()),
        ..rsa
    };
    assert_twitter_error(ask(&server, &other).await, StatusCode::UNAUTHORIZED, 32).await;
    assert!(
        server
            .twitter()
            .set_consumer_rsa_public_key("not a key")
            .is_err()
    );
}

#[tokio::test]
async fn rsa_sha1_uses_the_public_key_file_in_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let key = rsa_key();
    let pem = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    std::fs::write(dir.path().join("demo-twitter-consumer.pub.pem"), pem).unwrap();
    let server = spawn_in(dir.path()).await;
    let rsa = Signer {
        method: "RSA-SHA1",
        rsa_key: Some(key),
        ..Signer::consumer()
    };
    assert_eq!(ask(&server, &rsa).await.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn a_request_without_oauth_parameters_is_refused_with_code_215() {
    let server = spawn().await;
    let response = server
        .client
        .post(server.url("oauth/request_token"))
        .send()
        .await
        .unwrap();
    assert_twitter_error(response, StatusCode::BAD_REQUEST, 215).await;
}

#[tokio::test]
async fn the_signed_url_is_the_configured_app_url_whatever_the_request_headers_say() {
    let server = spawn().await;
    // Signed for the public URL, received with a proxy's Host and forwarding headers.
    let callback = [("oauth_callback", server.callback.as_str())];
    let behind_proxy = ask_for_request_token(&server, &Signer::consumer(), &[], &callback)
        .header("Host", "backend.internal:9000")
        .header("X-Forwarded-Host", "evil.example")
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(behind_proxy.status(), StatusCode::OK);

    // Signed for the host the forwarding headers name: not what this site is.
    let signed_elsewhere = Signer::consumer().request(
        &server.client,
        Method::POST,
        "https://evil.example/_demo/twitter/oauth/request_token",
        &[],
        &callback,
    );
    let mut request = signed_elsewhere.build().unwrap();
    *request.url_mut() = url::Url::parse(&server.url("oauth/request_token")).unwrap();
    request
        .headers_mut()
        .insert("X-Forwarded-Host", "evil.example".parse().unwrap());
    request
        .headers_mut()
        .insert("X-Forwarded-Proto", "https".parse().unwrap());
    let response = server.client.execute(request).await.unwrap();
    assert_twitter_error(response, StatusCode::UNAUTHORIZED, 32).await;
}
