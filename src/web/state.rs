//! [`AppState`]: what every handler can reach. The use cases' [`Services`]
//! beside what only the web layer needs: templates, the session store, the
//! demo providers, the login rate limit. Nothing below the web layer sees it.

use trilogin_accounts::{Provider, Services};

use super::login_limit::LoginLimiter;
use super::session_store::DbSessionStore;
use super::templates::{DemoBanner, Templates};
use crate::config::Config;
use crate::demo_mount::DemoProviders;

/// What every handler can reach, shared by all workers.
#[derive(Debug)]
pub struct AppState {
    /// The configuration, with `app_url` holding the real port.
    pub config: Config,
    /// What the use cases work with: OAuth registry, pool, cipher, HTTP
    /// client, caches.
    pub services: Services,
    /// The compiled templates.
    pub templates: Templates,
    /// The demo providers that are served (possibly none).
    pub demo: DemoProviders,
    /// The server-side session store.
    pub sessions: DbSessionStore,
    /// The rate limit on starting logins.
    pub login_limiter: LoginLimiter,
}

impl AppState {
    /// The provider named `name` in a path, when this site has it: a
    /// preset, or one of its own providers of `OIDC_PROVIDERS`.
    pub fn provider_named(&self, name: &str) -> Option<Provider> {
        Provider::from_name(name).filter(|p| {
            !matches!(p, Provider::Oidc(_)) || self.services.oauth.client(p.name()).is_some()
        })
    }

    /// The providers the pages list, in order: the three presets (each
    /// available or not), then this site's providers of `OIDC_PROVIDERS`.
    pub fn providers(&self) -> Vec<Provider> {
        // The process-wide list may hold providers of other apps in the
        // same process (tests); only this app's registry says which are ours.
        Provider::all()
            .into_iter()
            .filter(|p| {
                !matches!(p, Provider::Oidc(_)) || self.services.oauth.client(p.name()).is_some()
            })
            .collect()
    }

    /// The demo banner every page carries: none without demo providers,
    /// a warning not to use the site in production when they serve off
    /// loopback.
    pub fn demo_banner(&self) -> DemoBanner {
        if self.demo.is_empty() {
            DemoBanner::None
        } else if self.config.is_loopback() {
            DemoBanner::Local
        } else {
            DemoBanner::Public
        }
    }
}
