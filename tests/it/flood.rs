//! Abuse by volume: anonymous login starts cannot fill the disk, and one
//! address that starts logins too fast gets a 429 page.

use futures_util::StreamExt as _;
use trilogin_accounts::db::fixtures::{count_rows, session_rows};
use trilogin_accounts::db::maintenance::purge_expired;
use trilogin_accounts::db::{self, Conn};

use trilogin::config::TrustedProxies;
use trilogin_testing::{spawn_app, spawn_app_with};

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_thousand_anonymous_login_starts_leave_a_small_database_after_one_purge() {
    const STARTS: usize = 20_000;
    let app = spawn_app_with(|config| config.login_rate_limit = 0).await;
    // No cookie store: every request is a new anonymous visitor.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = app.url("/login/github");
    let statuses: Vec<u16> = futures_util::stream::iter(0..STARTS)
        .map(|_| {
            let request = client.get(&url).send();
            async move { request.await.unwrap().status().as_u16() }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 303), "every start redirects");

    let mut conn = app.db();
    let rows = |conn: &mut Conn| {
        (
            count_rows(conn, "sessions"),
            count_rows(conn, "pending_logins"),
        )
    };
    assert_eq!(rows(&mut conn), (STARTS as i64, STARTS as i64));
    let latest = session_rows(&mut conn)
        .into_iter()
        .map(|(_, _, expires_at)| expires_at)
        .max()
        .unwrap();
    let ten_minutes = db::now() + time::Duration::minutes(10);
    assert!(
        latest <= ten_minutes,
        "an anonymous session lives 10 minutes, not {latest}"
    );

    // The periodic purge, once they have all expired.
    let later = db::now() + time::Duration::minutes(11);
    let purged = purge_expired(&mut conn, later).unwrap();
    assert_eq!((purged.sessions, purged.pending_logins), (STARTS, STARTS));
    assert_eq!(rows(&mut conn), (0, 0));
    let db = app.dir.path().join("app.db");
    let wal = app.dir.path().join("app.db-wal");
    let total = file_size(&db) + file_size(&wal);
    assert!(
        total < 20 * 1024 * 1024,
        "database {} + WAL {} bytes after the purge",
        file_size(&db),
        file_size(&wal)
    );
}

#[tokio::test]
async fn starting_logins_too_fast_from_one_address_gets_a_429_page_and_stores_nothing() {
    let app = spawn_app_with(|config| config.login_rate_limit = 3).await;
    let anonymous = || app.browser();
    for _ in 0..3 {
        assert_eq!(anonymous().get("/login/github").await.status(), 303);
    }
    let refused = anonymous().get("/login/github").await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=20).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    let page = refused.text().await.unwrap();
    assert!(page.contains("<title>"), "a full page: {page}");
    assert!(page.contains("Too many logins were started"), "{page}");
    assert!(
        page.contains(&format!("wait {retry_after} second")),
        "{page}"
    );
    let stored = count_rows(&mut app.db(), "sessions");
    assert_eq!(stored, 3, "the refused start stored no session");
    // Other pages are not limited.
    assert_eq!(anonymous().get("/").await.status(), 200);
}

#[tokio::test]
async fn the_default_login_rate_limit_lets_a_person_start_several_logins() {
    let app = spawn_app().await;
    for _ in 0..10 {
        assert_eq!(app.get("/login/google").await.status(), 303);
    }
}

/// `GET /login/github` as sent through a proxy that appended
/// `forwarded_for` to `X-Forwarded-For`; the status.
async fn start_forwarded(app: &trilogin_testing::TestApp, forwarded_for: &str) -> u16 {
    app.browser()
        .client
        .get(app.url("/login/github"))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_an_allowance_of_its_own() {
    let app = spawn_app_with(|config| {
        config.login_rate_limit = 2;
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    for _ in 0..2 {
        assert_eq!(start_forwarded(&app, "198.51.100.1").await, 303);
    }
    assert_eq!(start_forwarded(&app, "198.51.100.1").await, 429);
    assert_eq!(
        start_forwarded(&app, "198.51.100.2").await,
        303,
        "another client behind the same proxy is not refused"
    );
    // What the client wrote itself stands left of what its proxy appended,
    // and does not change whom it is counted as.
    assert_eq!(
        start_forwarded(&app, "203.0.113.7, 198.51.100.1").await,
        429
    );
}

#[tokio::test]
async fn without_trusted_proxies_x_forwarded_for_does_not_escape_the_limit() {
    let app = spawn_app_with(|config| config.login_rate_limit = 2).await;
    for client in ["198.51.100.1", "198.51.100.2"] {
        assert_eq!(start_forwarded(&app, client).await, 303);
    }
    assert_eq!(
        start_forwarded(&app, "198.51.100.3").await,
        429,
        "every start came from 127.0.0.1, whatever the header said"
    );
}
