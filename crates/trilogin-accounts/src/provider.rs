//! [`Provider`]: the providers a person can log in with, as the whole site
//! names them (registry, URLs, settings, storage).

use serde::Serialize;

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

    /// True for the provider that speaks OAuth 1.0a (its tokens live in
    /// `oauth1_tokens`); the others speak OAuth 2.0.
    pub const fn is_oauth1(self) -> bool {
        matches!(self, Provider::Twitter)
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}
