//! Google: OpenID Connect login through discovery; the ID token's claims
//! are the profile, refined by the userinfo endpoint.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use url::Url;

use super::{Profile, malformed, str_field};
use trilogin_oauth::{ClientConfig, Error};

/// The real Google endpoints, from discovery. `access_type=offline` asks for
/// a refresh token; `prompt=consent` makes Google send one again on re-login.
pub fn preset() -> ClientConfig {
    ClientConfig {
        server_metadata_url: Url::parse(
            "https://accounts.google.com/.well-known/openid-configuration",
        )
        .ok(),
        scope: Some("openid email profile".to_owned()),
        // Google: "The value of iss in the ID token is equal to
        // accounts.google.com or https://accounts.google.com."
        id_token_issuer_aliases: vec!["accounts.google.com".to_owned()],
        authorize_params: BTreeMap::from([
            ("access_type".to_owned(), "offline".to_owned()),
            ("prompt".to_owned(), "consent".to_owned()),
        ]),
        ..ClientConfig::default()
    }
}

/// Normalises a claims object: the ID token's, or userinfo's.
pub fn profile(claims: &Value) -> Result<Profile, Error> {
    let sub = str_field(claims, "sub").ok_or_else(|| malformed("Google claims", claims))?;
    let email = str_field(claims, "email");
    Ok(Profile {
        display_name: str_field(claims, "name")
            .or_else(|| email.clone())
            .unwrap_or_else(|| format!("Google user {sub}")),
        provider_user_id: sub,
        username: None,
        email_verified: email_verified(claims),
        email,
        avatar_url: str_field(claims, "picture"),
    })
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
    /// E-mail address.
    pub email: Option<String>,
    /// Whether Google verified it.
    pub email_verified: bool,
    /// Picture URL.
    pub picture: Option<String>,
    /// Locale.
    pub locale: Option<String>,
}

/// Parses a userinfo answer.
pub fn userinfo(claims: &Value) -> Result<UserInfo, Error> {
    Ok(UserInfo {
        sub: str_field(claims, "sub").ok_or_else(|| malformed("Google userinfo", claims))?,
        name: str_field(claims, "name"),
        given_name: str_field(claims, "given_name"),
        family_name: str_field(claims, "family_name"),
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
        let p = profile(&json!({"sub": "1081", "email": "a@example.com", "email_verified": true, "name": "Ada"})).unwrap();
        assert_eq!(p.provider_user_id, "1081");
        assert!(p.email_verified);
        assert!(profile(&json!({"email": "a@example.com"})).is_err());
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
    }

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
