//! Built-in local emulations of Twitter, GitHub and Google, served by the
//! same process under `/_demo/twitter/`, `/_demo/github/` and
//! `/_demo/google/` when demo mode is on, and a Google-like stand-in under
//! `/_demo/{name}/` for each OpenID Connect provider the site names.
//!
//! They are real protocol servers in the real providers' wire formats, and
//! they check requests with their own code, never with the client layer's:
//! a bug in the client cannot hide behind the same bug here.

pub mod github;
pub mod google;
pub mod knobs;
pub mod oauth2_server;
pub mod people;
pub mod replay;
#[cfg(feature = "testing")]
pub mod testing;
pub mod twitter;

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::{HttpResponse, web};
use url::Url;

/// OAuth 1 consumer key of the demo Twitter app.
pub const TWITTER_CLIENT_ID: &str = "demo-twitter-consumer-key";
/// OAuth 1 consumer secret of the demo Twitter app (public: it only works here).
pub const TWITTER_CLIENT_SECRET: &str = "demo-twitter-consumer-secret";
/// Client id of the demo GitHub app.
pub const GITHUB_CLIENT_ID: &str = "Iv1.demo0github0client";
/// Client secret of the demo GitHub app (public: it only works here).
pub const GITHUB_CLIENT_SECRET: &str = "demo-github-client-secret";
/// Client id of the demo Google app.
pub const GOOGLE_CLIENT_ID: &str = "demo-google-client.apps.googleusercontent.com";
/// Client secret of the demo Google app (public: it only works here).
pub const GOOGLE_CLIENT_SECRET: &str = "demo-google-client-secret";

/// Settings of the demo providers.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// The site's public URL (`APP_URL`): the demo apps accept exactly
    /// `{app_url}/auth/{provider}/callback` as redirect URI, and the demo
    /// endpoints live under `{app_url}/_demo/`.
    pub app_url: Url,
    /// Where keys and issued grants are kept across restarts (`data/`).
    pub data_dir: PathBuf,
    /// Access token lifetime (`DEMO_ACCESS_TOKEN_TTL`, default 8 h as GitHub Apps).
    pub access_token_ttl: std::time::Duration,
    /// Refresh token lifetime (`DEMO_REFRESH_TOKEN_TTL`, default 6 months).
    pub refresh_token_ttl: std::time::Duration,
}

impl DemoConfig {
    /// The base URL of one demo provider, e.g. `{app_url}/_demo/github/`.
    pub fn provider_url(&self, provider: &str) -> Url {
        let mut url = self.app_url.clone();
        url.set_path(&format!("/_demo/{provider}/"));
        url.set_query(None);
        url
    }

    /// The one redirect URI the demo app of `provider` accepts.
    pub fn redirect_uri(&self, provider: &str) -> String {
        let mut url = self.app_url.clone();
        url.set_path(&format!("/auth/{provider}/callback"));
        url.set_query(None);
        url.to_string()
    }
}

/// The demo providers that are switched on.
#[derive(Debug, Clone, Default)]
pub struct DemoProviders {
    /// Demo Twitter, when served.
    pub twitter: Option<Arc<twitter::DemoTwitter>>,
    /// Demo GitHub, when served.
    pub github: Option<Arc<github::DemoGitHub>>,
    /// Demo Google, when served.
    pub google: Option<Arc<google::DemoGoogle>>,
    /// Demo stand-ins for the site's further OpenID Connect providers, in
    /// the order they were added ([`DemoProviders::add_oidc`]).
    pub oidc: Vec<Arc<google::DemoGoogle>>,
}

impl DemoProviders {
    /// Builds the demo providers named in `which` (`"twitter"`, `"github"`, `"google"`).
    pub fn new(config: &DemoConfig, which: &[&str]) -> anyhow::Result<Self> {
        let on = |name: &str| which.contains(&name);
        Ok(Self {
            twitter: on("twitter")
                .then(|| twitter::DemoTwitter::new(config).map(Arc::new))
                .transpose()?,
            github: on("github")
                .then(|| github::DemoGitHub::new(config).map(Arc::new))
                .transpose()?,
            google: on("google")
                .then(|| google::DemoGoogle::new(config).map(Arc::new))
                .transpose()?,
            oidc: Vec::new(),
        })
    }

    /// Also serves an OpenID Connect provider `name`, shown as `label`: a
    /// demo Google under `/_demo/{name}/` ([`google::DemoGoogle::named`]).
    pub fn add_oidc(&mut self, config: &DemoConfig, name: &str, label: &str) -> anyhow::Result<()> {
        self.oidc
            .push(Arc::new(google::DemoGoogle::named(config, name, label)?));
        Ok(())
    }

    /// The demo stand-in for the OpenID Connect provider `name`, if served.
    pub fn oidc(&self, name: &str) -> Option<&google::DemoGoogle> {
        self.oidc
            .iter()
            .find(|provider| provider.name() == name)
            .map(AsRef::as_ref)
    }

    /// True when no demo provider is served.
    pub fn is_empty(&self) -> bool {
        self.twitter.is_none()
            && self.github.is_none()
            && self.google.is_none()
            && self.oidc.is_empty()
    }

    /// Mounts every served provider under `/_demo/`.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        if self.is_empty() {
            return;
        }
        cfg.route("/_demo/avatars/{key}.svg", web::get().to(avatar))
            .route("/_demo/demo.css", web::get().to(stylesheet))
            .route("/_demo/demo.js", web::get().to(script));
        if let Some(twitter) = &self.twitter {
            twitter.configure(cfg);
        }
        if let Some(github) = &self.github {
            github.configure(cfg);
        }
        if let Some(google) = &self.google {
            google.configure(cfg);
        }
        for provider in &self.oidc {
            provider.configure(cfg);
        }
    }
}

/// The stylesheet of the demo GitHub and Google pages, compiled in: the
/// demos bring their own look wherever the site's files are.
const STYLESHEET: &str = include_str!("../static/demo.css");

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}

/// The consent pages' script, compiled in like the stylesheet. A file
/// rather than an inline script: the site's Content-Security-Policy allows
/// scripts from the site only.
const SCRIPT: &str = include_str!("../static/demo.js");

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(SCRIPT)
}

async fn avatar(key: web::Path<String>) -> HttpResponse {
    match people::find(&key) {
        Some(person) => HttpResponse::Ok()
            .content_type("image/svg+xml")
            .insert_header(("Cache-Control", "public, max-age=86400"))
            .body(people::avatar_svg(person)),
        None => HttpResponse::NotFound().finish(),
    }
}
