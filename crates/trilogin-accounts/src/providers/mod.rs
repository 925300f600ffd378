//! Presets for the three providers the site supports and for any OpenID
//! Connect provider: their real endpoints and scopes, profile
//! normalisation, and parsing of the resources the pages show.
//!
//! The presets are plain [`ClientConfig`] values: the site's settings
//! (`<NAME>_<PARAM>`) override any field, and the site's demo variants
//! differ from them only in URLs and credentials.

pub mod github;
pub mod google;
pub mod oidc;
pub mod twitter;

use serde::Serialize;

use trilogin_oauth::{ClientConfig, Error};

use crate::Provider;

/// The preset for the real `provider`.
pub fn preset(provider: Provider) -> ClientConfig {
    match provider {
        Provider::Twitter => twitter::preset(),
        Provider::GitHub => github::preset(),
        Provider::Google => google::preset(),
        Provider::Oidc(_) => oidc::preset(),
    }
}

/// Who the person is at a provider, normalised across them all.
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
    non_blank(value.get(key))
}

/// A string value that is not blank.
pub(crate) fn non_blank(value: Option<&serde_json::Value>) -> Option<String> {
    value
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Provider::PRESETS {
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
