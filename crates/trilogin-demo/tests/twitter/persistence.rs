//! Issued access tokens outlive the provider that issued them.

use reqwest::StatusCode;

use crate::support::*;

#[tokio::test]
async fn access_tokens_survive_a_rebuild_of_the_demo_providers_on_the_same_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let first = spawn_in(dir.path()).await;
    let kept = login(&first, "zoe").await;
    let dropped = login(&first, "ada").await;
    let response = invalidate(&first, &dropped).await;
    assert_eq!(response.status(), StatusCode::OK);
    first.stop().await;

    let second = spawn_in(dir.path()).await;
    let path = "1.1/account/verify_credentials.json";
    let response = api_get(&second, &kept.signer(), path, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let user: serde_json::Value = response.json().await.unwrap();
    assert_eq!(user["id_str"], kept.user_id.as_str());

    let response = api_get(&second, &dropped.signer(), path, &[]).await;
    assert_twitter_error(response, StatusCode::UNAUTHORIZED, 89).await;

    let saved = std::fs::read_to_string(dir.path().join("demo-twitter.json")).unwrap();
    assert!(saved.contains(&kept.token));
    assert!(!saved.contains(&dropped.token));
    second.stop().await;
}
