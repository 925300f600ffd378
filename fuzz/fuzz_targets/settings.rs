//! The settings read at start-up: the site's variables, then each
//! provider's `<NAME>_<PARAM>` variables over its preset, and the client
//! registered from them, as start-up does. Key file paths are left out:
//! the fuzzer would only be reading files of this machine.

#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use trilogin::config::{Config, SITE_VARIABLES};
use trilogin::config::provider_env::{PARAMS, client_config, unknown_env_keys};
use trilogin_accounts::Provider;
use trilogin_accounts::providers::preset;
use trilogin_oauth::OAuth;

const SITE: &[&str] = SITE_VARIABLES;

/// Each value goes to the variable its number picks: the site's, or one
/// parameter of one provider.
fn variable(pick: u16) -> String {
    let pick = usize::from(pick);
    let provider_params = PARAMS.len() * 3;
    match SITE.get(pick % (SITE.len() + provider_params)) {
        Some(site) => (*site).to_owned(),
        None => {
            let index = pick % (SITE.len() + provider_params) - SITE.len();
            let provider = ["TWITTER", "GITHUB", "GOOGLE"][index / PARAMS.len()];
            format!("{provider}_{}", PARAMS[index % PARAMS.len()])
        }
    }
}

static HTTP: LazyLock<Option<reqwest::Client>> = LazyLock::new(|| {
    trilogin_oauth::http::build_client("trilogin-fuzz", Duration::from_secs(1)).ok()
});

fuzz_target!(|values: Vec<(u16, String)>| {
    let vars: BTreeMap<String, String> = values
        .into_iter()
        .map(|(pick, value)| (variable(pick), value))
        .filter(|(name, _)| !name.ends_with("_KEY_FILE"))
        .collect();
    let Ok(config) = Config::from_lookup(|key| vars.get(key).cloned()) else {
        return;
    };
    let _ = config.demo_served();
    let Some(http) = HTTP.as_ref() else {
        return;
    };
    let mut oauth = OAuth::new(http.clone());
    for provider in Provider::PRESETS {
        let name = provider.name();
        let _ = unknown_env_keys(name, config.provider_env.keys());
        let from_env = |var: &str| config.provider_env.get(var).cloned();
        if let Ok(client) = client_config(name, preset(provider), from_env) {
            let _ = oauth.register(name, client);
        }
    }
});
