//! Rate limits: a client out of calls waits for the provider's reset
//! instead of collecting refusals.

use serde_json::json;
use time::OffsetDateTime;
use trilogin_oauth::{ApiVerbs, Error};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

fn in_seconds(seconds: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::seconds(seconds))
        .unix_timestamp()
        .to_string()
}

#[tokio::test]
async fn after_the_last_call_of_the_window_nothing_is_sent_until_the_reset() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", in_seconds(600).as_str())
                .set_body_json(json!({"login": "ada"})),
        )
        // The last call of the window and another person's call.
        .expect(2)
        .mount(&server)
        .await;
    let client = client(oauth2_config(&server));
    let hooks = stored_token_expiring_in(3600);
    let last = client.get("me", &hooks).await.unwrap();
    assert_eq!(
        last.status(),
        200,
        "the last call of the window is answered"
    );
    let next = client.get("me", &hooks).await;
    let Err(Error::RateLimited { until }) = next else {
        panic!("the call after the last one went out: {next:?}");
    };
    let wait = until - OffsetDateTime::now_utc();
    assert!(wait > time::Duration::seconds(590), "{wait}");
    // A person with another token is not held back.
    let other = MemoryHooks::with(token("someone-else", None, 3600));
    assert!(client.get("me", &other).await.is_ok());
}

#[tokio::test]
async fn a_secondary_limit_is_honoured_for_its_retry_after() {
    for status in [403, 429] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/me"))
            .respond_with(ResponseTemplate::new(status).insert_header("retry-after", "120"))
            .expect(1)
            .mount(&server)
            .await;
        let client = client(oauth2_config(&server));
        let hooks = stored_token_expiring_in(3600);
        for attempt in ["refused", "not sent"] {
            let result = client.get("me", &hooks).await;
            assert!(
                matches!(result, Err(Error::RateLimited { .. })),
                "{status} {attempt}: {result:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_forbidden_answer_without_limit_headers_is_the_callers_to_read() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"message": "no"})))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(oauth2_config(&server));
    let hooks = stored_token_expiring_in(3600);
    for _ in 0..2 {
        assert_eq!(client.get("me", &hooks).await.unwrap().status(), 403);
    }
}
