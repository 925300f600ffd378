//! Encryption at rest for secret columns (access tokens, refresh tokens,
//! token secrets, ID tokens).
//!
//! Values are sealed with XChaCha20-Poly1305 under a key derived from
//! `SECRET_KEY` by HKDF-SHA256 (RFC 5869) with a purpose label, so the
//! cookie-signing key and the column key never coincide. Each value gets a
//! fresh random 192-bit nonce (large enough that random nonces never
//! collide in practice) and is stored as `v2:` + base64(nonce ‖ ciphertext).
//! The version prefix lets keys and algorithms rotate later.
//!
//! The associated data is a [`SealedAt`]: the column
//! (`oauth2_tokens.access_token`) and the identity of the row (for a token,
//! the provider and the person's id there). A sealed value copied into
//! another column or another row no longer opens, so someone who can write
//! to the database cannot hand one person's token to another account.
//!
//! `v1:` values, sealed before rows were bound, named the column alone; they
//! open only through [`Cipher::open_v1`], which start-up uses once to seal
//! them again as `v2:` (see `db::reseal`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore as _;
use sha2::Sha256;

/// The prefix of values sealed by this version of the scheme.
const VERSION_PREFIX: &str = "v2:";
/// The prefix of values sealed with the column alone as associated data.
const V1_PREFIX: &str = "v1:";
/// HKDF `info` of the column key.
const COLUMN_KEY_LABEL: &[u8] = b"trilogin v1 token encryption at rest";
const NONCE_LEN: usize = 24;

/// The shortest `SECRET_KEY` accepted, in bytes.
pub const MIN_SECRET_KEY_LEN: usize = 32;

/// The key that signs session cookies and derives the column key.
/// `Debug` is redacted; the bytes are reached through [`SecretKey::secret`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Vec<u8>);

/// A `SECRET_KEY` shorter than [`MIN_SECRET_KEY_LEN`] bytes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "must be at least {MIN_SECRET_KEY_LEN} bytes long (got {0}); generate one with `openssl rand -base64 48`"
)]
pub struct KeyTooShort(pub usize);

impl SecretKey {
    /// Wraps a key, refusing one shorter than [`MIN_SECRET_KEY_LEN`] bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, KeyTooShort> {
        let bytes = bytes.into();
        if bytes.len() < MIN_SECRET_KEY_LEN {
            return Err(KeyTooShort(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// The key material.
    pub fn secret(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

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

/// Where a sealed value is stored: the associated data of its seal.
#[derive(Debug, Clone, Copy)]
pub struct SealedAt<'a> {
    column: &'a str,
    row: &'a [&'a str],
}

impl<'a> SealedAt<'a> {
    /// The value of `column` (`table.column`) in the row identified by
    /// `row` (the values of a unique key of that table).
    pub const fn new(column: &'a str, row: &'a [&'a str]) -> Self {
        Self { column, row }
    }

    /// The associated data: each part preceded by its length, so that no
    /// two places encode alike (`a`,`b c` and `a b`,`c` differ).
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::new();
        for part in std::iter::once(self.column).chain(self.row.iter().copied()) {
            aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }
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

    /// Seals `plaintext` for the place `at`.
    pub fn seal(&self, at: &SealedAt<'_>, plaintext: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        // XChaCha20's 192-bit nonces may be random: a collision is out of
        // reach. The thread's generator is a CSPRNG seeded by the OS, without
        // a system call per seal.
        rand::thread_rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &at.aad(),
                },
            )
            .map_err(|_| CryptoError::Seal)?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(format!("{VERSION_PREFIX}{}", BASE64.encode(sealed)))
    }

    /// Opens a value sealed by [`Cipher::seal`] for the same place.
    pub fn open(&self, at: &SealedAt<'_>, stored: &str) -> Result<String, CryptoError> {
        let encoded = stored
            .strip_prefix(VERSION_PREFIX)
            .ok_or(CryptoError::UnknownVersion)?;
        self.decrypt(encoded, &at.aad())
    }

    /// Opens a `v1:` value, sealed for `column` alone. Only the one-time
    /// upgrade to `v2:` calls this: at run time a value must be bound to
    /// its row.
    pub fn open_v1(&self, column: &str, stored: &str) -> Result<String, CryptoError> {
        let encoded = stored
            .strip_prefix(V1_PREFIX)
            .ok_or(CryptoError::UnknownVersion)?;
        self.decrypt(encoded, column.as_bytes())
    }

    /// A `v1:` value, as releases before row binding sealed it: for tests
    /// of the upgrade path.
    #[cfg(test)]
    pub(crate) fn seal_v1(&self, column: &str, plaintext: &str) -> String {
        let nonce = [7u8; NONCE_LEN];
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: column.as_bytes(),
        };
        let ciphertext = self
            .aead
            .encrypt(XNonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        format!(
            "{V1_PREFIX}{}",
            BASE64.encode([&nonce[..], &ciphertext].concat())
        )
    }

    /// True when `stored` was sealed by an earlier version of the scheme.
    pub fn is_v1(stored: &str) -> bool {
        stored.starts_with(V1_PREFIX)
    }

    fn decrypt(&self, encoded: &str, aad: &[u8]) -> Result<String, CryptoError> {
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
                    aad,
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

    const AAD: SealedAt<'static> = SealedAt::new("oauth2_tokens.access_token", &["github", "1"]);

    #[test]
    fn sealed_values_open_again_and_hide_the_plaintext() {
        let cipher = cipher("a");
        let sealed = cipher.seal(&AAD, "gho_plaintext_token").unwrap();
        assert!(sealed.starts_with("v2:"));
        assert!(!sealed.contains("gho_plaintext_token"));
        assert_eq!(cipher.open(&AAD, &sealed).unwrap(), "gho_plaintext_token");
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let cipher = cipher("a");
        assert_ne!(
            cipher.seal(&AAD, "same").unwrap(),
            cipher.seal(&AAD, "same").unwrap()
        );
    }

    #[test]
    fn another_key_fails_cleanly() {
        let sealed = cipher("a").seal(&AAD, "token").unwrap();
        assert_eq!(cipher("b").open(&AAD, &sealed), Err(CryptoError::Decrypt));
    }

    #[test]
    fn a_value_moved_to_another_column_does_not_open() {
        let cipher = cipher("a");
        let sealed = cipher.seal(&AAD, "token").unwrap();
        assert_eq!(
            cipher.open(
                &SealedAt::new("oauth2_tokens.refresh_token", &["github", "1"]),
                &sealed
            ),
            Err(CryptoError::Decrypt)
        );
    }

    #[test]
    fn a_value_moved_to_another_row_does_not_open() {
        let cipher = cipher("a");
        let sealed = cipher.seal(&AAD, "token").unwrap();
        let column = "oauth2_tokens.access_token";
        for row in [&["github", "2"][..], &["google", "1"], &["github1"], &[]] {
            assert_eq!(
                cipher.open(&SealedAt::new(column, row), &sealed),
                Err(CryptoError::Decrypt),
                "{row:?}"
            );
        }
    }

    #[test]
    fn v1_values_open_only_through_the_upgrade_path() {
        let cipher = cipher("a");
        let column = "oauth2_tokens.access_token";
        let v1 = cipher.seal_v1(column, "old-token");
        assert!(Cipher::is_v1(&v1));
        assert_eq!(cipher.open_v1(column, &v1).unwrap(), "old-token");
        assert_eq!(cipher.open(&AAD, &v1), Err(CryptoError::UnknownVersion));
        let v2 = cipher.seal(&AAD, "new").unwrap();
        assert!(!Cipher::is_v1(&v2));
        assert_eq!(
            cipher.open_v1(column, &v2),
            Err(CryptoError::UnknownVersion)
        );
    }

    #[test]
    fn tampered_or_foreign_values_fail_without_panicking() {
        let cipher = cipher("a");
        let sealed = cipher.seal(&AAD, "token").unwrap();
        let mut bytes = BASE64.decode(&sealed[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let flipped = format!("v2:{}", BASE64.encode(&bytes));
        assert_eq!(cipher.open(&AAD, &flipped), Err(CryptoError::Decrypt));
        assert_eq!(cipher.open(&AAD, "token"), Err(CryptoError::UnknownVersion));
        assert_eq!(
            cipher.open(&AAD, "v3:AAAA"),
            Err(CryptoError::UnknownVersion)
        );
        assert_eq!(cipher.open(&AAD, "v2:!!!"), Err(CryptoError::Malformed));
        assert_eq!(cipher.open(&AAD, "v2:AAAA"), Err(CryptoError::Malformed));
        assert_eq!(cipher.open(&AAD, ""), Err(CryptoError::UnknownVersion));
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
            fn sealing_then_opening_gives_the_input(
                column in ".{0,40}",
                row in prop::collection::vec(".{0,12}", 0..3),
                plaintext in any::<String>(),
            ) {
                let cipher = cipher("a");
                let row: Vec<&str> = row.iter().map(String::as_str).collect();
                let at = SealedAt::new(&column, &row);
                let sealed = cipher.seal(&at, &plaintext).unwrap_or_else(|e| panic!("{e}"));
                prop_assert_eq!(cipher.open(&at, &sealed), Ok(plaintext));
            }

            #[test]
            fn a_value_opens_only_where_it_was_sealed(
                row in prop::collection::vec(".{0,6}", 0..3),
                other in prop::collection::vec(".{0,6}", 0..3),
            ) {
                prop_assume!(row != other);
                let cipher = cipher("a");
                let column = "oauth2_tokens.access_token";
                let row: Vec<&str> = row.iter().map(String::as_str).collect();
                let other: Vec<&str> = other.iter().map(String::as_str).collect();
                let sealed = cipher
                    .seal(&SealedAt::new(column, &row), "token")
                    .unwrap_or_else(|e| panic!("{e}"));
                prop_assert_eq!(
                    cipher.open(&SealedAt::new(column, &other), &sealed),
                    Err(CryptoError::Decrypt)
                );
            }

            #[test]
            fn tampering_with_any_byte_of_a_sealed_value_fails_to_open(
                plaintext in ".{0,40}",
                index in any::<prop::sample::Index>(),
                flip in 1u8..=255,
            ) {
                let cipher = cipher("a");
                let sealed = cipher.seal(&AAD, &plaintext).unwrap_or_else(|e| panic!("{e}"));
                let mut bytes = BASE64
                    .decode(sealed.strip_prefix(VERSION_PREFIX).unwrap_or_default())
                    .unwrap_or_else(|e| panic!("{e}"));
                let at = index.index(bytes.len());
                bytes[at] ^= flip;
                let tampered = format!("{VERSION_PREFIX}{}", BASE64.encode(&bytes));
                prop_assert_eq!(cipher.open(&AAD, &tampered), Err(CryptoError::Decrypt));
            }

            #[test]
            fn a_truncated_or_extended_sealed_value_fails_to_open(
                plaintext in ".{0,40}",
                cut in any::<prop::sample::Index>(),
                extra in prop::collection::vec(any::<u8>(), 1..8),
            ) {
                let cipher = cipher("a");
                let sealed = cipher.seal(&AAD, &plaintext).unwrap_or_else(|e| panic!("{e}"));
                let bytes = BASE64
                    .decode(sealed.strip_prefix(VERSION_PREFIX).unwrap_or_default())
                    .unwrap_or_else(|e| panic!("{e}"));
                let truncated = &bytes[..cut.index(bytes.len())];
                let mut extended = bytes.clone();
                extended.extend_from_slice(&extra);
                for changed in [truncated, extended.as_slice()] {
                    let stored = format!("{VERSION_PREFIX}{}", BASE64.encode(changed));
                    prop_assert!(cipher.open(&AAD, &stored).is_err());
                }
            }

            #[test]
            fn opening_arbitrary_text_never_panics(stored in "(v1:)?[A-Za-z0-9+/=]{0,120}|.{0,40}") {
                let _ = cipher("a").open(&AAD, &stored);
            }
        }
    }
}
