//! OAuth 1.0a signature verification, written from RFC 5849 §3.4 for the
//! provider side and independent of the client's signer: a mistake in one
//! cannot be mirrored by the other.
//!
//! Besides the RFC's HMAC-SHA1 and RSA-SHA1 this accepts HMAC-SHA256, the
//! de-facto extension many OAuth 1 servers support. PLAINTEXT (§3.4.4) is
//! refused, as Twitter refuses it: it sends the secrets themselves.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use sha1::Sha1;
use sha2::Sha256;
use url::Url;

/// The characters RFC 5849 §3.6 leaves unencoded: ALPHA, DIGIT, `-`, `.`, `_`, `~`.
const UNRESERVED_COMPLEMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A signature method this provider accepts (`oauth_signature_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMethod {
    /// [RFC 5849 §3.4.2](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.2).
    HmacSha1,
    /// HMAC-SHA1's construction with SHA-256.
    HmacSha256,
    /// [RFC 5849 §3.4.3](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.3):
    /// RSASSA-PKCS1-v1_5 with SHA-1, checked against the consumer's registered public key.
    RsaSha1,
}

impl SignatureMethod {
    /// The method named `name`; `None` for PLAINTEXT and anything unknown.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "HMAC-SHA1" => Some(Self::HmacSha1),
            "HMAC-SHA256" => Some(Self::HmacSha256),
            "RSA-SHA1" => Some(Self::RsaSha1),
            _ => None,
        }
    }
}

/// The secrets a signature can be checked against.
#[derive(Clone, Copy)]
pub struct VerificationKeys<'a> {
    /// The consumer secret (client shared secret).
    pub consumer_secret: &'a str,
    /// The token secret, empty when the request carries no token (§3.4.2).
    pub token_secret: &'a str,
    /// The consumer's registered RSA public key, needed for RSA-SHA1 only.
    pub consumer_rsa_key: Option<&'a RsaPublicKey>,
}

/// Percent-encodes `value` as [RFC 5849 §3.6](https://www.rfc-editor.org/rfc/rfc5849#section-3.6)
/// requires: UTF-8, every byte outside the unreserved set as `%XX` with upper-case hex.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED_COMPLEMENT).to_string()
}

/// The base string URI of [RFC 5849 §3.4.1.2](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.2):
/// scheme and host lower-case, the port only when it is not the scheme's
/// default, the path as requested, no query and no fragment.
///
/// The scheme, host and port come from the site's configured public URL,
/// not from the request: behind a proxy the request's own `Host` is not
/// what the client signed, and forwarding headers are the client's to forge.
pub fn base_uri(public_url: &Url, request_path: &str) -> String {
    // `Url` already lower-cases the scheme and host and forgets a default port.
    let host = public_url.host_str().unwrap_or_default();
    let port = public_url
        .port()
        .map(|port| format!(":{port}"))
        .unwrap_or_default();
    let path = if request_path.is_empty() {
        "/"
    } else {
        request_path
    };
    format!("{}://{host}{port}{path}", public_url.scheme())
}

/// The normalised request parameters of
/// [RFC 5849 §3.4.1.3.2](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3.2):
/// each decoded name and value encoded again, sorted by name then value,
/// joined as `name=value` with `&`. `oauth_signature` is left out.
pub fn normalized_parameters(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "oauth_signature")
        .map(|(name, value)| (encode(name), encode(value)))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The signature base string of [RFC 5849 §3.4.1.1](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.1).
pub fn base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    format!(
        "{}&{}&{}",
        encode(&method.to_ascii_uppercase()),
        encode(base_uri),
        encode(&normalized_parameters(params))
    )
}

/// Whether `signature` (the decoded `oauth_signature` value, base64) signs
/// `base_string` with `method` under `keys`. Comparisons run in constant time.
pub fn verify(
    method: SignatureMethod,
    base_string: &str,
    signature: &str,
    keys: VerificationKeys<'_>,
) -> bool {
    let Ok(signature) = STANDARD.decode(signature) else {
        return false;
    };
    // RFC 5849 §3.4.2: key = encode(consumer secret) "&" encode(token secret).
    let hmac_key = format!(
        "{}&{}",
        encode(keys.consumer_secret),
        encode(keys.token_secret)
    );
    match method {
        SignatureMethod::HmacSha1 => Hmac::<Sha1>::new_from_slice(hmac_key.as_bytes())
            .map(|mac| {
                mac.chain_update(base_string)
                    .verify_slice(&signature)
                    .is_ok()
            })
            .unwrap_or(false),
        SignatureMethod::HmacSha256 => Hmac::<Sha256>::new_from_slice(hmac_key.as_bytes())
            .map(|mac| {
                mac.chain_update(base_string)
                    .verify_slice(&signature)
                    .is_ok()
            })
            .unwrap_or(false),
        SignatureMethod::RsaSha1 => {
            let Some(public_key) = keys.consumer_rsa_key else {
                return false;
            };
            let Ok(signature) = Signature::try_from(signature.as_slice()) else {
                return false;
            };
            VerifyingKey::<Sha1>::new(public_key.clone())
                .verify(base_string.as_bytes(), &signature)
                .is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn encoding_follows_rfc_5849_section_3_6() {
        assert_eq!(encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
        assert_eq!(encode("An encoded string!"), "An%20encoded%20string%21");
        assert_eq!(encode("Dogs, Cats & Mice"), "Dogs%2C%20Cats%20%26%20Mice");
        assert_eq!(encode("☃"), "%E2%98%83");
        assert_eq!(encode("-._~azAZ09"), "-._~azAZ09");
    }

    #[test]
    fn base_uri_lower_cases_and_drops_default_ports() {
        let url = Url::parse("HTTP://EXAMPLE.com:80/ignored?q=1").unwrap();
        assert_eq!(base_uri(&url, "/r%20v/X"), "http://example.com/r%20v/X");
        let url = Url::parse("https://www.example.net:8080").unwrap();
        assert_eq!(base_uri(&url, "/"), "https://www.example.net:8080/");
        let url = Url::parse("https://example.net:443").unwrap();
        assert_eq!(base_uri(&url, "/a"), "https://example.net/a");
    }

    /// The request of RFC 5849 §3.4.1.1, parameters as §3.4.1.3.1 decodes them.
    #[test]
    fn base_string_matches_the_rfc_example() {
        let params = pairs(&[
            ("b5", "=%3D"),
            ("a3", "a"),
            ("c@", ""),
            ("a2", "r b"),
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
            ("oauth_signature", "bYT5CMsGcbgUdFHObYMEfcx6bsw="),
            ("c2", ""),
            ("a3", "2 q"),
        ]);
        assert_eq!(
            base_string("post", "http://example.com/request", &params),
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
             %26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_\
             key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m\
             ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk\
             9d7dh3k39sjv7"
        );
    }

    /// Twitter's published "Creating a signature" example.
    fn twitter_example() -> (String, VerificationKeys<'static>) {
        let params = pairs(&[
            (
                "status",
                "Hello Ladies + Gentlemen, a signed OAuth request!",
            ),
            ("include_entities", "true"),
            ("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"),
            ("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1318622958"),
            (
                "oauth_token",
                "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            ),
            ("oauth_version", "1.0"),
        ]);
        let base = base_string(
            "POST",
            "https://api.twitter.com/1.1/statuses/update.json",
            &params,
        );
        let keys = VerificationKeys {
            consumer_secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            token_secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
            consumer_rsa_key: None,
        };
        (base, keys)
    }

    #[test]
    fn hmac_sha1_accepts_twitters_published_example() {
        let (base, keys) = twitter_example();
        assert!(verify(
            SignatureMethod::HmacSha1,
            &base,
            "hCtSmYh+iHYCEqBWrE7C7hYmtUk=",
            keys
        ));
    }

    #[test]
    fn hmac_sha1_rejects_a_wrong_token_secret_or_a_changed_base_string() {
        let (base, keys) = twitter_example();
        let signature = "hCtSmYh+iHYCEqBWrE7C7hYmtUk=";
        let wrong_secret = VerificationKeys {
            token_secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kF",
            ..keys
        };
        assert!(!verify(
            SignatureMethod::HmacSha1,
            &base,
            signature,
            wrong_secret
        ));
        let changed = base.replace("true", "false");
        assert!(!verify(
            SignatureMethod::HmacSha1,
            &changed,
            signature,
            keys
        ));
        assert!(!verify(SignatureMethod::HmacSha256, &base, signature, keys));
        assert!(!verify(SignatureMethod::HmacSha1, &base, "%%%", keys));
    }

    #[test]
    fn rsa_sha1_needs_a_registered_key() {
        let (base, keys) = twitter_example();
        assert!(!verify(
            SignatureMethod::RsaSha1,
            &base,
            "hCtSmYh+iHYCEqBWrE7C7hYmtUk=",
            keys
        ));
    }

    #[test]
    fn plaintext_is_refused() {
        assert_eq!(SignatureMethod::from_name("PLAINTEXT"), None);
        assert_eq!(SignatureMethod::from_name("hmac-sha1"), None);
        assert_eq!(
            SignatureMethod::from_name("HMAC-SHA256"),
            Some(SignatureMethod::HmacSha256)
        );
    }
}
