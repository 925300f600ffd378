//! Security headers on every kind of response.

use actix_session::storage::SessionStore as _;

use trilogin_testing::spawn_app;

const EXPECTED: [(&str, &str); 4] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'self'; img-src 'self' data: https://avatars.githubusercontent.com https://pbs.twimg.com https://abs.twimg.com https://*.googleusercontent.com; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ),
];

#[tokio::test]
async fn security_headers_are_on_pages_static_files_errors_and_json() {
    let app = spawn_app().await;
    for path in ["/", "/static/style.css", "/nowhere", "/healthz"] {
        let response = app.get(path).await;
        for (name, value) in EXPECTED {
            assert_eq!(
                response.headers().get(name).map(|v| v.to_str().unwrap()),
                Some(value),
                "{name} on {path}"
            );
        }
    }
}

#[test]
fn the_content_security_policy_forbids_inline_script_and_framing() {
    let csp = trilogin::web::headers::CONTENT_SECURITY_POLICY;
    assert!(!csp.contains("unsafe-inline"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(
        !csp.contains("form-action"),
        "would block the redirect to a provider"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let first = app.get("/healthz").await;
    let second = app.get("/healthz").await;
    let id = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert!(id(&first).is_some(), "no request id header");
    assert_ne!(id(&first), id(&second));
}

#[tokio::test]
async fn security_headers_survive_a_failing_session_store() {
    let app = spawn_app().await;
    let key = app
        .state
        .sessions
        .save(Default::default(), &time::Duration::days(1))
        .await
        .unwrap();
    app.plant_session_cookie(&app.session_cookie_value(key.as_ref()));
    trilogin_accounts::db::fixtures::drop_sessions_table(&mut app.db());

    let response = app.get("/").await;
    assert_eq!(response.status(), 500);
    for (name, value) in EXPECTED {
        assert_eq!(
            response.headers().get(name).map(|v| v.to_str().unwrap()),
            Some(value),
            "{name}"
        );
    }
}
