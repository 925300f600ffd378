//! The provider's JSON Web Key Set (RFC 7517): fetched from `jwks_uri`,
//! cached for `metadata_ttl`, fetched again once when an ID token names a
//! `kid` the set lacks (the provider rotated its keys), at most once a
//! minute so that forged `kid`s cannot make us hammer the provider.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use url::Url;

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::http::get_json;

/// The shortest time between two fetches caused by an unknown `kid`.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// Where the keys come from.
#[derive(Debug, Clone, Copy)]
pub enum KeySource<'a> {
    /// A static set from the configuration; never fetched.
    Static(&'a serde_json::Value),
    /// The provider's `jwks_uri`.
    Remote(&'a Url),
}

#[derive(Debug, Default)]
struct State {
    keys: Vec<Jwk>,
    fetched_at: Option<Instant>,
    last_unknown_kid_fetch: Option<Instant>,
}

/// A cached key set.
#[derive(Debug)]
pub struct JwksCache {
    ttl: Duration,
    state: tokio::sync::Mutex<State>,
}

impl JwksCache {
    /// An empty cache whose key set lives for `ttl`.
    #[must_use]
    pub fn new(ttl: time::Duration) -> Self {
        Self {
            ttl: ttl.try_into().unwrap_or_default(),
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    /// The key that verifies a token signed with `alg` under `kid`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidIdToken`] when no key fits ([`select`]); the key set's
    /// fetch errors ([`Error::Transport`], [`Error::UnexpectedResponse`]).
    pub async fn key_for(
        &self,
        http: &reqwest::Client,
        config: &ClientConfig,
        source: KeySource<'_>,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey> {
        let url = match source {
            KeySource::Static(set) => return select(&parse_key_set(set), kid, alg),
            KeySource::Remote(url) => url,
        };
        let mut state = self.state.lock().await;
        let fresh = state.fetched_at.is_some_and(|at| at.elapsed() < self.ttl);
        let mut fetched_now = false;
        if !fresh {
            state.keys = fetch(http, url, config).await?;
            state.fetched_at = Some(Instant::now());
            fetched_now = true;
        }
        match select(&state.keys, kid, alg) {
            Err(_)
                if kid.is_some()
                    && !fetched_now
                    && !state.keys.iter().any(|k| k.common.key_id.as_deref() == kid)
                    && state
                        .last_unknown_kid_fetch
                        .is_none_or(|at| at.elapsed() >= REFETCH_INTERVAL) =>
            {
                state.last_unknown_kid_fetch = Some(Instant::now());
                state.keys = fetch(http, url, config).await?;
                state.fetched_at = Some(Instant::now());
                select(&state.keys, kid, alg)
            }
            found => found,
        }
    }
}

async fn fetch(http: &reqwest::Client, url: &Url, config: &ClientConfig) -> Result<Vec<Jwk>> {
    let json = get_json(http, url, config).await?;
    Ok(parse_key_set(&json))
}

/// The keys of a set this library can use; one unusable key (an unknown
/// `kty` or `alg`) does not spoil the others.
pub fn parse_key_set(set: &serde_json::Value) -> Vec<Jwk> {
    set.get("keys")
        .and_then(serde_json::Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The one key for `kid` and `alg`. Without a `kid`, exactly one key may
/// fit the algorithm: guessing among several would let any of them sign.
///
/// # Errors
///
/// [`Error::InvalidIdToken`] when no key fits, or several fit and the token
/// names no `kid`, or the key cannot be used.
pub fn select(keys: &[Jwk], kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey> {
    let fitting: Vec<&Jwk> = keys.iter().filter(|k| fits(k, alg)).collect();
    let key = match kid {
        Some(kid) => fitting
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid))
            .ok_or_else(|| Error::InvalidIdToken(format!("no {alg:?} key with kid {kid}")))?,
        None => match fitting.as_slice() {
            [only] => only,
            [] => {
                return Err(Error::InvalidIdToken(format!(
                    "no {alg:?} key in the key set"
                )));
            }
            _ => {
                return Err(Error::InvalidIdToken(format!(
                    "the token names no kid and several {alg:?} keys fit"
                )));
            }
        },
    };
    DecodingKey::from_jwk(key).map_err(|e| Error::InvalidIdToken(format!("unusable key: {e}")))
}

/// A key fits `alg` when its type matches the algorithm's family, its own
/// `alg` (if any) is `alg`, and it is meant for signatures. Symmetric keys
/// never come from a key set.
fn fits(key: &Jwk, alg: Algorithm) -> bool {
    let family_fits = match &key.algorithm {
        AlgorithmParameters::RSA(_) => matches!(
            alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        AlgorithmParameters::EllipticCurve(ec) => matches!(
            (alg, &ec.curve),
            (Algorithm::ES256, EllipticCurve::P256) | (Algorithm::ES384, EllipticCurve::P384)
        ),
        AlgorithmParameters::OctetKeyPair(_) => alg == Algorithm::EdDSA,
        AlgorithmParameters::OctetKey(_) => false,
    };
    let alg_fits = key.common.key_algorithm.as_ref().is_none_or(|declared| {
        serde_json::to_value(declared).ok() == serde_json::to_value(alg).ok()
    });
    let use_fits = !matches!(
        key.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    );
    family_fits && alg_fits && use_fits
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::strategies::{json, object_with, tricky_text};

    /// The RSA public key of RFC 7517 Appendix A.1.
    const RFC_7517_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    fn rsa_key(kid: &str) -> Value {
        json!({"kty": "RSA", "n": RFC_7517_N, "e": "AQAB", "kid": kid, "use": "sig"})
    }

    const ALGORITHMS: [Algorithm; 6] = [
        Algorithm::RS256,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        Algorithm::HS256,
    ];

    /// Key sets whose members look like keys, with anything in their fields.
    fn key_sets() -> impl Strategy<Value = Value> {
        let member = object_with(&[
            "kty", "kid", "alg", "use", "key_ops", "n", "e", "crv", "x", "y", "k", "x5c",
        ])
        .prop_map(Value::Object);
        let keyish = prop_oneof![member, tricky_text().prop_map(|kid| rsa_key(&kid)), json(),];
        prop_oneof![
            prop::collection::vec(keyish, 0..5).prop_map(|keys| json!({ "keys": keys })),
            json(),
        ]
    }

    #[test]
    fn an_encryption_key_is_never_used_to_verify() {
        let mut key = rsa_key("k1");
        key["use"] = json!("enc");
        let keys = parse_key_set(&json!({ "keys": [key] }));
        assert_eq!(keys.len(), 1);
        assert!(select(&keys, Some("k1"), Algorithm::RS256).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_key_sets_never_panic(
            set in key_sets(),
            kid in proptest::option::of(tricky_text()),
        ) {
            let keys = parse_key_set(&set);
            for alg in ALGORITHMS {
                let _ = select(&keys, kid.as_deref(), alg);
            }
        }

        #[test]
        fn each_kid_selects_its_key_and_without_a_kid_only_a_lone_key_is_chosen(
            kids in prop::collection::btree_set(tricky_text(), 1..5),
            unknown in tricky_text(),
        ) {
            let keys = parse_key_set(&json!({ "keys": kids.iter().map(|k| rsa_key(k)).collect::<Vec<_>>() }));
            prop_assert_eq!(keys.len(), kids.len());
            for kid in &kids {
                prop_assert!(select(&keys, Some(kid), Algorithm::RS256).is_ok());
                prop_assert!(select(&keys, Some(kid), Algorithm::ES256).is_err());
            }
            if !kids.contains(&unknown) {
                prop_assert!(select(&keys, Some(&unknown), Algorithm::RS256).is_err());
            }
            prop_assert_eq!(select(&keys, None, Algorithm::RS256).is_ok(), kids.len() == 1);
        }
    }
}
