//! Server-provided DPoP nonces (RFC 9449 §8, §9): the latest `DPoP-Nonce`
//! each server sent, kept for the next proof to it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use url::Url;

/// The `DPoP-Nonce` response header.
pub const DPOP_NONCE: &str = "DPoP-Nonce";

/// The latest nonce of each server, keyed by origin.
#[derive(Debug, Default)]
pub struct DpopNonces(Mutex<HashMap<String, String>>);

impl DpopNonces {
    /// The nonce to put in the next proof to `url`'s server.
    pub fn get(&self, url: &Url) -> Option<String> {
        let nonces = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        nonces.get(&url.origin().ascii_serialization()).cloned()
    }

    /// Keeps the nonce in `headers`, an answer from `url`'s server; true
    /// when there was one.
    pub fn remember(&self, url: &Url, headers: &HeaderMap) -> bool {
        let Some(nonce) = headers
            .get(DPOP_NONCE)
            .and_then(|v| v.to_str().ok())
            .filter(|n| !n.is_empty())
        else {
            return false;
        };
        let mut nonces = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        nonces.insert(url.origin().ascii_serialization(), nonce.to_owned());
        true
    }
}

/// True when an answer asks for a proof with the server's nonce: the
/// `use_dpop_nonce` error in a token endpoint's JSON (RFC 9449 §8) or in
/// a resource server's `WWW-Authenticate: DPoP` challenge (§9).
#[must_use]
pub fn asks_for_nonce(status: u16, headers: &HeaderMap, body: Option<&str>) -> bool {
    let in_challenge = status == 401
        && headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.trim_start()
                    .get(..4)
                    .is_some_and(|s| s.eq_ignore_ascii_case("dpop"))
                    && v.contains("use_dpop_nonce")
            });
    let in_body = status == 400
        && body
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .is_some_and(|v| v.get("error").and_then(|e| e.as_str()) == Some("use_dpop_nonce"));
    in_challenge || in_body
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn nonces_are_kept_per_server_and_replaced_by_the_latest() {
        let nonces = DpopNonces::default();
        let a = Url::parse("https://as.example/token").unwrap();
        let b = Url::parse("https://rs.example/api").unwrap();
        let mut headers = HeaderMap::new();
        assert!(!nonces.remember(&a, &headers));
        headers.insert(DPOP_NONCE, HeaderValue::from_static("n1"));
        assert!(nonces.remember(&a, &headers));
        headers.insert(DPOP_NONCE, HeaderValue::from_static("n2"));
        nonces.remember(&a, &headers);
        let same_server = Url::parse("https://as.example/userinfo").unwrap();
        assert_eq!(nonces.get(&same_server).as_deref(), Some("n2"));
        assert_eq!(nonces.get(&b), None);
    }

    #[test]
    fn a_nonce_is_asked_for_in_a_json_error_or_a_dpop_challenge_only() {
        let none = HeaderMap::new();
        let body = r#"{"error":"use_dpop_nonce","error_description":"x"}"#;
        assert!(asks_for_nonce(400, &none, Some(body)));
        assert!(!asks_for_nonce(
            400,
            &none,
            Some(r#"{"error":"invalid_dpop_proof"}"#)
        ));
        assert!(!asks_for_nonce(400, &none, Some("use_dpop_nonce")));
        let mut challenge = HeaderMap::new();
        challenge.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"DPoP error="use_dpop_nonce", algs="ES256""#),
        );
        assert!(asks_for_nonce(401, &challenge, None));
        assert!(!asks_for_nonce(403, &challenge, None));
        let mut bearer = HeaderMap::new();
        bearer.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer error="use_dpop_nonce""#),
        );
        assert!(!asks_for_nonce(401, &bearer, None));
    }
}
