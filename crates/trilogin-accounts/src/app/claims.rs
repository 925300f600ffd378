//! The ID token's claims as the profile page shows them: the payload of a
//! token whose signature and claims were checked when the person logged in
//! (OIDC Core §3.1.3.7). Reading it again here is for display only; nothing
//! here is trusted for a decision.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// The claims the page lists, in this order.
pub const SHOWN: [&str; 5] = ["iss", "aud", "sub", "iat", "exp"];

/// The stored ID token is not a readable JWT.
#[derive(Debug, thiserror::Error)]
#[error("the stored ID token cannot be read: {0}")]
pub struct ClaimsError(&'static str);

/// One row of the claims table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The claim's name.
    pub name: &'static str,
    /// Its value as text (audiences joined by commas).
    pub value: String,
    /// The time it stands for, for `iat` and `exp`.
    pub at: Option<OffsetDateTime>,
}

/// Decodes the payload of a compact JWS (RFC 7515 §7.1) without checking
/// the signature.
pub fn payload(id_token: &str) -> Result<Map<String, Value>, ClaimsError> {
    let mut parts = id_token.split('.');
    let payload = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(payload), Some(_), None) => payload,
        _ => return Err(ClaimsError("not three dot-separated parts")),
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| ClaimsError("payload is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(claims)) => Ok(claims),
        _ => Err(ClaimsError("payload is not a JSON object")),
    }
}

/// The rows of [`SHOWN`] present in `claims`.
pub fn shown(claims: &Map<String, Value>) -> Vec<Claim> {
    SHOWN
        .into_iter()
        .filter_map(|name| {
            let value = claims.get(name)?;
            let at = value
                .as_i64()
                .filter(|_| matches!(name, "iat" | "exp"))
                .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok());
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            Some(Claim { name, value, at })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwt(claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{body}.c2ln")
    }

    #[test]
    fn the_table_lists_the_standard_claims_in_order_with_times() {
        let token = jwt(&json!({
            "sub": "1081", "iss": "https://accounts.example", "aud": ["app", "other"],
            "exp": 1_700_003_600, "iat": 1_700_000_000, "nonce": "n", "email": "a@b"
        }));
        let rows = shown(&payload(&token).unwrap());
        let names: Vec<_> = rows.iter().map(|r| r.name).collect();
        assert_eq!(names, SHOWN);
        assert_eq!(rows[1].value, "app, other");
        assert_eq!(
            rows[3].at,
            Some(OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap())
        );
        assert_eq!(rows[0].at, None);
    }

    #[test]
    fn a_token_that_is_not_a_jwt_is_an_error_not_a_panic() {
        assert!(payload("abc").is_err());
        assert!(payload("a.b.c.d").is_err());
        assert!(payload("a.!!!.c").is_err());
        let not_object = format!("a.{}.c", URL_SAFE_NO_PAD.encode("[1]"));
        assert!(payload(&not_object).is_err());
    }
}
