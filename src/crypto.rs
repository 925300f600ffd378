//! Encryption at rest for secret columns (access tokens, refresh tokens,
//! token secrets, ID tokens).
//!
//! Values are sealed with XChaCha20-Poly1305 under a key derived from
//! `SECRET_KEY` by HKDF-SHA256 (RFC 5869) with a purpose label, so the
//! cookie-signing key and the column key never coincide. Each value gets a
//! fresh random 192-bit nonce (large enough that random nonces never
//! collide in practice) and is stored as `v1:` + base64(nonce ‖ ciphertext).
//! The version prefix lets keys and algorithms rotate later.
//!
//! The associated data names the column (`oauth2_tokens.access_token`), so a
//! sealed value copied into another column no longer opens.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore as _;
use sha2::Sha256;

use crate::config::SecretKey;

/// The prefix of values sealed by this version of the scheme.
const VERSION_PREFIX: &str = "v1:";
/// HKDF `info` of the column key.
const COLUMN_KEY_LABEL: &[u8] = b"trilogin v1 token encryption at rest";
const NONCE_LEN: usize = 24;

/// Why a stored value could not be opened (or, rarely, sealed).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The value does not start with a known version prefix.
    #[error("sealed value has an unknown format version")]
    UnknownVersion,
    /// The value is not base64 or is too short to hold a nonce and a tag.
    #[error("sealed value is malformed")]
    Malformed,
    /// Authentication failed: another key, another column, or tampering.
    #[error("sealed value does not open with this key (wrong SECRET_KEY, moved or tampered)")]
    Decrypt,
    /// The plaintext is not UTF-8 (it was sealed by something else).
    #[error("opened value is not UTF-8")]
    NotUtf8,
    /// The AEAD refused to encrypt (only for absurd lengths).
    #[error("value could not be sealed")]
    Seal,
}

/// Seals and opens secret column values. Cheap to clone; `Debug` is redacted.
#[derive(Clone)]
pub struct Cipher {
    aead: XChaCha20Poly1305,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher([redacted])")
    }
}

impl Cipher {
    /// Derives the column key from `secret`.
    pub fn new(secret: &SecretKey) -> Self {
        let key: [u8; 32] = derive_key(secret, COLUMN_KEY_LABEL);
        Self {
            aead: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// Seals `plaintext` for the column named by `aad` (`table.column`).
    pub fn seal(&self, aad: &str, plaintext: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Seal)?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(format!("{VERSION_PREFIX}{}", BASE64.encode(sealed)))
    }

    /// Opens a value sealed by [`Cipher::seal`] for the same column.
    pub fn open(&self, aad: &str, stored: &str) -> Result<String, CryptoError> {
        let encoded = stored
            .strip_prefix(VERSION_PREFIX)
            .ok_or(CryptoError::UnknownVersion)?;
        let sealed = BASE64.decode(encoded).map_err(|_| CryptoError::Malformed)?;
        // 16 bytes of Poly1305 tag follow the nonce even for an empty value.
        if sealed.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plaintext = self
            .aead
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plaintext).map_err(|_| CryptoError::NotUtf8)
    }
}

/// Derives `N` bytes of key material for one purpose from `secret`
/// (HKDF-SHA256, RFC 5869, with `label` as `info`). Distinct labels give
/// independent keys.
pub fn derive_key<const N: usize>(secret: &SecretKey, label: &[u8]) -> [u8; N] {
    const { assert!(N <= 255 * 32, "HKDF-SHA256 yields at most 8160 bytes") };
    let hkdf = Hkdf::<Sha256>::new(None, secret.secret());
    let mut okm = [0u8; N];
    // `expand` fails only for outputs longer than 255 hash lengths, which
    // the assertion above rules out at compile time.
    let _ = hkdf.expand(label, &mut okm);
    okm
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(key: &str) -> Cipher {
        Cipher::new(&SecretKey::new(key.repeat(32)).unwrap())
    }

    const AAD: &str = "oauth2_tokens.access_token";

    #[test]
    fn sealed_values_open_again_and_hide_the_plaintext() {
        let cipher = cipher("a");
        let sealed = cipher.seal(AAD, "gho_plaintext_token").unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("gho_plaintext_token"));
        assert_eq!(cipher.open(AAD, &sealed).unwrap(), "gho_plaintext_token");
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let cipher = cipher("a");
        assert_ne!(
            cipher.seal(AAD, "same").unwrap(),
            cipher.seal(AAD, "same").unwrap()
        );
    }

    #[test]
    fn another_key_fails_cleanly() {
        let sealed = cipher("a").seal(AAD, "token").unwrap();
        assert_eq!(cipher("b").open(AAD, &sealed), Err(CryptoError::Decrypt));
    }

    #[test]
    fn a_value_moved_to_another_column_does_not_open() {
        let cipher = cipher("a");
        let sealed = cipher.seal(AAD, "token").unwrap();
        assert_eq!(
            cipher.open("oauth2_tokens.refresh_token", &sealed),
            Err(CryptoError::Decrypt)
        );
    }

    #[test]
    fn tampered_or_foreign_values_fail_without_panicking() {
        let cipher = cipher("a");
        let sealed = cipher.seal(AAD, "token").unwrap();
        let mut bytes = BASE64.decode(&sealed[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let flipped = format!("v1:{}", BASE64.encode(&bytes));
        assert_eq!(cipher.open(AAD, &flipped), Err(CryptoError::Decrypt));
        assert_eq!(cipher.open(AAD, "token"), Err(CryptoError::UnknownVersion));
        assert_eq!(
            cipher.open(AAD, "v2:AAAA"),
            Err(CryptoError::UnknownVersion)
        );
        assert_eq!(cipher.open(AAD, "v1:!!!"), Err(CryptoError::Malformed));
        assert_eq!(cipher.open(AAD, "v1:AAAA"), Err(CryptoError::Malformed));
        assert_eq!(cipher.open(AAD, ""), Err(CryptoError::UnknownVersion));
    }

    #[test]
    fn derived_keys_differ_by_label_and_are_stable() {
        let secret = SecretKey::new("k".repeat(32)).unwrap();
        let a: [u8; 64] = derive_key(&secret, b"one");
        let b: [u8; 64] = derive_key(&secret, b"two");
        assert_ne!(a, b);
        assert_eq!(a, derive_key::<64>(&secret, b"one"));
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use super::{AAD, cipher};

        proptest! {
            #[test]
            fn sealing_then_opening_gives_the_input(aad in ".{0,40}", plaintext in any::<String>()) {
                let cipher = cipher("a");
                let sealed = cipher.seal(&aad, &plaintext).unwrap_or_else(|e| panic!("{e}"));
                prop_assert_eq!(cipher.open(&aad, &sealed), Ok(plaintext));
            }

            #[test]
            fn tampering_with_any_byte_of_a_sealed_value_fails_to_open(
                plaintext in ".{0,40}",
                index in any::<prop::sample::Index>(),
                flip in 1u8..=255,
            ) {
                let cipher = cipher("a");
                let sealed = cipher.seal(AAD, &plaintext).unwrap_or_else(|e| panic!("{e}"));
                let mut bytes = BASE64
                    .decode(sealed.strip_prefix(VERSION_PREFIX).unwrap_or_default())
                    .unwrap_or_else(|e| panic!("{e}"));
                let at = index.index(bytes.len());
                bytes[at] ^= flip;
                let tampered = format!("{VERSION_PREFIX}{}", BASE64.encode(&bytes));
                prop_assert_eq!(cipher.open(AAD, &tampered), Err(CryptoError::Decrypt));
            }

            #[test]
            fn a_truncated_or_extended_sealed_value_fails_to_open(
                plaintext in ".{0,40}",
                cut in any::<prop::sample::Index>(),
                extra in prop::collection::vec(any::<u8>(), 1..8),
            ) {
                let cipher = cipher("a");
                let sealed = cipher.seal(AAD, &plaintext).unwrap_or_else(|e| panic!("{e}"));
                let bytes = BASE64
                    .decode(sealed.strip_prefix(VERSION_PREFIX).unwrap_or_default())
                    .unwrap_or_else(|e| panic!("{e}"));
                let truncated = &bytes[..cut.index(bytes.len())];
                let mut extended = bytes.clone();
                extended.extend_from_slice(&extra);
                for changed in [truncated, extended.as_slice()] {
                    let stored = format!("{VERSION_PREFIX}{}", BASE64.encode(changed));
                    prop_assert!(cipher.open(AAD, &stored).is_err());
                }
            }

            #[test]
            fn opening_arbitrary_text_never_panics(stored in "(v1:)?[A-Za-z0-9+/=]{0,120}|.{0,40}") {
                let _ = cipher("a").open(AAD, &stored);
            }
        }
    }
}
