//! `/healthz`.

use trilogin_testing::spawn_app;

#[tokio::test]
async fn healthz_reports_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let backend = trilogin_accounts::db::fixtures::test_backend();
    assert_eq!(
        body,
        serde_json::json!({"status": "ok", "database": "ok", "backend": backend})
    );
}

#[tokio::test]
async fn healthz_reports_503_when_no_database_connection_is_available() {
    let app = spawn_app().await;
    // Hold every pooled connection: the check cannot reach the database.
    let held: Vec<_> = (0..app.state.services.pool.max_size())
        .map(|_| app.state.services.pool.get().unwrap())
        .collect();
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(
        body["backend"],
        trilogin_accounts::db::fixtures::test_backend()
    );
    drop(held);
    assert_eq!(app.get("/healthz").await.status(), 200);
}
