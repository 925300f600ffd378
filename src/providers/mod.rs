//! Presets for the three providers the site supports: their real endpoints
//! and scopes, the same presets pointed at the built-in demo providers,
//! profile normalisation, and parsing of the resources the pages show.
//!
//! The presets are plain [`ClientConfig`] values: the environment
//! (`<NAME>_<PARAM>`) overrides any field, and the demo variants differ from
//! the real ones only in URLs and credentials.

pub mod github;
pub mod google;
pub mod twitter;

use serde::Serialize;

#[cfg(feature = "demo")]
use trilogin_demo::DemoConfig;
use trilogin_oauth::{ClientConfig, Error};

/// A provider the site can log in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Twitter, OAuth 1.0a.
    Twitter,
    /// GitHub, OAuth 2.0.
    GitHub,
    /// Google, OpenID Connect.
    Google,
}

impl Provider {
    /// All providers, in the order the site shows them.
    pub const ALL: [Provider; 3] = [Provider::Twitter, Provider::GitHub, Provider::Google];

    /// The registry name, the URL segment and the `<NAME>_` prefix (lower-case).
    pub const fn name(self) -> &'static str {
        match self {
            Provider::Twitter => "twitter",
            Provider::GitHub => "github",
            Provider::Google => "google",
        }
    }

    /// The brand as people write it.
    pub fn label(self) -> &'static str {
        match self {
            Provider::Twitter => "Twitter",
            Provider::GitHub => "GitHub",
            Provider::Google => "Google",
        }
    }

    /// The provider registered under `name`, if the site supports it.
    pub fn from_name(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The preset for the real provider.
    pub fn preset(self) -> ClientConfig {
        match self {
            Provider::Twitter => twitter::preset(),
            Provider::GitHub => github::preset(),
            Provider::Google => google::preset(),
        }
    }

    /// The preset for the built-in demo of this provider.
    #[cfg(feature = "demo")]
    pub fn demo_preset(self, demo: &DemoConfig) -> ClientConfig {
        match self {
            Provider::Twitter => twitter::demo_preset(demo),
            Provider::GitHub => github::demo_preset(demo),
            Provider::Google => google::demo_preset(demo),
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Who the person is at a provider, normalised across the three.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// The provider's stable identifier of the person (never the e-mail).
    pub provider_user_id: String,
    /// The name to show.
    pub display_name: String,
    /// The handle (`@screen_name`, GitHub login), when the provider has one.
    pub username: Option<String>,
    /// The e-mail address, when shared.
    pub email: Option<String>,
    /// Whether the provider verified that e-mail address.
    pub email_verified: bool,
    /// Avatar image URL.
    pub avatar_url: Option<String>,
}

/// An answer that parsed as JSON but not as what the provider documents.
pub(crate) fn malformed(what: &str, body: &serde_json::Value) -> Error {
    Error::UnexpectedResponse {
        status: 200,
        reason: format!("malformed {what}"),
        body: body.to_string(),
    }
}

/// A string field, or a number field rendered as a string (ids come as both).
pub(crate) fn id_field(value: &serde_json::Value, key: &str) -> Option<String> {
    match value.get(key)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A non-empty string field.
pub(crate) fn str_field(value: &serde_json::Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

/// Joins `path` to a demo provider's base URL; demo URLs are always valid.
#[cfg(feature = "demo")]
pub(crate) fn demo_url(demo: &DemoConfig, provider: &str, path: &str) -> Option<url::Url> {
    demo.provider_url(provider).join(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Provider::ALL {
            assert_eq!(Provider::from_name(p.name()), Some(p));
        }
        assert_eq!(Provider::from_name("GitHub"), None);
        assert_eq!(Provider::from_name("facebook"), None);
    }

    #[test]
    fn ids_are_read_from_strings_and_numbers() {
        let v = serde_json::json!({"a": "12", "b": 34, "c": "", "d": null});
        assert_eq!(id_field(&v, "a").as_deref(), Some("12"));
        assert_eq!(id_field(&v, "b").as_deref(), Some("34"));
        assert_eq!(id_field(&v, "c"), None);
        assert_eq!(id_field(&v, "d"), None);
    }
}
