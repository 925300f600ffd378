//! A JSON Web Key Set (RFC 7517) as fetched from `jwks_uri` or configured:
//! the usable keys, then the key chosen for each algorithm and `kid`, then
//! a token checked against it. The set is either raw bytes or built from
//! key fields with arbitrary values, so that keys of every type, with
//! hostile numbers and curves, reach the key construction.

#![no_main]

use arbitrary::Arbitrary;
use jsonwebtoken::Algorithm;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
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

const KEY_TYPES: [&str; 5] = ["RSA", "EC", "OKP", "oct", "other"];
const CURVES: [&str; 5] = ["P-256", "P-384", "P-521", "Ed25519", "X25519"];

#[derive(Debug, Arbitrary)]
struct Key<'a> {
    kty: u8,
    crv: u8,
    /// `n`, `x` or `k`, by key type.
    first: &'a str,
    /// `e` or `y`.
    second: &'a str,
    kid: Option<&'a str>,
    alg: Option<&'a str>,
    key_use: Option<&'a str>,
}

impl Key<'_> {
    fn to_json(&self) -> Value {
        let kty = KEY_TYPES[usize::from(self.kty) % KEY_TYPES.len()];
        let mut key = Map::new();
        key.insert("kty".into(), json!(kty));
        let (first, second) = match kty {
            "RSA" => ("n", "e"),
            "oct" => ("k", "ignored"),
            _ => ("x", "y"),
        };
        key.insert(first.into(), json!(self.first));
        key.insert(second.into(), json!(self.second));
        key.insert(
            "crv".into(),
            json!(CURVES[usize::from(self.crv) % CURVES.len()]),
        );
        for (name, value) in [("kid", self.kid), ("alg", self.alg), ("use", self.key_use)] {
            if let Some(value) = value {
                key.insert(name.into(), json!(value));
            }
        }
        Value::Object(key)
    }
}

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    raw_set: Option<&'a [u8]>,
    keys: Vec<Key<'a>>,
    kid: Option<&'a str>,
    token: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    let set = match input.raw_set {
        Some(raw) => match serde_json::from_slice::<Value>(raw) {
            Ok(set) => set,
            Err(_) => return,
        },
        None => json!({ "keys": input.keys.iter().map(Key::to_json).collect::<Vec<_>>() }),
    };
    let keys = parse_key_set(&set);
    for alg in ALGORITHMS {
        if let Ok(key) = select(&keys, input.kid, alg) {
            let _ = verify_signature(input.token, &key, alg);
        }
    }
});
