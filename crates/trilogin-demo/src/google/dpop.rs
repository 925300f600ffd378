//! DPoP at demo Google (RFC 9449): checks the proofs that come with token
//! requests and with bound access tokens, remembers each proof's `jti`
//! against replay, and in nonce mode asks for the server's nonce (§8, §9).
//!
//! Written apart from the client crate's DPoP code, on `jsonwebtoken` and
//! `sha2` alone, so that a bug there cannot hide behind the same bug here.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::DemoGoogle;
use crate::knobs::lock;
use crate::oauth2_server::{now, random_token};

/// How far a proof's `iat` may be from the server's clock, in seconds.
const IAT_WINDOW_SECS: i64 = 60;

/// The proof algorithms demo Google accepts and announces.
pub const ALGS: &[&str] = &["ES256", "EdDSA", "RS256"];

/// DPoP state and knobs.
#[derive(Debug, Default)]
pub struct DpopState {
    required: bool,
    nonce: Option<String>,
    seen_jti: HashMap<String, i64>,
    proved: Vec<(String, String)>,
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// The proof is missing the server's current nonce.
    UseNonce,
    /// The proof is malformed, mis-signed, for another request, stale or
    /// replayed.
    Invalid(String),
}

/// The request a proof must be for.
#[derive(Debug, Clone, Copy)]
pub struct ProofTarget<'a> {
    /// The endpoint's name in the log of proved keys (`token`, `userinfo`).
    pub endpoint: &'a str,
    /// `htm`.
    pub method: &'a str,
    /// `htu`.
    pub url: &'a str,
    /// The access token `ath` must hash, for a resource request.
    pub access_token: Option<&'a str>,
}

impl DemoGoogle {
    /// Knob: token requests without a DPoP proof are refused.
    pub fn require_dpop(&self, required: bool) {
        lock(&self.dpop).required = required;
    }

    /// Knob: proofs must carry the server's nonce (on) or need none (off).
    /// Turning it on makes a new nonce.
    pub fn use_dpop_nonces(&self, on: bool) {
        lock(&self.dpop).nonce = on.then(|| random_token("", 22));
    }

    /// Knob: a new nonce replaces the current one, as servers do from time
    /// to time; proofs with the old one are then asked to retry.
    pub fn rotate_dpop_nonce(&self) {
        let mut dpop = lock(&self.dpop);
        if dpop.nonce.is_some() {
            dpop.nonce = Some(random_token("", 22));
        }
    }

    /// The thumbprints of the keys of the valid proofs at `endpoint`
    /// (`token`, `refresh`, `userinfo`), oldest first; whether the key was
    /// the one the grant is bound to is checked after.
    pub fn proved_keys(&self, endpoint: &str) -> Vec<String> {
        lock(&self.dpop)
            .proved
            .iter()
            .filter(|(e, _)| e == endpoint)
            .map(|(_, jkt)| jkt.clone())
            .collect()
    }

    pub(super) fn dpop_required(&self) -> bool {
        lock(&self.dpop).required
    }

    /// The header that gives clients the current nonce, in nonce mode.
    pub(super) fn nonce_header(&self) -> Option<(&'static str, String)> {
        lock(&self.dpop).nonce.clone().map(|n| ("DPoP-Nonce", n))
    }

    /// Checks the request's proof for `target`: the thumbprint of its key,
    /// or `None` when the request carries no proof.
    pub(super) fn check_proof(
        &self,
        req: &HttpRequest,
        target: ProofTarget<'_>,
    ) -> Result<Option<String>, ProofError> {
        let invalid = |why: &str| ProofError::Invalid(why.to_owned());
        let mut proofs = req.headers().get_all("DPoP");
        let Some(proof) = proofs.next() else {
            return Ok(None);
        };
        if proofs.next().is_some() {
            return Err(invalid("more than one DPoP header"));
        }
        let proof = proof
            .to_str()
            .map_err(|_| invalid("unreadable DPoP header"))?;
        let (jkt, claims) = verify_signature(proof).map_err(ProofError::Invalid)?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        if text("htm") != Some(target.method) {
            return Err(invalid("htm does not match the request's method"));
        }
        if text("htu") != Some(target.url) {
            return Err(invalid("htu does not match the request's URL"));
        }
        let iat = claims.get("iat").and_then(Value::as_i64);
        if iat.is_none_or(|iat| (iat - now()).abs() > IAT_WINDOW_SECS) {
            return Err(invalid("iat is missing or too far from now"));
        }
        if let Some(token) = target.access_token
            && text("ath") != Some(URL_SAFE_NO_PAD.encode(Sha256::digest(token)).as_str())
        {
            return Err(invalid("ath does not match the access token"));
        }
        let jti = text("jti")
            .filter(|j| !j.is_empty())
            .ok_or_else(|| invalid("no jti"))?;
        let mut state = lock(&self.dpop);
        if let Some(nonce) = &state.nonce
            && text("nonce") != Some(nonce.as_str())
        {
            return Err(ProofError::UseNonce);
        }
        let now = now();
        state
            .seen_jti
            .retain(|_, at| now - *at <= 2 * IAT_WINDOW_SECS);
        if state.seen_jti.insert(jti.to_owned(), now).is_some() {
            return Err(invalid("the proof was used before"));
        }
        state.proved.push((target.endpoint.to_owned(), jkt.clone()));
        Ok(Some(jkt))
    }
}

/// Checks a proof's header and signature by the key it carries (RFC 9449
/// §4.3 steps 3-7): its key's thumbprint and its claims.
fn verify_signature(proof: &str) -> Result<(String, Value), String> {
    let header = jsonwebtoken::decode_header(proof).map_err(|e| format!("not a JWT: {e}"))?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err("typ is not dpop+jwt".into());
    }
    if !ALGS
        .iter()
        .any(|a| a.parse::<Algorithm>().ok() == Some(header.alg))
    {
        return Err("the algorithm is not accepted".into());
    }
    let raw_header = proof
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
        .unwrap_or_default();
    if raw_header.pointer("/jwk/d").is_some() {
        return Err("the jwk holds a private key".into());
    }
    let jwk = header.jwk.ok_or("no jwk in the header")?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("bad jwk: {e}"))?;
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .map_err(|e| format!("bad signature: {e}"))?
        .claims;
    Ok((jwk.thumbprint(ThumbprintHash::SHA256), claims))
}

/// A token endpoint's refusal of a proof (RFC 9449 §5, §8), with the nonce
/// to use when that is what is missing.
pub(super) fn token_error(google: &DemoGoogle, error: &ProofError) -> HttpResponse {
    let (code, description) = match error {
        ProofError::UseNonce => (
            "use_dpop_nonce",
            "Authorization server requires nonce in DPoP proof",
        ),
        ProofError::Invalid(why) => ("invalid_dpop_proof", why.as_str()),
    };
    let mut answer = HttpResponse::build(StatusCode::BAD_REQUEST);
    answer.insert_header(("Cache-Control", "no-store"));
    if let Some(nonce) = google.nonce_header() {
        answer.insert_header(nonce);
    }
    answer.json(serde_json::json!({ "error": code, "error_description": description }))
}

/// A resource server's refusal (RFC 9449 §7.1, §9): a `DPoP` challenge
/// naming the error, with the nonce to use when that is what is missing.
pub(super) fn resource_error(google: &DemoGoogle, error: &str, description: &str) -> HttpResponse {
    let mut answer = HttpResponse::Unauthorized();
    answer.insert_header((
        "WWW-Authenticate",
        format!(
            "DPoP algs=\"{}\", error=\"{error}\", error_description=\"{description}\"",
            ALGS.join(" ")
        ),
    ));
    if let Some(nonce) = google.nonce_header() {
        answer.insert_header(nonce);
    }
    answer.json(serde_json::json!({ "error": error, "error_description": description }))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::EncodingKey;
    use serde_json::json;
    use trilogin_oauth::dpop::{DpopAlg, DpopKey};

    use super::*;

    /// A test key and its parts: the public JWK and the private scalar `d`.
    fn key() -> (EncodingKey, Value) {
        let key = DpopKey::generate(DpopAlg::Es256).unwrap();
        let exported = key.export_secret();
        let pkcs8 = URL_SAFE_NO_PAD
            .decode(exported.split_once('.').unwrap().1)
            .unwrap();
        let jwk = serde_json::to_value(key.public_jwk().unwrap()).unwrap();
        (EncodingKey::from_ec_der(&pkcs8), jwk)
    }

    /// A JWT with exactly `header`, signed with `key` as ES256.
    fn jwt(header: &Value, key: &EncodingKey) -> String {
        let claims = json!({"jti": "j", "htm": "POST", "htu": "http://x/token", "iat": now()});
        let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let message = format!("{}.{}", b64(header), b64(&claims));
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), key, Algorithm::ES256).unwrap();
        format!("{message}.{signature}")
    }

    #[test]
    fn a_well_formed_proof_verifies_and_names_its_keys_thumbprint() {
        let (signing, jwk) = key();
        let proof = jwt(
            &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}),
            &signing,
        );
        let (jkt, claims) = verify_signature(&proof).unwrap();
        assert_eq!(claims["htm"], "POST");
        let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk).unwrap();
        assert_eq!(jkt, parsed.thumbprint(ThumbprintHash::SHA256));
    }

    #[test]
    fn proofs_by_every_key_type_it_announces_verify() {
        let url = url::Url::parse("http://127.0.0.1/_demo/google/token").unwrap();
        for alg in [DpopAlg::Es256, DpopAlg::EdDsa, DpopAlg::Rs256] {
            assert!(ALGS.contains(&alg.name()), "{} is announced", alg.name());
            let key = DpopKey::generate(alg).unwrap();
            let target = trilogin_oauth::dpop::ProofFor {
                method: "POST",
                url: &url,
                access_token: None,
                nonce: None,
            };
            let proof =
                trilogin_oauth::dpop::proof(&key, target, time::OffsetDateTime::now_utc()).unwrap();
            let (jkt, claims) = verify_signature(&proof).unwrap();
            assert_eq!(jkt, key.thumbprint().unwrap(), "{}", alg.name());
            assert_eq!(claims["htu"], "http://127.0.0.1/_demo/google/token");
        }
    }

    #[test]
    fn a_proof_of_another_type_without_a_key_or_carrying_the_private_key_is_refused() {
        let (signing, jwk) = key();
        let mut private = jwk.clone();
        private["d"] = json!("c2VjcmV0");
        for (header, why) in [
            (json!({"typ": "JWT", "alg": "ES256", "jwk": jwk}), "typ"),
            (json!({"typ": "dpop+jwt", "alg": "ES256"}), "no jwk"),
            (
                json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private}),
                "private",
            ),
        ] {
            let refused = verify_signature(&jwt(&header, &signing)).unwrap_err();
            assert!(refused.contains(why), "{refused}");
        }
    }

    #[test]
    fn a_proof_signed_by_another_key_than_its_header_names_is_refused() {
        let (signing, _) = key();
        let (_, other) = key();
        let proof = jwt(
            &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": other}),
            &signing,
        );
        assert!(verify_signature(&proof).unwrap_err().contains("signature"));
    }
}
