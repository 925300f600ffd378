//! [`Provider`]: the providers a person can log in with, as the whole site
//! names them (registry, URLs, settings, storage): the three presets, and
//! the OpenID Connect providers of `OIDC_PROVIDERS`, registered by name at
//! start-up.

use std::sync::{PoisonError, RwLock};

use serde::Serialize;

/// A provider the site can log in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    /// Twitter, OAuth 1.0a.
    Twitter,
    /// GitHub, OAuth 2.0.
    GitHub,
    /// Google, OpenID Connect.
    Google,
    /// An OpenID Connect provider configured by name (`OIDC_PROVIDERS`).
    Oidc(OidcProvider),
}

/// A handle to an OpenID Connect provider registered with
/// [`Provider::register_oidc`]: a copyable reference to its name and
/// display name, made once at start-up and kept for the life of the process.
#[derive(Clone, Copy)]
pub struct OidcProvider(&'static OidcEntry);

#[derive(Debug, PartialEq, Eq)]
struct OidcEntry {
    name: &'static str,
    label: &'static str,
}

impl OidcProvider {
    /// The configured name: route segment and `<NAME>_` prefix.
    pub const fn name(self) -> &'static str {
        self.0.name
    }
}

// A provider is its name: two handles to one name are the same provider,
// whatever display name each was registered with.
impl PartialEq for OidcProvider {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for OidcProvider {}

impl std::hash::Hash for OidcProvider {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl PartialOrd for OidcProvider {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OidcProvider {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("OidcProvider").field(&self.name()).finish()
    }
}

/// The OpenID Connect providers registered in this process, in the order
/// they were registered. Entries are leaked on purpose: a handle must stay
/// valid as long as any copy of it, and there are as many entries as
/// configured names.
static OIDC_PROVIDERS: RwLock<Vec<&'static OidcEntry>> = RwLock::new(Vec::new());

/// Names an OpenID Connect provider may not take: the presets, and the
/// fixed segments of the site's own paths.
const RESERVED_NAMES: &[&str] = &[
    "twitter", "github", "google", "login", "logout", "auth", "account", "profile", "timeline",
    "repos", "merge", "delete", "static", "healthz", "demo",
];

/// The longest name an OpenID Connect provider may take.
const MAX_NAME_LEN: usize = 32;

impl Provider {
    /// The three presets, in the order the site shows them (before any
    /// provider of `OIDC_PROVIDERS`).
    pub const PRESETS: [Provider; 3] = [Provider::Twitter, Provider::GitHub, Provider::Google];

    /// The presets, then every OpenID Connect provider registered in this
    /// process, in registration order.
    pub fn all() -> Vec<Provider> {
        let registered = OIDC_PROVIDERS
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        Provider::PRESETS
            .into_iter()
            .chain(
                registered
                    .iter()
                    .map(|entry| Provider::Oidc(OidcProvider(entry))),
            )
            .collect()
    }

    /// Registers the OpenID Connect provider `name` shown as `label`, after
    /// checking the name ([`Provider::check_oidc_name`]). Registering a
    /// name again gives the same provider; a new `label` replaces the old
    /// one for handles made from then on.
    ///
    /// # Errors
    ///
    /// Why the name cannot be used, in words for a start-up message.
    pub fn register_oidc(name: &str, label: &str) -> Result<Provider, String> {
        Provider::check_oidc_name(name)?;
        let mut registered = OIDC_PROVIDERS
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let position = registered.iter().position(|entry| entry.name == name);
        if let Some(entry) = position.map(|i| registered[i]).filter(|e| e.label == label) {
            return Ok(Provider::Oidc(OidcProvider(entry)));
        }
        let entry: &'static OidcEntry = Box::leak(Box::new(OidcEntry {
            name: Box::leak(name.to_owned().into_boxed_str()),
            label: Box::leak(label.to_owned().into_boxed_str()),
        }));
        match position {
            Some(i) => registered[i] = entry,
            None => registered.push(entry),
        }
        Ok(Provider::Oidc(OidcProvider(entry)))
    }

    /// Checks a name for an OpenID Connect provider: 1 to 32 of `a-z`,
    /// `0-9` and `_`, starting with a letter (it becomes an environment
    /// variable prefix and a URL segment), and not a preset's name or a
    /// segment of the site's own paths.
    ///
    /// # Errors
    ///
    /// What is wrong with it.
    pub fn check_oidc_name(name: &str) -> Result<(), String> {
        let well_formed = name.len() <= MAX_NAME_LEN
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !well_formed {
            return Err(format!(
                "{name:?} is not a provider name: use 1 to {MAX_NAME_LEN} lower-case letters, digits and _, starting with a letter"
            ));
        }
        if RESERVED_NAMES.contains(&name) {
            return Err(format!(
                "{name:?} is taken by the site itself; choose another name"
            ));
        }
        Ok(())
    }

    /// The registry name, the URL segment and the `<NAME>_` prefix (lower-case).
    pub const fn name(self) -> &'static str {
        match self {
            Provider::Twitter => "twitter",
            Provider::GitHub => "github",
            Provider::Google => "google",
            Provider::Oidc(p) => p.name(),
        }
    }

    /// The brand as people write it; for a provider of `OIDC_PROVIDERS`,
    /// its `<NAME>_DISPLAY_NAME`.
    pub fn label(self) -> &'static str {
        match self {
            Provider::Twitter => "Twitter",
            Provider::GitHub => "GitHub",
            Provider::Google => "Google",
            Provider::Oidc(p) => p.0.label,
        }
    }

    /// The provider registered under `name`, if the site supports it: a
    /// preset, or an OpenID Connect provider registered in this process.
    pub fn from_name(name: &str) -> Option<Provider> {
        if let Some(preset) = Provider::PRESETS.into_iter().find(|p| p.name() == name) {
            return Some(preset);
        }
        OIDC_PROVIDERS
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|entry| entry.name == name)
            .map(|entry| Provider::Oidc(OidcProvider(entry)))
    }

    /// True for the provider that speaks OAuth 1.0a (its tokens live in
    /// `oauth1_tokens`); the others speak OAuth 2.0.
    pub const fn is_oauth1(self) -> bool {
        matches!(self, Provider::Twitter)
    }

    /// True for the providers that speak OpenID Connect: Google and every
    /// provider of `OIDC_PROVIDERS`. They share one code path for the
    /// profile, the account label, revocation and logout.
    pub const fn is_oidc(self) -> bool {
        matches!(self, Provider::Google | Provider::Oidc(_))
    }
}

impl Serialize for Provider {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// `name` with its first letter in upper case: the display name of a
/// provider of `OIDC_PROVIDERS` without a `<NAME>_DISPLAY_NAME`.
pub fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_provider_is_found_by_name_and_listed_after_the_presets() {
        let acme = Provider::register_oidc("unit_acme", "Acme SSO").unwrap();
        assert_eq!(acme.name(), "unit_acme");
        assert_eq!(acme.label(), "Acme SSO");
        assert!(acme.is_oidc() && !acme.is_oauth1());
        assert_eq!(Provider::from_name("unit_acme"), Some(acme));
        let all = Provider::all();
        assert_eq!(all[..3], Provider::PRESETS);
        assert!(all.contains(&acme));
        assert_eq!(serde_json::to_string(&acme).unwrap(), "\"unit_acme\"");
        assert_eq!(
            serde_json::to_string(&Provider::GitHub).unwrap(),
            "\"github\""
        );
    }

    #[test]
    fn registering_a_name_again_keeps_one_provider_with_the_new_label() {
        let first = Provider::register_oidc("unit_again", "First").unwrap();
        let second = Provider::register_oidc("unit_again", "Second").unwrap();
        assert_eq!(first, second);
        assert_eq!(second.label(), "Second");
        assert_eq!(Provider::from_name("unit_again").unwrap().label(), "Second");
        let count = Provider::all()
            .iter()
            .filter(|p| p.name() == "unit_again")
            .count();
        assert_eq!(count, 1);
    }

    #[test]
    fn bad_names_are_refused_with_the_reason() {
        for bad in [
            "",
            "Keycloak",
            "key-cloak",
            "key cloak",
            "9lives",
            "_x",
            "é",
            "google",
            "twitter",
            "github",
            "account",
            "profile",
            "login",
        ] {
            assert!(Provider::check_oidc_name(bad).is_err(), "{bad:?} accepted");
            assert!(Provider::register_oidc(bad, "X").is_err());
        }
        assert!(Provider::check_oidc_name(&"a".repeat(33)).is_err());
        for good in ["keycloak", "dot", "okta_eu", "a1"] {
            assert_eq!(Provider::check_oidc_name(good), Ok(()));
        }
        assert!(Provider::from_name("never_registered").is_none());
    }

    #[test]
    fn capitalised_names_make_default_display_names() {
        assert_eq!(capitalised("keycloak"), "Keycloak");
        assert_eq!(capitalised("dot"), "Dot");
        assert_eq!(capitalised(""), "");
    }
}
