//! A connection's DPoP key pair (RFC 9449 §2): made at the start of a
//! login, kept (sealed) with the tokens bound to it, and exported only as a
//! secret string for that storage.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, EncodingKey};

use crate::error::{Error, Result};

/// The proof signing algorithms this client makes keys for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpopAlg {
    /// ECDSA on P-256 with SHA-256, the default.
    Es256,
    /// Ed25519, for providers that list `EdDSA` but not ES256.
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (2048-bit keys), for providers that
    /// list only `RS256`.
    Rs256,
}

impl DpopAlg {
    /// The JWS name (`ES256`, `EdDSA`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
            Self::Rs256 => "RS256",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "ES256" => Some(Self::Es256),
            "EdDSA" => Some(Self::EdDsa),
            "RS256" => Some(Self::Rs256),
            _ => None,
        }
    }

    pub(super) fn jws(self) -> Algorithm {
        match self {
            Self::Es256 => Algorithm::ES256,
            Self::EdDsa => Algorithm::EdDSA,
            Self::Rs256 => Algorithm::RS256,
        }
    }

    /// The algorithm to use given what the provider lists in
    /// `dpop_signing_alg_values_supported` (RFC 9449 §5.1): ES256 when it
    /// lists nothing or ES256, else EdDSA, else RS256 when listed (smaller
    /// and faster keys first); `None` when the provider takes none of them.
    #[must_use]
    pub fn choose(supported: Option<&[String]>) -> Option<Self> {
        let Some(supported) = supported else {
            return Some(Self::Es256);
        };
        [Self::Es256, Self::EdDsa, Self::Rs256]
            .into_iter()
            .find(|alg| supported.iter().any(|s| s == alg.name()))
    }
}

/// A DPoP private key, with a redacted `Debug` and no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct DpopKey {
    alg: DpopAlg,
    /// PKCS #8 DER; for RS256 the PKCS #1 `RSAPrivateKey` that the JWT
    /// signer reads.
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DpopKey({}, [redacted])", self.alg.name())
    }
}

impl DpopKey {
    /// A fresh key pair for `alg`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the system cannot make a key.
    pub fn generate(alg: DpopAlg) -> Result<Self> {
        let failed = |_| Error::Config("cannot make a DPoP key".into());
        let rng = SystemRandom::new();
        let document = match alg {
            DpopAlg::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(failed)?
            }
            DpopAlg::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng).map_err(failed)?,
            DpopAlg::Rs256 => {
                return Ok(Self {
                    alg,
                    pkcs8: rsa_private_key()?,
                });
            }
        };
        Ok(Self {
            alg,
            pkcs8: document.as_ref().to_vec(),
        })
    }

    /// The proof signing algorithm.
    #[must_use]
    pub fn alg(&self) -> DpopAlg {
        self.alg
    }

    /// The key as one string, `<alg>.<base64url PKCS #8>`, for storage
    /// that seals it: this is the private key.
    #[must_use]
    pub fn export_secret(&self) -> String {
        format!(
            "{}.{}",
            self.alg.name(),
            URL_SAFE_NO_PAD.encode(&self.pkcs8)
        )
    }

    /// The key from [`export_secret`](Self::export_secret)'s form.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] for a string that is not such a key.
    pub fn import_secret(exported: &str) -> Result<Self> {
        let bad = || Error::Storage("the stored DPoP key is not readable".into());
        let (name, encoded) = exported.split_once('.').ok_or_else(bad)?;
        let alg = DpopAlg::from_name(name).ok_or_else(bad)?;
        let pkcs8 = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| bad())?;
        let key = Self { alg, pkcs8 };
        key.public_jwk().map_err(|_| bad())?;
        Ok(key)
    }

    pub(super) fn encoding_key(&self) -> EncodingKey {
        match self.alg {
            DpopAlg::Es256 => EncodingKey::from_ec_der(&self.pkcs8),
            DpopAlg::EdDsa => EncodingKey::from_ed_der(&self.pkcs8),
            DpopAlg::Rs256 => EncodingKey::from_rsa_der(&self.pkcs8),
        }
    }

    /// The public key as a JWK, for the proof's `jwk` header (RFC 9449 §4.2).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the key material is broken.
    pub fn public_jwk(&self) -> Result<Jwk> {
        let broken = |e: &dyn std::fmt::Display| Error::Config(format!("bad DPoP key: {e}"));
        match self.alg {
            DpopAlg::Es256 | DpopAlg::Rs256 => {
                Jwk::from_encoding_key(&self.encoding_key(), self.alg.jws()).map_err(|e| broken(&e))
            }
            DpopAlg::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8(&self.pkcs8).map_err(|e| broken(&e))?;
                Ok(Jwk {
                    common: CommonParameters {
                        key_algorithm: Some(KeyAlgorithm::EdDSA),
                        ..CommonParameters::default()
                    },
                    algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                        key_type: OctetKeyPairType::OctetKeyPair,
                        curve: EllipticCurve::Ed25519,
                        x: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
                    }),
                })
            }
        }
    }

    /// The JWK SHA-256 thumbprint (RFC 7638), sent as `dpop_jkt` (RFC 9449
    /// §10) and compared by the server with the proofs' keys.
    ///
    /// # Errors
    ///
    /// As [`public_jwk`](Self::public_jwk).
    pub fn thumbprint(&self) -> Result<String> {
        Ok(self.public_jwk()?.thumbprint(ThumbprintHash::SHA256))
    }
}

/// A fresh 2048-bit RSA key as PKCS #1 DER, made by aws-lc (much faster
/// than a pure Rust key generation) and converted for the JWT signer.
fn rsa_private_key() -> Result<Vec<u8>> {
    use aws_lc_rs::encoding::AsDer as _;
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    use rsa::pkcs8::DecodePrivateKey as _;

    let failed = || Error::Config("cannot make a DPoP key".into());
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|_| failed())?;
    let pkcs8 = pair.as_der().map_err(|_| failed())?;
    let key = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8.as_ref()).map_err(|_| failed())?;
    Ok(key
        .to_pkcs1_der()
        .map_err(|_| failed())?
        .as_bytes()
        .to_vec())
}

impl serde::Serialize for DpopKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.export_secret())
    }
}

impl<'de> serde::Deserialize<'de> for DpopKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let exported = String::deserialize(d)?;
        Self::import_secret(&exported).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_algorithm_follows_what_the_provider_lists() {
        let list = |algs: &[&str]| algs.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
        assert_eq!(DpopAlg::choose(None), Some(DpopAlg::Es256));
        assert_eq!(
            DpopAlg::choose(Some(&list(&["EdDSA", "ES256"]))),
            Some(DpopAlg::Es256)
        );
        assert_eq!(
            DpopAlg::choose(Some(&list(&["EdDSA", "PS256"]))),
            Some(DpopAlg::EdDsa)
        );
        assert_eq!(
            DpopAlg::choose(Some(&list(&["PS256", "RS256"]))),
            Some(DpopAlg::Rs256)
        );
        assert_eq!(DpopAlg::choose(Some(&list(&["PS256"]))), None);
    }

    #[test]
    fn an_exported_key_imports_as_the_same_key_for_both_algorithms() {
        for alg in [DpopAlg::Es256, DpopAlg::EdDsa, DpopAlg::Rs256] {
            let key = DpopKey::generate(alg).unwrap();
            let back = DpopKey::import_secret(&key.export_secret()).unwrap();
            assert_eq!(back, key);
            assert_eq!(back.thumbprint().unwrap(), key.thumbprint().unwrap());
            assert_eq!(back.alg(), alg);
        }
    }

    #[test]
    fn each_key_is_new_and_its_thumbprint_is_a_sha256() {
        let (a, b) = (
            DpopKey::generate(DpopAlg::Es256).unwrap(),
            DpopKey::generate(DpopAlg::Es256).unwrap(),
        );
        assert_ne!(a.thumbprint().unwrap(), b.thumbprint().unwrap());
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(a.thumbprint().unwrap())
                .unwrap()
                .len(),
            32
        );
    }

    #[test]
    fn a_broken_stored_key_is_refused_and_debug_shows_no_key() {
        for stored in [
            "",
            "ES256",
            "RS256.AAAA",
            "ES256.!!",
            "ES256.AAAA",
            "PS256.AAAA",
        ] {
            assert!(DpopKey::import_secret(stored).is_err(), "{stored}");
        }
        let key = DpopKey::generate(DpopAlg::Es256).unwrap();
        let shown = format!("{key:?}");
        assert_eq!(shown, "DpopKey(ES256, [redacted])");
        assert!(!shown.contains(&key.export_secret()[6..]));
    }

    #[test]
    fn the_thumbprint_follows_rfc_7638_for_an_ec_key() {
        use sha2::{Digest, Sha256};
        // RFC 7638 §3.1 hashes {"crv","kty","x","y"} in that order, no spaces.
        let key = DpopKey::generate(DpopAlg::Es256).unwrap();
        let jwk = serde_json::to_value(key.public_jwk().unwrap()).unwrap();
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            jwk["x"].as_str().unwrap(),
            jwk["y"].as_str().unwrap()
        );
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        assert_eq!(key.thumbprint().unwrap(), expected);
        assert!(
            jwk.get("d").is_none(),
            "the public JWK holds no private part"
        );
    }
}
