//! Starting the real app for a test: a random loopback port, a temporary
//! SQLite file and a fresh secret key, plus a client that keeps cookies and
//! never follows redirects.

// Set-up fails loudly: a test that cannot start has nothing to check.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test set-up helpers fail loudly"
)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::cookie::{Cookie, CookieJar};
use actix_web::dev::ServerHandle;
use reqwest::cookie::Jar;
use tempfile::TempDir;
use tokio::task::JoinHandle;
use trilogin::config::{Config, SecretKey};
use trilogin::startup::{AppState, Application, SESSION_COOKIE};
use trilogin::web::session_store::cookie_key;
use trilogin_accounts::db::connections::{
    self, NewConnection, StoredOAuth1Token, StoredOAuth2Token,
};
use trilogin_accounts::db::fixtures::ScratchDatabase;
use trilogin_accounts::db::{Database, DbConnection};
use trilogin_accounts::{Provider, UserId};
use trilogin_oauth::secret::random_token;

/// A running app and what a test needs to poke at it.
pub struct TestApp {
    /// The origin, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub address: String,
    /// The bound port.
    pub port: u16,
    /// Keeps cookies (see `cookies`), never follows redirects.
    pub client: reqwest::Client,
    /// The client's cookie jar, to plant cookies.
    pub cookies: Arc<Jar>,
    /// The test's database and the folder of its generated state; removed
    /// on drop.
    pub dir: Arc<TestData>,
    /// The configuration the app started with (before the port was filled in).
    pub config: Config,
    /// The running app's shared state.
    pub state: Arc<AppState>,
    /// Where [`TestApp::url`] points: the bound socket over plain http,
    /// which is `address` too unless a test sets an `APP_URL` the test
    /// cannot reach (https, or a host off loopback).
    socket: String,
    handle: ServerHandle,
    task: JoinHandle<std::io::Result<()>>,
}

/// What one test's app keeps: a database of its own (a SQLite file in the
/// folder, or a PostgreSQL database when `TEST_DATABASE_URL` names a
/// server) and the folder of its generated state. Both go with it.
pub struct TestData {
    /// The database; dropped first.
    pub database: ScratchDatabase,
    /// `DATA_DIR`, which also holds a SQLite file.
    pub dir: TempDir,
}

impl TestData {
    /// A new, empty database and folder.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let database = ScratchDatabase::new(dir.path());
        Self { database, dir }
    }

    /// A new database on the PostgreSQL server of `TEST_DATABASE_URL`,
    /// whichever backend the other tests use.
    pub fn on_postgres() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let database = ScratchDatabase::on_postgres();
        Self { database, dir }
    }

    /// The folder.
    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Default for TestData {
    fn default() -> Self {
        Self::new()
    }
}

/// A configuration for tests: loopback, port 0, the database and folder of
/// `data`, a random `SECRET_KEY`, demo providers on for every unconfigured
/// provider.
pub fn test_config(data: &TestData) -> Config {
    let database_url = match &data.database.database {
        Database::Sqlite(path) => path.to_string_lossy().into_owned(),
        Database::Postgres(url) => url.clone(),
    };
    let vars = BTreeMap::from([
        ("APP_URL".to_owned(), "http://127.0.0.1:0".to_owned()),
        ("BIND".to_owned(), "127.0.0.1:0".to_owned()),
        ("DATABASE_URL".to_owned(), database_url),
        (
            "DATA_DIR".to_owned(),
            data.path().to_string_lossy().into_owned(),
        ),
        ("SECRET_KEY".to_owned(), random_token(48)),
    ]);
    Config::from_lookup(|key| vars.get(key).cloned()).expect("test configuration")
}

/// Starts the app with the test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with the test configuration changed by `change`.
/// Set `TEST_LOG=debug` (any `RUST_LOG` filter) to see the app's logs.
pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_on_with(TestData::new(), change).await
}

/// Starts the app with the test configuration on `data`.
pub async fn spawn_app_on(data: TestData) -> TestApp {
    spawn_app_on_with(data, |_| {}).await
}

async fn spawn_app_on_with(data: TestData, change: impl FnOnce(&mut Config)) -> TestApp {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        trilogin::telemetry::init(&filter).expect("TEST_LOG is a log filter");
    }
    let dir = Arc::new(data);
    let mut config = test_config(&dir);
    change(&mut config);
    let cookies = Arc::new(Jar::default());
    start(config, dir, cookies).await
}

async fn start(config: Config, dir: Arc<TestData>, cookies: Arc<Jar>) -> TestApp {
    let app = Application::build(config.clone())
        .await
        .expect("the app starts");
    let client = reqwest::Client::builder()
        .cookie_provider(cookies.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("test client");
    let address = app.address().to_owned();
    let port = app.port();
    let socket = format!("http://{}", SocketAddr::new(config.bind.ip(), port));
    let state = app.state();
    let handle = app.handle();
    let task = tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        port,
        client,
        cookies,
        dir,
        config,
        state,
        socket,
        handle,
        task,
    }
}

/// Another browser on the same app: a client with cookies of its own.
pub struct Browser {
    /// Keeps cookies, never follows redirects.
    pub client: reqwest::Client,
    /// The app's origin.
    pub address: String,
}

impl Browser {
    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request reaches the app")
    }
}

impl TestApp {
    /// A new browser on this app, with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("test client"),
            address: self.address.clone(),
        }
    }

    /// The absolute URL of `path` at the bound socket.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.socket)
    }

    /// `GET path` with the test client.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the app")
    }

    /// `GET path` and the body, asserting the status.
    pub async fn get_page(&self, path: &str, status: u16) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status().as_u16(), status, "GET {path}");
        response.text().await.expect("body")
    }

    /// `POST path` with a form body.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request reaches the app")
    }

    /// Presses a button of the account page: posts its form to `path` with
    /// the CSRF token the page carries.
    pub async fn press(&self, path: &str) -> reqwest::Response {
        let page = self.get_page("/account", 200).await;
        let csrf = csrf_token_in(&page).expect("the account page has a CSRF token");
        self.post_form(path, &[("csrf_token", &csrf)]).await
    }

    /// Gives the browser a session in which `user_id` is logged in, as a
    /// finished login would, without going through a provider.
    pub async fn plant_logged_in_session(&self, user_id: UserId) {
        use actix_session::storage::SessionStore as _;
        let state = std::collections::HashMap::from([("user_id".to_owned(), user_id.to_string())]);
        let key = self
            .state
            .sessions
            .save(state, &time::Duration::days(1))
            .await
            .expect("session saved");
        self.plant_session_cookie(&self.session_cookie_value(key.as_ref()));
    }

    /// A connection to the app's database.
    pub fn db(&self) -> DbConnection {
        self.state.services.pool.get().expect("database connection")
    }

    /// Stores `new` straight into the app's database, as a finished login would.
    pub fn save_connection(&self, new: &NewConnection<'_>) {
        connections::save(&mut self.db(), &self.state.services.cipher, new)
            .expect("connection saved");
    }

    /// User `user_id`'s stored OAuth 2.0 connection to `provider`, opened.
    pub fn stored_oauth2(&self, user_id: UserId, provider: Provider) -> Option<StoredOAuth2Token> {
        connections::load_oauth2(
            &mut self.db(),
            &self.state.services.cipher,
            user_id,
            provider,
        )
        .expect("stored token opens")
    }

    /// User `user_id`'s stored OAuth 1.0a connection to `provider`, opened.
    pub fn stored_oauth1(&self, user_id: UserId, provider: Provider) -> Option<StoredOAuth1Token> {
        connections::load_oauth1(
            &mut self.db(),
            &self.state.services.cipher,
            user_id,
            provider,
        )
        .expect("stored token opens")
    }

    /// The session cookie value that carries `session_key`, encrypted the
    /// way the app does it.
    pub fn session_cookie_value(&self, session_key: &str) -> String {
        let secret: SecretKey = self.config.resolve_secret_key().expect("secret key");
        let mut jar = CookieJar::new();
        jar.private_mut(&cookie_key(&secret))
            .add(Cookie::new(SESSION_COOKIE, session_key.to_owned()));
        jar.get(SESSION_COOKIE)
            .expect("cookie just added")
            .value()
            .to_owned()
    }

    /// Puts `value` into the client's cookie jar as the session cookie.
    pub fn plant_session_cookie(&self, value: &str) {
        let url = self.address.parse().expect("app address");
        self.cookies
            .add_cookie_str(&format!("{SESSION_COOKIE}={value}; Path=/"), &url);
    }

    /// A second app process on the same database and secret key, as a site
    /// that runs several processes has; its browser has cookies of its own.
    pub async fn spawn_beside(&self, change: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = self.config.clone();
        config
            .app_url
            .set_port(Some(0))
            .expect("an http URL takes a port");
        config.bind.set_port(0);
        change(&mut config);
        start(config, self.dir.clone(), Arc::new(Jar::default())).await
    }

    /// Stops the server and waits until it has let go of its port.
    pub async fn stop(self) -> (Config, Arc<TestData>, Arc<Jar>) {
        self.handle.stop(true).await;
        let _ = self.task.await;
        (self.config, self.dir, self.cookies)
    }

    /// Stops the app and starts it again on the same database and key;
    /// the client keeps its cookies.
    pub async fn restart(self) -> TestApp {
        let (config, dir, cookies) = self.stop().await;
        start(config, dir, cookies).await
    }
}

/// Where a redirect points (the `Location` header), asserting a 3xx status.
pub fn location(response: &reqwest::Response) -> String {
    assert!(
        response.status().is_redirection(),
        "expected a redirect, got {}",
        response.status()
    );
    response.headers()["location"]
        .to_str()
        .expect("ASCII location")
        .to_owned()
}

/// The CSRF token of the first form in `page` (`name="csrf_token" value="..."`).
pub fn csrf_token_in(page: &str) -> Option<String> {
    let marker = r#"name="csrf_token" value=""#;
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_owned())
}
