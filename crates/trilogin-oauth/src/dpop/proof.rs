//! DPoP proofs (RFC 9449 §4): a fresh JWT per request, signed with the
//! connection's key, naming the method and URL it is for.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Header;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use url::Url;

use super::DpopKey;
use crate::error::{Error, Result};
use crate::secret::random_token;

/// The claims of a proof (RFC 9449 §4.2).
#[derive(Debug, serde::Serialize)]
struct ProofClaims<'a> {
    jti: String,
    htm: &'a str,
    htu: String,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
}

/// What one proof is for.
#[derive(Debug, Clone, Copy)]
pub struct ProofFor<'a> {
    /// The HTTP method (`htm`).
    pub method: &'a str,
    /// The request URL; `htu` is it without query and fragment.
    pub url: &'a Url,
    /// The access token a resource request presents, hashed into `ath`.
    pub access_token: Option<&'a str>,
    /// The server's latest `DPoP-Nonce`, if it gave one.
    pub nonce: Option<&'a str>,
}

/// `htu` (RFC 9449 §4.2): the target URI without query and fragment.
#[must_use]
pub fn htu(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.into()
}

/// `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token.
#[must_use]
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// A proof by `key` for the request `target`, issued at `now` with a fresh
/// `jti`.
///
/// # Errors
///
/// [`Error::Config`] when the key cannot sign.
pub fn proof(key: &DpopKey, target: ProofFor<'_>, now: OffsetDateTime) -> Result<String> {
    let mut header = Header::new(key.alg().jws());
    header.typ = Some("dpop+jwt".into());
    header.jwk = Some(key.public_jwk()?);
    let claims = ProofClaims {
        // 16 random bytes: RFC 9449 §11.1 asks for enough to be unique.
        jti: random_token(16),
        htm: target.method,
        htu: htu(target.url),
        iat: now.unix_timestamp(),
        nonce: target.nonce,
        ath: target.access_token.map(ath),
    };
    jsonwebtoken::encode(&header, &claims, &key.encoding_key())
        .map_err(|e| Error::Config(format!("cannot sign a DPoP proof: {e}")))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
    use time::macros::datetime;

    use super::*;
    use crate::dpop::DpopAlg;

    fn verify(proof: &str) -> (Header, serde_json::Value) {
        let header = decode_header(proof).unwrap();
        let jwk: &Jwk = header.jwk.as_ref().unwrap();
        let key = DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = Validation::new(header.alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let claims = decode::<serde_json::Value>(proof, &key, &validation)
            .unwrap()
            .claims;
        (header, claims)
    }

    #[test]
    fn a_proof_names_the_method_and_the_url_without_query_and_is_signed_by_the_key() {
        for alg in [DpopAlg::Es256, DpopAlg::EdDsa, DpopAlg::Rs256] {
            let key = DpopKey::generate(alg).unwrap();
            let url = Url::parse("https://as.example/token?x=1#frag").unwrap();
            let now = datetime!(2026-12-08 10:00 UTC);
            let target = ProofFor {
                method: "POST",
                url: &url,
                access_token: None,
                nonce: Some("n-1"),
            };
            let (header, claims) = verify(&proof(&key, target, now).unwrap());
            assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
            assert_eq!(
                header
                    .jwk
                    .unwrap()
                    .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256),
                key.thumbprint().unwrap()
            );
            assert_eq!(claims["htm"], "POST");
            assert_eq!(claims["htu"], "https://as.example/token");
            assert_eq!(claims["iat"], now.unix_timestamp());
            assert_eq!(claims["nonce"], "n-1");
            assert!(claims.get("ath").is_none(), "no access token, no ath");
        }
    }

    #[test]
    fn a_resource_proof_carries_the_hash_of_the_access_token_and_each_proof_a_new_jti() {
        let key = DpopKey::generate(DpopAlg::Es256).unwrap();
        let url = Url::parse("https://rs.example/userinfo").unwrap();
        let target = ProofFor {
            method: "GET",
            url: &url,
            access_token: Some("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            nonce: None,
        };
        let now = OffsetDateTime::now_utc();
        let (_, first) = verify(&proof(&key, target, now).unwrap());
        let (_, second) = verify(&proof(&key, target, now).unwrap());
        // RFC 9449 §7.1's example token and its ath.
        assert_eq!(first["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
        assert!(first.get("nonce").is_none());
        assert_ne!(first["jti"], second["jti"]);
    }
}
