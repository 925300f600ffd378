//! Google: the preset of the generic OpenID Connect provider
//! ([`super::oidc`]) with Google's discovery URL and its quirks.

use std::collections::BTreeMap;

use url::Url;

use trilogin_oauth::ClientConfig;

/// The real Google endpoints, from discovery. `access_type=offline` asks for
/// a refresh token; `prompt=consent` makes Google send one again on re-login.
pub fn preset() -> ClientConfig {
    ClientConfig {
        server_metadata_url: Url::parse(
            "https://accounts.google.com/.well-known/openid-configuration",
        )
        .ok(),
        // Google: "The value of iss in the ID token is equal to
        // accounts.google.com or https://accounts.google.com."
        id_token_issuer_aliases: vec!["accounts.google.com".to_owned()],
        authorize_params: BTreeMap::from([
            ("access_type".to_owned(), "offline".to_owned()),
            ("prompt".to_owned(), "consent".to_owned()),
        ]),
        ..super::oidc::preset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_asks_for_offline_access_through_discovery() {
        let preset = preset();
        assert!(preset.server_metadata_url.is_some());
        assert_eq!(
            preset
                .authorize_params
                .get("access_type")
                .map(String::as_str),
            Some("offline")
        );
        assert!(
            preset
                .scope
                .as_deref()
                .unwrap_or_default()
                .contains("openid")
        );
    }
}
