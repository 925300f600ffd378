//! Typed claims about the person: what a validated ID token says (OIDC
//! Core §2, checked as §3.1.3.7 asks) and what the userinfo endpoint
//! answers (OIDC Core §5.3.2). Both keep every claim they were given, with
//! the ones the protocol guarantees as fields.
//!
//! A login puts the ID token's claims on the token it returns
//! ([`OAuth2Token::id_token_claims`](crate::OAuth2Token::id_token_claims)),
//! where no field of a provider's token answer can reach: only the ID
//! token check sets them.

use serde_json::{Map, Value};

/// The validated claims of an ID token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdTokenClaims {
    /// `iss`: the issuer.
    pub iss: String,
    /// `sub`: the person's stable id at the provider.
    pub sub: String,
    /// `aud`, as a list.
    pub aud: Vec<String>,
    /// `exp`, seconds since the epoch.
    pub exp: i64,
    /// `iat`, seconds since the epoch.
    pub iat: i64,
    /// Every claim, including the ones above (`email`, `name`, `picture` ...).
    pub all: Map<String, Value>,
}

impl IdTokenClaims {
    /// A string claim, e.g. `email`.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.all.get(name).and_then(Value::as_str)
    }

    /// The claims as one JSON object.
    #[must_use]
    pub fn to_json(&self) -> Value {
        Value::Object(self.all.clone())
    }
}

/// A userinfo answer whose `sub` is the ID token's, after the userinfo
/// compliance hook mapped it onto standard claims.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UserInfo {
    /// `sub`: the person the answer is about.
    pub sub: String,
    /// Every claim, `sub` included (`name`, `email`, `picture` ...).
    pub all: Map<String, Value>,
}

impl UserInfo {
    /// A string claim, e.g. `name`.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.all.get(name).and_then(Value::as_str)
    }
}
