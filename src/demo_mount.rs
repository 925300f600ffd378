//! Where the site meets its built-in demo providers (the `trilogin-demo`
//! crate, cargo feature `demo`, on by default): starting them, the client
//! presets that point at them, and their routes under `/_demo/`.
//!
//! Built without the feature, there is no demo code in the binary: nothing
//! is served under `/_demo/` (404) and no page mentions a demo.

use trilogin_oauth::ClientConfig;

use crate::config::Config;
use crate::providers::Provider;

#[cfg(feature = "demo")]
pub use trilogin_demo::DemoProviders;

/// The demo providers of a build without them: none.
#[cfg(not(feature = "demo"))]
#[derive(Debug, Clone, Default)]
pub struct DemoProviders;

#[cfg(not(feature = "demo"))]
impl DemoProviders {
    /// Always true: this build serves no demo.
    pub fn is_empty(&self) -> bool {
        true
    }
}

/// Where the demos live and how long their tokens last, from `config`.
#[cfg(feature = "demo")]
fn demo_config(config: &Config) -> trilogin_demo::DemoConfig {
    trilogin_demo::DemoConfig {
        app_url: config.app_url.clone(),
        data_dir: config.data_dir.clone(),
        access_token_ttl: config.demo_access_token_ttl,
        refresh_token_ttl: config.demo_refresh_token_ttl,
    }
}

/// Starts the demos that `config` serves (possibly none).
#[cfg(feature = "demo")]
pub fn start(config: &Config) -> anyhow::Result<DemoProviders> {
    DemoProviders::new(&demo_config(config), &config.demo_served())
}

/// Starts nothing: this build has no demo providers.
#[cfg(not(feature = "demo"))]
pub fn start(_config: &Config) -> anyhow::Result<DemoProviders> {
    Ok(DemoProviders)
}

/// The preset of `provider`'s demo, when the demo serves it.
#[cfg(feature = "demo")]
pub fn preset(config: &Config, provider: Provider) -> Option<ClientConfig> {
    if !config.demo_served().contains(&provider.name()) {
        return None;
    }
    let demo = demo_config(config);
    Some(ClientConfig {
        // The demo is this very server: plain http when the site is.
        allow_insecure_http: demo.app_url.scheme() == "http",
        ..provider.demo_preset(&demo)
    })
}

/// No demo serves anything in this build.
#[cfg(not(feature = "demo"))]
pub fn preset(_config: &Config, _provider: Provider) -> Option<ClientConfig> {
    None
}

/// Adds the demos' routes under `/_demo/`.
#[cfg(feature = "demo")]
pub fn configure(demo: &DemoProviders, cfg: &mut actix_web::web::ServiceConfig) {
    demo.configure(cfg);
}

/// This build has no demo routes.
#[cfg(not(feature = "demo"))]
pub fn configure(_demo: &DemoProviders, _cfg: &mut actix_web::web::ServiceConfig) {}
