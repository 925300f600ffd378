//! Demo GitHub: the OAuth 2 web flow of a GitHub App with expiring user
//! tokens, and the parts of the REST API the site uses, served under
//! `/_demo/github/`.
//!
//! Wire format as GitHub's: token errors come with HTTP 200, token answers
//! are form-encoded unless the client asks for JSON, granted scopes are
//! comma separated, API errors are `{"message": …, "documentation_url": …}`.
//! Refresh tokens rotate, and a rotated one presented again revokes the
//! whole grant.
//!
//! The token endpoint also speaks plain RFC 6749 for the `password` and
//! `client_credentials` grants (JSON answers, 400/401 errors), so the classic
//! "password grant, then `Authorization: Bearer`" client script works
//! against it; see `docs/DEMO.md`.

mod api;
mod authorize;
mod rate_limit;
pub mod repos;
mod token;

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{middleware, web};

use super::knobs::Knobs;
use super::oauth2_server::consent::{Brand, Pages, PendingConsents};
use super::oauth2_server::grants::{GrantStore, Lifetimes, TokenStyle};
use super::oauth2_server::{avatar_url, delayed, now, secs};
use super::people::PEOPLE;
use super::{DemoConfig, GITHUB_CLIENT_ID};
use rate_limit::RateLimits;
use repos::Repo;

/// The password every demo person has for the `password` grant.
pub const DEMO_PASSWORD: &str = "demo-password";

/// The name the demo GitHub app shows on its consent page.
pub const APP_NAME: &str = "trilogin";

/// Requests per hour each access token may make to the API.
pub const RATE_LIMIT: u32 = 5000;

const BRAND: Brand = Brand {
    brand: "GitHub",
    brand_class: "github",
};

// GitHub's shapes: 20-character codes, `ghu_` user tokens, `ghr_` refresh tokens.
const STYLE: TokenStyle = TokenStyle {
    code_prefix: "",
    code_len: 20,
    access_prefix: "ghu_",
    access_len: 36,
    refresh_prefix: "ghr_",
    refresh_len: 76,
};

/// The demo GitHub provider's state.
#[derive(Debug)]
pub struct DemoGitHub {
    config: DemoConfig,
    knobs: Knobs,
    grants: GrantStore,
    consents: PendingConsents<authorize::PendingAuthorization>,
    pages: Pages,
    repos: HashMap<&'static str, Vec<Repo>>,
    rate_limits: RateLimits,
}

impl DemoGitHub {
    /// Builds the provider, loading the grants saved under `data_dir`.
    pub fn new(config: &DemoConfig) -> anyhow::Result<Self> {
        let provider_url = config.provider_url("github").to_string();
        let repos = PEOPLE
            .iter()
            .map(|p| {
                let avatar = avatar_url(config, p.key);
                (p.key, repos::seed(p, &provider_url, &avatar))
            })
            .collect();
        Ok(Self {
            config: config.clone(),
            knobs: Knobs::default(),
            grants: GrantStore::open(config.data_dir.join("demo-github-grants.json"))?,
            consents: PendingConsents::default(),
            pages: Pages::new()?,
            repos,
            rate_limits: RateLimits::default(),
        })
    }

    /// Fault injection, latency and call counts. Call names: `authorize`
    /// (consent page shown), `consent` (answer posted), `token` (token
    /// requests of every grant but refresh), `refresh`, `user`, `emails`,
    /// `repos`, `users`, `revoke`.
    pub fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    /// Knob: every refresh token stops working (`bad_refresh_token`).
    pub fn revoke_all_refresh_tokens(&self) {
        self.grants.update(|g| g.revoke_all_refresh_tokens());
    }

    /// Knob: every access token expires now; the API answers 401 until the
    /// client refreshes.
    pub fn expire_all_access_tokens(&self) {
        self.grants.update(|g| g.expire_all_access_tokens(now()));
    }

    /// Knob: every live access token has `remaining` API calls left in its
    /// current hour; 0 makes the next call fail with GitHub's rate-limit 403.
    pub fn set_rate_limit_remaining(&self, remaining: u32) {
        let tokens = self.grants.read(|g| g.live_access_hashes(now()));
        self.rate_limits.set_remaining(&tokens, remaining, now());
    }

    /// Mounts the provider's routes under `/_demo/github`.
    pub fn configure(self: &Arc<Self>, cfg: &mut web::ServiceConfig) {
        let me = Arc::clone(self);
        cfg.service(
            web::scope("/_demo/github")
                .app_data(web::Data::from(Arc::clone(self)))
                .wrap(middleware::from_fn(move |req, next| {
                    delayed(me.knobs.latency(), req, next)
                }))
                .route(
                    "/login/oauth/authorize",
                    web::get().to(authorize::consent_page),
                )
                .route("/login/oauth/authorize", web::post().to(authorize::decide))
                .route("/login/oauth/access_token", web::post().to(token::token))
                .route("/api/user", web::get().to(api::user))
                .route("/api/user/emails", web::get().to(api::emails))
                .route("/api/user/repos", web::get().to(api::repos))
                .route("/api/users", web::get().to(api::users))
                .route(
                    "/api/applications/{client_id}/grant",
                    web::delete().to(api::delete_grant),
                )
                .route(
                    "/api/applications/{client_id}/token",
                    web::delete().to(api::delete_token),
                ),
        );
    }

    fn lifetimes(&self) -> Lifetimes {
        Lifetimes {
            access: secs(self.config.access_token_ttl),
            refresh: secs(self.config.refresh_token_ttl),
        }
    }

    fn redirect_uri(&self) -> String {
        self.config.redirect_uri("github")
    }

    fn provider_url(&self) -> String {
        self.config.provider_url("github").to_string()
    }

    fn client_id(&self) -> &'static str {
        GITHUB_CLIENT_ID
    }
}
