//! An ID token as the client reads it (OIDC Core §3.1.3.7): the JOSE
//! header of a compact JWS as received, then a token whose header and
//! claims are arbitrary bytes but whose HS256 signature is good, so the
//! signature check passes and the claim checks see hostile claims. Also
//! the unverified reading of a stored ID token's `sub`, and the algorithm
//! allow-list built from discovered metadata.

#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;
use trilogin_oauth::OAuth2Token;
use trilogin_oauth::oidc::id_token::{
    Expected, allowed_algorithms, check_claims, read_header, stored_subject, verify_signature,
};
use trilogin_oauth::secret::{AccessToken, IdToken, Nonce};

const KEY: &[u8] = b"fuzzing key of thirty-two bytes!";

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    /// A token as a provider might send it.
    raw: &'a str,
    /// The decoded header and claims of a well-signed token; without a
    /// header of its own, a plain HS256 one, so the claims are reached.
    header: Option<&'a [u8]>,
    claims: &'a [u8],
    discovered_algs: Vec<String>,
    now: i64,
}

fn signed(header: &[u8], claims: &[u8]) -> Option<String> {
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(KEY),
        Algorithm::HS256,
    )
    .ok()?;
    Some(format!("{message}.{signature}"))
}

fuzz_target!(|input: Input<'_>| {
    let _ = read_header(input.raw);
    let _ = allowed_algorithms(None, Some(&input.discovered_algs));

    let stored = OAuth2Token {
        access_token: AccessToken::new("at"),
        token_type: "Bearer".into(),
        refresh_token: None,
        expires_at: None,
        scope: None,
        id_token: Some(IdToken::new(input.raw)),
        id_token_claims: None,
        extra: BTreeMap::new(),
    };
    let _ = stored_subject(&stored);

    let header = input.header.unwrap_or(br#"{"alg":"HS256","typ":"JWT"}"#);
    let Some(token) = signed(header, input.claims) else {
        return;
    };
    let Ok(header) = read_header(&token) else {
        return;
    };
    let key = DecodingKey::from_secret(KEY);
    let Ok(claims) = verify_signature(&token, &key, header.alg) else {
        return;
    };
    let nonce = Nonce::new("n-0S6_WzA2Mj");
    let access_token = AccessToken::new("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y");
    let expected = Expected {
        issuer: "https://op.test",
        issuer_aliases: &[],
        client_id: "client-1",
        nonce: Some(&nonce),
        access_token: Some(&access_token),
        leeway: time::Duration::seconds(120),
    };
    let now = OffsetDateTime::from_unix_timestamp(input.now).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    if let Ok(valid) = check_claims(&claims, header.alg, &expected, now) {
        assert_eq!(valid.iss, expected.issuer);
        assert!(valid.aud.iter().any(|a| a == expected.client_id));
        assert!(!valid.sub.is_empty());
    }
});
