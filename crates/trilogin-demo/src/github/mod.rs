//! Demo GitHub: the OAuth 2 web flow of a GitHub App with expiring user
//! tokens, and the parts of the REST API the site uses, served under
//! `/_demo/github/`.
//!
//! Wire format as GitHub's: token errors come with HTTP 200, token answers
//! are form-encoded unless the client asks for JSON, granted scopes are
//! comma separated, API errors are `{"message": …, "documentation_url": …}`.
//! The profiles and repositories its API links to have pages of their own.
//! Refresh tokens rotate, and a rotated one presented again revokes the
//! whole grant.
//!
//! The token endpoint also speaks plain RFC 6749 for the `password` and
//! `client_credentials` grants (JSON answers, 400/401 errors), so the classic
//! "password grant, then `Authorization: Bearer`" client script works
//! against it; see `docs/DEMO.md`.

mod api;
mod authorize;
mod pages;
mod rate_limit;
pub mod repos;
mod token;

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::web;

use super::oauth2_server::authorize::mount;
use super::oauth2_server::authorize::{consent_page, decide};
use super::oauth2_server::consent::Brand;
use super::oauth2_server::grants::TokenStyle;
use super::oauth2_server::server::{AuthorizationServer, Profile};
use super::oauth2_server::{avatar_url, now};
use super::people::PEOPLE;
use super::{DemoConfig, GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET};
use rate_limit::RateLimits;
use repos::Repo;

/// The password every demo person has for the `password` grant.
pub const DEMO_PASSWORD: &str = "demo-password";

/// Requests per hour each access token may make to the API.
pub const RATE_LIMIT: u32 = 5000;

const PROFILE: Profile = Profile {
    name: "github",
    brand: Brand {
        brand: "GitHub",
        brand_class: "github",
    },
    client_id: GITHUB_CLIENT_ID,
    client_secret: GITHUB_CLIENT_SECRET,
    // GitHub's shapes: 20-character codes, `ghu_` user tokens, `ghr_` refresh tokens.
    style: TokenStyle {
        code_prefix: "",
        code_len: 20,
        access_prefix: "ghu_",
        access_len: 36,
        refresh_prefix: "ghr_",
        refresh_len: 76,
    },
    templates: &[
        (
            pages::PROFILE_TEMPLATE,
            include_str!("../../templates/github/profile.html"),
        ),
        (
            pages::REPO_TEMPLATE,
            include_str!("../../templates/github/repo.html"),
        ),
    ],
};

/// The demo GitHub provider's state.
#[derive(Debug)]
pub struct DemoGitHub {
    server: AuthorizationServer,
    repos: HashMap<&'static str, Vec<Repo>>,
    rate_limits: RateLimits,
}

impl DemoGitHub {
    /// Builds the provider, loading the grants saved under `data_dir`.
    pub fn new(config: &DemoConfig) -> anyhow::Result<Self> {
        let provider_url = config.provider_url(PROFILE.name).to_string();
        let repos = PEOPLE
            .iter()
            .map(|p| {
                let avatar = avatar_url(config, p.key);
                (p.key, repos::seed(p, &provider_url, &avatar))
            })
            .collect();
        Ok(Self {
            server: AuthorizationServer::new(PROFILE, config)?,
            repos,
            rate_limits: RateLimits::default(),
        })
    }

    /// Fault injection, latency and call counts. Call names: `authorize`
    /// (consent page shown), `consent` (answer posted), `token` (token
    /// requests of every grant but refresh), `refresh`, `user`, `emails`,
    /// `repos`, `users`, `revoke`.
    pub fn knobs(&self) -> &super::knobs::Knobs {
        &self.server.knobs
    }

    /// Knob: every refresh token stops working (`bad_refresh_token`).
    pub fn revoke_all_refresh_tokens(&self) {
        self.server.revoke_all_refresh_tokens();
    }

    /// Knob: every access token expires now; the API answers 401 until the
    /// client refreshes.
    pub fn expire_all_access_tokens(&self) {
        self.server.expire_all_access_tokens();
    }

    /// Knob: every live access token has `remaining` API calls left in its
    /// current hour; 0 makes the next call fail with GitHub's rate-limit 403.
    pub fn set_rate_limit_remaining(&self, remaining: u32) {
        let tokens = self.server.grants.read(|g| g.live_access_hashes(now()));
        self.rate_limits.set_remaining(&tokens, remaining, now());
    }

    /// Knob: GitHub's secondary rate limit: every API call is refused with
    /// 403 and `Retry-After` for the next `seconds`.
    pub fn impose_secondary_rate_limit(&self, seconds: u32) {
        self.rate_limits
            .impose_secondary(now() + i64::from(seconds));
    }

    /// Mounts the provider's routes under `/_demo/github`.
    pub fn configure(self: &Arc<Self>, cfg: &mut web::ServiceConfig) {
        mount(self, cfg, |scope| {
            scope
                .route(
                    "/login/oauth/authorize",
                    web::get().to(consent_page::<Self>),
                )
                .route("/login/oauth/authorize", web::post().to(decide::<Self>))
                .route("/login/oauth/access_token", web::post().to(token::token))
                .route("/api/user", web::get().to(api::user))
                .route("/api/user/emails", web::get().to(api::emails))
                .route("/api/user/repos", web::get().to(api::repos))
                .route("/api/users", web::get().to(api::users))
                .route(
                    "/api/applications/{client_id}/{revocation}",
                    web::delete().to(api::revoke),
                )
                .default_service(web::to(pages::page))
        });
    }
}
