//! The server side of PKCE (RFC 7636): checks a `code_verifier` against the
//! `code_challenge` stored with the authorization code.
//!
//! Only `S256` is accepted (RFC 7636 §4.2): `plain` protects nothing against
//! an attacker who can read the authorization request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a PKCE check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkceError {
    /// The code was issued with a challenge but no verifier came.
    MissingVerifier,
    /// A verifier came for a code issued without a challenge.
    UnexpectedVerifier,
    /// The verifier is not 43–128 unreserved characters (RFC 7636 §4.1).
    MalformedVerifier,
    /// `BASE64URL(SHA256(verifier))` is not the challenge.
    Mismatch,
}

/// Whether an authorization request's `code_challenge` is acceptable:
/// 43 base64url characters, the encoding of a SHA-256 digest (RFC 7636 §4.2).
pub fn is_valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`, RFC 7636 §4.2.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Checks the token request's verifier against the stored challenge
/// (RFC 7636 §4.6).
pub fn verify(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), PkceError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(PkceError::UnexpectedVerifier),
        (Some(_), None) => Err(PkceError::MissingVerifier),
        (Some(challenge), Some(verifier)) => {
            let well_formed = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if !well_formed {
                return Err(PkceError::MalformedVerifier);
            }
            if bool::from(s256(verifier).as_bytes().ct_eq(challenge.as_bytes())) {
                Ok(())
            } else {
                Err(PkceError::Mismatch)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_7636_vector_verifies() {
        assert_eq!(s256(VERIFIER), CHALLENGE);
        assert!(is_valid_challenge(CHALLENGE));
        assert_eq!(verify(Some(CHALLENGE), Some(VERIFIER)), Ok(()));
    }

    #[test]
    fn a_wrong_or_missing_verifier_is_refused() {
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX";
        assert_eq!(
            verify(Some(CHALLENGE), Some(other)),
            Err(PkceError::Mismatch)
        );
        assert_eq!(
            verify(Some(CHALLENGE), None),
            Err(PkceError::MissingVerifier)
        );
        assert_eq!(
            verify(None, Some(VERIFIER)),
            Err(PkceError::UnexpectedVerifier)
        );
        assert_eq!(
            verify(Some(CHALLENGE), Some("short")),
            Err(PkceError::MalformedVerifier)
        );
    }

    #[test]
    fn a_plain_challenge_is_not_a_valid_s256_challenge() {
        assert!(!is_valid_challenge("short-plain-verifier"));
        assert!(!is_valid_challenge(&format!("{}=", &CHALLENGE[..42])));
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use trilogin_oauth::config::CodeChallengeMethod;
        use trilogin_oauth::pkce::{Pkce, challenge_for};
        use trilogin_oauth::secret::PkceVerifier;

        /// RFC 7636 §4.1: 43 to 128 unreserved characters.
        const VERIFIER: &str = "[A-Za-z0-9._~-]{43,128}";

        proptest! {
            #[test]
            fn the_clients_s256_challenge_verifies_at_the_server(verifier in VERIFIER) {
                let challenge = challenge_for(&PkceVerifier::new(verifier.clone()), CodeChallengeMethod::S256);
                prop_assert!(is_valid_challenge(&challenge), "{}", challenge);
                prop_assert_eq!(verify(Some(&challenge), Some(&verifier)), Ok(()));
            }

            #[test]
            fn another_verifier_does_not_meet_the_challenge(verifier in VERIFIER, other in VERIFIER) {
                prop_assume!(verifier != other);
                let challenge = s256(&verifier);
                prop_assert_eq!(verify(Some(&challenge), Some(&other)), Err(PkceError::Mismatch));
            }

            #[test]
            fn checking_arbitrary_verifiers_and_challenges_never_panics(
                challenge in proptest::option::of(".{0,64}"),
                verifier in proptest::option::of(".{0,140}"),
            ) {
                let _ = is_valid_challenge(challenge.as_deref().unwrap_or_default());
                let _ = verify(challenge.as_deref(), verifier.as_deref());
            }
        }

        #[test]
        fn generated_pairs_verify_at_the_server() {
            for _ in 0..32 {
                let pkce = Pkce::generate(CodeChallengeMethod::S256);
                assert_eq!(
                    verify(Some(&pkce.challenge), Some(pkce.verifier.secret())),
                    Ok(())
                );
            }
        }
    }
}
