//! Newtypes for every secret the client layer handles.
//!
//! A secret cannot be printed by accident: `Debug` is redacted, there is no
//! `Display`, and the value is reached only through `.secret()`. Values that
//! are compared with attacker-supplied input (state, nonce, request tokens)
//! are compared in constant time.
//!
//! ```
//! use trilogin_oauth::secret::{ClientSecret, State};
//!
//! let secret = ClientSecret::new("hunter2");
//! assert_eq!(format!("{secret:?}"), "ClientSecret([redacted])");
//! assert_eq!(secret.secret(), "hunter2");
//!
//! let state = State::new("a-random-state");
//! assert!(state.matches("a-random-state"));
//! assert!(!state.matches("a-random-stat"));
//! ```

use subtle::ConstantTimeEq;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret itself; every call site is a place where it leaves its wrapper.
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Compares with untrusted input in constant time.
            pub fn matches(&self, other: &str) -> bool {
                self.0.as_bytes().ct_eq(other.as_bytes()).into()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
    // Secrets that live in the server-side session between redirect and callback.
    ($(#[$doc:meta])* $name:ident, session) => {
        secret_type!($(#[$doc])* $name);

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self)
            }
        }
    };
}

secret_type!(
    /// An OAuth client secret (RFC 6749 §2.3.1) or OAuth 1 consumer secret.
    ClientSecret
);
secret_type!(
    /// An OAuth 2 access token (RFC 6749 §1.4) or OAuth 1 token credential (RFC 5849 §1.1).
    AccessToken
);
secret_type!(
    /// An OAuth 2 refresh token (RFC 6749 §1.5).
    RefreshToken
);
secret_type!(
    /// An OpenID Connect ID token, kept as the compact JWS it arrived as.
    IdToken
);
secret_type!(
    /// An OAuth 1 token secret (RFC 5849 §2.1, §2.3); lives in the session only
    /// while a request token is pending.
    TokenSecret,
    session
);
secret_type!(
    /// The `state` parameter binding a callback to the browser that started it (RFC 6749 §10.12).
    State,
    session
);
secret_type!(
    /// The OpenID Connect `nonce` (OIDC Core §3.1.2.1).
    Nonce,
    session
);
secret_type!(
    /// The PKCE `code_verifier` (RFC 7636 §4.1).
    PkceVerifier,
    session
);

/// Fresh randomness for state, nonce and verifiers: `bytes` random bytes,
/// base64url without padding. From the thread's generator, a CSPRNG
/// (`ChaCha12`) seeded and regularly reseeded by the operating system, so a
/// token costs no system call.
#[must_use]
pub fn random_token(bytes: usize) -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = ClientSecret::new("hunter2");
        let token = AccessToken::new("gho_abc");
        let state = State::new("xyz");
        let shown = format!("{secret:?} {token:?} {state:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("gho_abc") && !shown.contains("xyz"));
        assert!(shown.contains("ClientSecret([redacted])"));
    }

    #[test]
    fn matches_compares_whole_values() {
        let state = State::new("abcdef");
        assert!(state.matches("abcdef"));
        assert!(!state.matches("abcde"));
        assert!(!state.matches("abcdefg"));
        assert!(!state.matches(""));
    }

    #[test]
    fn random_tokens_carry_at_least_128_bits_and_differ() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
    }
}
