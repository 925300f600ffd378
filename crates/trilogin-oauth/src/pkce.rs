//! Proof Key for Code Exchange (RFC 7636): the verifier kept in the session
//! and the challenge sent with the authorization request.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::config::CodeChallengeMethod;
use super::secret::{PkceVerifier, random_token};

/// A fresh PKCE pair for one authorization request.
#[derive(Debug, Clone)]
pub struct Pkce {
    /// The `code_verifier`, sent only with the code exchange (RFC 7636 §4.5).
    pub verifier: PkceVerifier,
    /// The `code_challenge` (RFC 7636 §4.2).
    pub challenge: String,
    /// The `code_challenge_method`.
    pub method: CodeChallengeMethod,
}

impl Pkce {
    /// A new verifier of 32 random bytes (43 base64url characters, inside
    /// the 43..=128 range of RFC 7636 §4.1) and its challenge.
    ///
    /// # Examples
    ///
    /// ```
    /// use trilogin_oauth::config::CodeChallengeMethod;
    /// use trilogin_oauth::pkce::{Pkce, challenge_for};
    ///
    /// let pkce = Pkce::generate(CodeChallengeMethod::S256);
    /// assert_eq!(pkce.verifier.secret().len(), 43);
    /// assert_eq!(pkce.challenge, challenge_for(&pkce.verifier, pkce.method));
    /// ```
    #[must_use]
    pub fn generate(method: CodeChallengeMethod) -> Self {
        let verifier = PkceVerifier::new(random_token(32));
        let challenge = challenge_for(&verifier, method);
        Self {
            verifier,
            challenge,
            method,
        }
    }
}

/// The `code_challenge` of `verifier` (RFC 7636 §4.2):
/// `BASE64URL(SHA256(verifier))` for S256, the verifier itself for plain.
#[must_use]
pub fn challenge_for(verifier: &PkceVerifier, method: CodeChallengeMethod) -> String {
    match method {
        CodeChallengeMethod::S256 => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.secret().as_bytes())),
        CodeChallengeMethod::Plain => verifier.secret().to_owned(),
    }
}

/// The wire name of a challenge method.
#[must_use]
pub fn method_name(method: CodeChallengeMethod) -> &'static str {
    match method {
        CodeChallengeMethod::S256 => "S256",
        CodeChallengeMethod::Plain => "plain",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_challenge_matches_rfc_7636_appendix_b() {
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            challenge_for(&verifier, CodeChallengeMethod::S256),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn plain_challenge_is_the_verifier() {
        let verifier = PkceVerifier::new("abc");
        assert_eq!(challenge_for(&verifier, CodeChallengeMethod::Plain), "abc");
    }

    #[test]
    fn generated_verifiers_are_long_enough_and_fresh() {
        let a = Pkce::generate(CodeChallengeMethod::S256);
        let b = Pkce::generate(CodeChallengeMethod::S256);
        assert!((43..=128).contains(&a.verifier.secret().len()));
        assert_ne!(a.verifier.secret(), b.verifier.secret());
        assert_eq!(a.challenge, challenge_for(&a.verifier, a.method));
    }
}
