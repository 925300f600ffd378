//! A JSON Web Key Set (RFC 7517) as fetched from `jwks_uri` or configured:
//! the usable keys, then the key chosen for each algorithm and `kid`, then
//! a token checked against it.

#![no_main]

use arbitrary::Arbitrary;
use jsonwebtoken::Algorithm;
use libfuzzer_sys::fuzz_target;
use trilogin_oauth::oidc::id_token::verify_signature;
use trilogin_oauth::oidc::jwks::{parse_key_set, select};

const ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::HS256,
    Algorithm::HS512,
];

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    set: &'a [u8],
    kid: Option<&'a str>,
    token: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    let Ok(set) = serde_json::from_slice::<serde_json::Value>(input.set) else {
        return;
    };
    let keys = parse_key_set(&set);
    for alg in ALGORITHMS {
        if let Ok(key) = select(&keys, input.kid, alg) {
            let _ = verify_signature(input.token, &key, alg);
        }
    }
});
