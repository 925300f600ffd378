//! Where the site meets its built-in demo providers (the `trilogin-demo`
//! crate, cargo feature `demo`, on by default): starting them, the client
//! presets that point at them, and their routes under `/_demo/`.
//!
//! Built without the feature, there is no demo code in the binary: nothing
//! is served under `/_demo/` (404) and no page mentions a demo.

use trilogin_accounts::Provider;
#[cfg(feature = "demo")]
use trilogin_accounts::providers::{github, google, oidc};
use trilogin_oauth::ClientConfig;
#[cfg(feature = "demo")]
use trilogin_oauth::secret::ClientSecret;

use crate::config::Config;
#[cfg(feature = "demo")]
use crate::config::PROVIDERS;

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

/// Starts the demos that `config` serves (possibly none); each served
/// provider of `OIDC_PROVIDERS` gets a demo Google of its own.
#[cfg(feature = "demo")]
pub fn start(config: &Config) -> anyhow::Result<DemoProviders> {
    let demo = demo_config(config);
    let served = config.demo_served();
    let mut providers = DemoProviders::new(&demo, &served)?;
    for name in served.iter().filter(|name| !PROVIDERS.contains(name)) {
        providers.add_oidc(&demo, name, &config.display_name(name))?;
    }
    Ok(providers)
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
        ..demo_preset(provider, &demo)
    })
}

/// `provider`'s preset with the demo's URLs and credentials.
#[cfg(feature = "demo")]
pub fn demo_preset(provider: Provider, demo: &trilogin_demo::DemoConfig) -> ClientConfig {
    let url = |path: &str| demo.provider_url(provider.name()).join(path).ok();
    match provider {
        Provider::Twitter => ClientConfig {
            client_id: trilogin_demo::TWITTER_CLIENT_ID.to_owned(),
            client_secret: Some(ClientSecret::new(trilogin_demo::TWITTER_CLIENT_SECRET)),
            request_token_url: url("oauth/request_token"),
            authorize_url: url("oauth/authenticate"),
            access_token_url: url("oauth/access_token"),
            api_base_url: url("1.1/"),
            ..ClientConfig::default()
        },
        Provider::GitHub => ClientConfig {
            client_id: trilogin_demo::GITHUB_CLIENT_ID.to_owned(),
            client_secret: Some(ClientSecret::new(trilogin_demo::GITHUB_CLIENT_SECRET)),
            authorize_url: url("login/oauth/authorize"),
            access_token_url: url("login/oauth/access_token"),
            api_base_url: url("api/"),
            ..github::preset()
        },
        Provider::Google => ClientConfig {
            client_id: trilogin_demo::GOOGLE_CLIENT_ID.to_owned(),
            client_secret: Some(ClientSecret::new(trilogin_demo::GOOGLE_CLIENT_SECRET)),
            server_metadata_url: url(".well-known/openid-configuration"),
            // The demo issues only its own issuer.
            id_token_issuer_aliases: Vec::new(),
            ..google::preset()
        },
        // A demo Google under the provider's own name and issuer, which
        // like Google gives a refresh token only for offline access.
        Provider::Oidc(_) => ClientConfig {
            client_id: trilogin_demo::GOOGLE_CLIENT_ID.to_owned(),
            client_secret: Some(ClientSecret::new(trilogin_demo::GOOGLE_CLIENT_SECRET)),
            server_metadata_url: url(".well-known/openid-configuration"),
            authorize_params: [("access_type".to_owned(), "offline".to_owned())].into(),
            ..oidc::preset()
        },
    }
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
