//! Test support (cargo feature `testing`): the demo providers served on a
//! random loopback port with a temporary data directory, a client that
//! follows no redirect, and readers for what the consent pages and
//! redirects carry.
//!
//! The demo crate's own tests and the site's tests of its provider presets
//! start the demos here, so there is one way to do it.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support fails the test where set-up fails"
)]

use std::net::TcpListener;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer};
use url::Url;

use crate::github::DemoGitHub;
use crate::google::{DemoGoogle, KEYS_DIR};
use crate::twitter::DemoTwitter;
use crate::{DemoConfig, DemoProviders};

/// Demo providers running on `127.0.0.1` at a port of their own.
pub struct DemoServer {
    /// The settings they run with; `app_url` names the port.
    pub config: DemoConfig,
    /// The providers, for their knobs.
    pub providers: DemoProviders,
    /// A client that follows no redirect, with a 10 s timeout.
    pub client: reqwest::Client,
    handle: ServerHandle,
    _data_dir: Option<tempfile::TempDir>,
}

impl DemoServer {
    /// Starts the providers named in `which` (`"twitter"`, `"github"`,
    /// `"google"`) on a fresh data directory. Demo Google gets a copy of a
    /// signing key made once per test binary: RSA key generation is the
    /// slow part of a start.
    pub async fn start(which: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        if which.contains(&"google") {
            copy_signing_key(dir.path());
        }
        let mut server = Self::start_on(which, dir.path()).await;
        server._data_dir = Some(dir);
        server
    }

    /// Starts the providers named in `which` keeping their state in
    /// `data_dir`, as a restart of the site would find it.
    pub async fn start_on(which: &[&str], data_dir: &Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = DemoConfig {
            app_url: Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
            data_dir: data_dir.to_owned(),
            access_token_ttl: Duration::from_secs(8 * 3600),
            refresh_token_ttl: Duration::from_secs(180 * 86_400),
        };
        let providers = DemoProviders::new(&config, which).unwrap();
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

    /// Stops the server (a data directory passed to `start_on` stays).
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }

    /// `{app_url}{path}`; `path` starts with `/`.
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

    /// Demo Twitter, which must be served.
    pub fn twitter(&self) -> &DemoTwitter {
        self.providers
            .twitter
            .as_deref()
            .expect("demo Twitter is served")
    }

    /// Demo GitHub, which must be served.
    pub fn github(&self) -> &DemoGitHub {
        self.providers
            .github
            .as_deref()
            .expect("demo GitHub is served")
    }

    /// Demo Google, which must be served.
    pub fn google(&self) -> &DemoGoogle {
        self.providers
            .google
            .as_deref()
            .expect("demo Google is served")
    }
}

/// Copies into `data_dir` a demo Google signing key made once per process.
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
        // The first key is made on a thread of its own: asking for its
        // `kid` waits until it is on disk.
        DemoGoogle::new(&config).unwrap().signing_kid();
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

/// The hidden consent id in a consent page's form, at any demo provider.
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
