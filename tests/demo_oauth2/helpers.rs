//! A demo-provider server on a random loopback port, and small HTTP helpers.

use std::net::TcpListener;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::{App, HttpServer};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use trilogin_demo::google::{DemoGoogle, KEYS_DIR};
use trilogin_demo::{DemoConfig, DemoProviders};
use url::Url;

/// A running server with the demo GitHub and Google providers.
pub struct TestServer {
    pub config: DemoConfig,
    pub providers: DemoProviders,
    pub client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
    _data_dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Starts a server on a fresh data directory (with a copy of a signing
    /// key made once per test run: RSA key generation is the slow part).
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_signing_key(dir.path());
        let path = dir.path().to_owned();
        let mut server = Self::start_on(&path).await;
        server._data_dir = Some(dir);
        server
    }

    /// Starts a server keeping its state in `data_dir`.
    pub async fn start_on(data_dir: &Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = DemoConfig {
            app_url: Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
            data_dir: data_dir.to_owned(),
            access_token_ttl: Duration::from_secs(8 * 3600),
            refresh_token_ttl: Duration::from_secs(180 * 86_400),
        };
        let providers = DemoProviders::new(&config, &["github", "google"]).unwrap();
        let mounted = providers.clone();
        let server = HttpServer::new(move || {
            let mounted = mounted.clone();
            App::new().configure(move |cfg| mounted.configure(cfg))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Self {
            config,
            providers,
            client,
            handle,
            _data_dir: None,
        }
    }

    /// Stops the server (the data directory stays).
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }

    /// `{app_url}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.config.app_url.as_str().trim_end_matches('/'),
            path
        )
    }

    /// The registered redirect URI of `provider`.
    pub fn redirect_uri(&self, provider: &str) -> String {
        self.config.redirect_uri(provider)
    }
}

fn copy_signing_key(data_dir: &Path) {
    static TEMPLATE: OnceLock<tempfile::TempDir> = OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let config = DemoConfig {
            app_url: Url::parse("http://127.0.0.1:1").unwrap(),
            data_dir: dir.path().to_owned(),
            access_token_ttl: Duration::from_secs(60),
            refresh_token_ttl: Duration::from_secs(60),
        };
        DemoGoogle::new(&config).unwrap();
        dir
    });
    let from = template.path().join(KEYS_DIR);
    let to = data_dir.join(KEYS_DIR);
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// The hidden consent id in a consent page.
pub fn consent_id(html: &str) -> String {
    let marker = "name=\"consent_id\" value=\"";
    let start = html.find(marker).expect("consent page has a consent id") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// The `Location` of a redirect, parsed.
pub fn location(response: &reqwest::Response) -> Url {
    let value = response
        .headers()
        .get("location")
        .expect("a redirect has a Location")
        .to_str()
        .unwrap();
    Url::parse(value).unwrap()
}

/// One query parameter of a URL.
pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A fresh PKCE verifier and its S256 challenge, computed here (RFC 7636 §4.2).
pub fn pkce_pair() -> (String, String) {
    let verifier = format!("verifier-{}", URL_SAFE_NO_PAD.encode(rand_bytes()));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn rand_bytes() -> [u8; 32] {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}
