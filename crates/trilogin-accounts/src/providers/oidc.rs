//! Any OpenID Connect provider, Google included: the preset of a provider
//! of `OIDC_PROVIDERS` (discovery from its `<NAME>_SERVER_METADATA_URL`),
//! the profile from the ID token's claims refined by userinfo, and the
//! account label.

use serde::Serialize;
use serde_json::Value;

use super::{Profile, malformed, str_field};
use crate::Provider;
use trilogin_oauth::{ClientConfig, Error};

/// The preset of a provider of `OIDC_PROVIDERS`: the standard scopes and
/// nothing else; its settings bring the client and the metadata URL.
pub fn preset() -> ClientConfig {
    ClientConfig {
        scope: Some("openid email profile".to_owned()),
        ..ClientConfig::default()
    }
}

/// Normalises a claims object of `provider`: the ID token's, or userinfo's.
/// The handle is `preferred_username`, which OIDC Core §5.1 says is never
/// unique: the identity is `sub` alone.
pub fn profile(provider: Provider, claims: &Value) -> Result<Profile, Error> {
    let sub =
        str_field(claims, "sub").ok_or_else(|| malformed(&format!("{provider} claims"), claims))?;
    let email = str_field(claims, "email");
    let username = str_field(claims, "preferred_username");
    Ok(Profile {
        display_name: str_field(claims, "name")
            .or_else(|| email.clone())
            .or_else(|| username.clone())
            .unwrap_or_else(|| format!("{provider} user {sub}")),
        provider_user_id: sub,
        username,
        email_verified: email_verified(claims),
        email,
        avatar_url: str_field(claims, "picture"),
    })
}

/// How the account page names the connection: the e-mail address, else
/// the `preferred_username`, else the subject.
pub fn account_label(profile: &Profile) -> String {
    profile
        .email
        .clone()
        .or_else(|| profile.username.clone())
        .unwrap_or_else(|| profile.provider_user_id.clone())
}

/// Google has sent `email_verified` both as a boolean and as a string.
fn email_verified(claims: &Value) -> bool {
    match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Userinfo as the profile page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    /// Subject.
    pub sub: String,
    /// Full name.
    pub name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// The handle the person goes by.
    pub preferred_username: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Whether the provider verified it.
    pub email_verified: bool,
    /// Picture URL.
    pub picture: Option<String>,
    /// Locale.
    pub locale: Option<String>,
}

/// Parses a userinfo answer.
pub fn userinfo(claims: &Value) -> Result<UserInfo, Error> {
    Ok(UserInfo {
        sub: str_field(claims, "sub").ok_or_else(|| malformed("userinfo", claims))?,
        name: str_field(claims, "name"),
        given_name: str_field(claims, "given_name"),
        family_name: str_field(claims, "family_name"),
        preferred_username: str_field(claims, "preferred_username"),
        email: str_field(claims, "email"),
        email_verified: email_verified(claims),
        picture: str_field(claims, "picture"),
        locale: str_field(claims, "locale"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn profile_comes_from_the_subject_never_the_email() {
        let p = profile(
            Provider::Google,
            &json!({"sub": "1081", "email": "a@example.com", "email_verified": true, "name": "Ada"}),
        )
        .unwrap();
        assert_eq!(p.provider_user_id, "1081");
        assert!(p.email_verified);
        assert!(profile(Provider::Google, &json!({"email": "a@example.com"})).is_err());
    }

    #[test]
    fn the_account_label_is_the_email_else_the_preferred_username_else_the_subject() {
        let label = |claims| account_label(&profile(Provider::Google, &claims).unwrap());
        assert_eq!(
            label(json!({"sub": "s1", "email": "a@example.com", "preferred_username": "ada"})),
            "a@example.com"
        );
        assert_eq!(
            label(json!({"sub": "s1", "preferred_username": "ada"})),
            "ada"
        );
        assert_eq!(label(json!({"sub": "s1", "email": ""})), "s1");
    }

    #[test]
    fn a_profile_without_a_name_is_named_by_what_the_claims_give() {
        let named = |claims| profile(Provider::Google, &claims).unwrap().display_name;
        assert_eq!(
            named(json!({"sub": "7", "preferred_username": "ada"})),
            "ada"
        );
        assert_eq!(named(json!({"sub": "7"})), "Google user 7");
    }

    #[test]
    fn email_verified_accepts_google_string_booleans() {
        assert!(
            userinfo(&json!({"sub": "1", "email_verified": "true"}))
                .unwrap()
                .email_verified
        );
        assert!(
            !userinfo(&json!({"sub": "1", "email_verified": "false"}))
                .unwrap()
                .email_verified
        );
        assert!(!userinfo(&json!({"sub": "1"})).unwrap().email_verified);
        assert!(userinfo(&json!({"name": "no subject"})).is_err());
    }

    #[test]
    fn the_generic_preset_asks_for_the_standard_scopes_and_names_no_endpoint() {
        let preset = preset();
        assert!(preset.is_oidc());
        assert!(preset.server_metadata_url.is_none());
        assert!(preset.authorize_url.is_none());
    }
}
