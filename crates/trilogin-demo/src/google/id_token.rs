//! id_tokens (OpenID Connect Core §2) and the person claims they share with
//! `userinfo` (§5.3), scoped as Google scopes them: `email` gives `email` and
//! `email_verified`, `profile` gives the names and `picture`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{DemoGoogle, ID_TOKEN_TTL_SECS};
use crate::oauth2_server::avatar_url;
use crate::oauth2_server::grants::Authorization;
use crate::people::{self, Person};

/// Google's names for the `email` and `profile` scopes, as its answers spell them.
pub const EMAIL_SCOPE: &str = "https://www.googleapis.com/auth/userinfo.email";
/// See [`EMAIL_SCOPE`].
pub const PROFILE_SCOPE: &str = "https://www.googleapis.com/auth/userinfo.profile";

/// A way to break the next id_token, so client checks can be seen to work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTokenFault {
    /// The signature does not verify.
    BadSignature,
    /// `iss` names another issuer.
    WrongIssuer,
    /// `aud` names another client.
    WrongAudience,
    /// `nonce` is not the one the client sent.
    WrongNonce,
    /// `exp` is an hour in the past.
    Expired,
}

/// `at_hash`: the left half of SHA-256 of the access token, base64url
/// (OpenID Connect Core §3.1.3.6, for RS256).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The person claims the granted scope allows.
pub fn person_claims(google: &DemoGoogle, person: &Person, scope: &str) -> Map<String, Value> {
    let scopes: Vec<&str> = scope.split(' ').collect();
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(person.google_sub));
    if scopes.contains(&EMAIL_SCOPE) {
        claims.insert("email".into(), json!(person.email));
        claims.insert("email_verified".into(), json!(true));
    }
    if scopes.contains(&PROFILE_SCOPE) {
        let (given, family) = person.name.split_once(' ').unwrap_or((person.name, ""));
        claims.insert("name".into(), json!(person.name));
        claims.insert(
            "picture".into(),
            json!(avatar_url(&google.server.config, person.key)),
        );
        claims.insert("given_name".into(), json!(given));
        claims.insert("family_name".into(), json!(family));
    }
    claims
}

impl DemoGoogle {
    /// Signs an id_token for the authorization; `nonce` only at login, since
    /// the request that carried it is the only one it can prove fresh.
    pub(super) fn id_token(
        &self,
        authorization: &Authorization,
        access_token: &str,
        nonce: Option<&str>,
        now: i64,
    ) -> anyhow::Result<Option<String>> {
        if !authorization.scope.split(' ').any(|s| s == "openid") {
            return Ok(None);
        }
        let person = authorization
            .person
            .as_deref()
            .and_then(people::find)
            .ok_or_else(|| anyhow::anyhow!("an OpenID grant without a person"))?;
        let fault = self.take_id_token_fault();
        let mut claims = person_claims(self, person, &authorization.scope);
        let issuer = match fault {
            Some(IdTokenFault::WrongIssuer) => "https://accounts.google.com".to_owned(),
            _ => self.issuer(),
        };
        let audience = match fault {
            Some(IdTokenFault::WrongAudience) => "someone-else.apps.googleusercontent.com",
            _ => self.server.profile.client_id,
        };
        let iat = match fault {
            Some(IdTokenFault::Expired) => now - 2 * ID_TOKEN_TTL_SECS,
            _ => now,
        };
        claims.insert("iss".into(), json!(issuer));
        claims.insert("azp".into(), json!(self.server.profile.client_id));
        claims.insert("aud".into(), json!(audience));
        claims.insert("at_hash".into(), json!(at_hash(access_token)));
        claims.insert("iat".into(), json!(iat));
        claims.insert("exp".into(), json!(iat + ID_TOKEN_TTL_SECS));
        if let Some(nonce) = nonce {
            let nonce = match fault {
                Some(IdTokenFault::WrongNonce) => format!("{nonce}-not"),
                _ => nonce.to_owned(),
            };
            claims.insert("nonce".into(), json!(nonce));
        }
        let token = self.keys.sign(&claims)?;
        Ok(Some(match fault {
            Some(IdTokenFault::BadSignature) => break_signature(&token),
            _ => token,
        }))
    }
}

/// Changes the first character of the signature, which always changes the
/// signature's bytes (the last character may only carry padding bits).
fn break_signature(token: &str) -> String {
    match token.rfind('.') {
        Some(dot) => {
            let (head, sig) = token.split_at(dot + 1);
            let mut chars = sig.chars();
            let first = chars
                .next()
                .map_or('A', |c| if c == 'A' { 'B' } else { 'A' });
            format!("{head}{first}{}", chars.as_str())
        }
        None => token.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_openid_connect_example() {
        // OpenID Connect Core, Appendix A.3 (RS256 at_hash of its access token).
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn a_broken_signature_differs_only_in_the_signature() {
        let broken = break_signature("aaa.bbb.Acd");
        assert_eq!(broken, "aaa.bbb.Bcd");
        assert_eq!(break_signature("aaa.bbb.Xcd"), "aaa.bbb.Acd");
    }
}
