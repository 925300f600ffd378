//! ID token validation (OIDC Core §3.1.3.7): the signature with an
//! algorithm from the allow-list and a key from the provider's key set,
//! then every claim a relying party must check. The claim checks are a pure
//! function of the claims and the time, so tests pin the clock.
//!
//! [`IdTokenValidator`] is the OAuth 2 client's [`TokenCheck`] in an
//! [`OidcClient`]: every token received, at login or on refresh, passes it.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use super::OidcClient;
use super::jwks::{JwksCache, KeySource};
pub use crate::claims::IdTokenClaims;
use crate::error::{Error, Result};
use crate::http::configured_or_discovered;
use crate::oauth2::{Grant, OAuth2Client, TokenCheck};
use crate::secret::{AccessToken, IdToken, Nonce, random_token};
use crate::token::OAuth2Token;

/// What the claims of one ID token must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The provider's issuer.
    pub issuer: &'a str,
    /// Other exact `iss` values the provider is documented to use.
    pub issuer_aliases: &'a [String],
    /// This client's id.
    pub client_id: &'a str,
    /// The nonce of the login; `None` for ID tokens from a refresh.
    pub nonce: Option<&'a Nonce>,
    /// The access token issued with the ID token, for `at_hash`.
    pub access_token: Option<&'a AccessToken>,
    /// Clock skew allowed on `exp` and `iat`.
    pub leeway: Duration,
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidIdToken(reason.into())
}

/// Checks the claims of an ID token whose signature was verified with
/// `alg`, at time `now`.
///
/// # Errors
///
/// [`Error::InvalidIdToken`] naming the first claim that fails.
///
/// # Examples
///
/// ```
/// use jsonwebtoken::Algorithm;
/// use serde_json::json;
/// use time::{Duration, macros::datetime};
/// use trilogin_oauth::Error;
/// use trilogin_oauth::oidc::id_token::{Expected, check_claims};
/// use trilogin_oauth::secret::Nonce;
///
/// let now = datetime!(2026-04-01 12:00 UTC);
/// let nonce = Nonce::new("n-0S6_WzA2Mj");
/// let expected = Expected {
///     issuer: "https://op.test",
///     issuer_aliases: &[],
///     client_id: "client-1",
///     nonce: Some(&nonce),
///     access_token: None,
///     leeway: Duration::seconds(120),
/// };
/// let mut claims = json!({
///     "iss": "https://op.test", "sub": "248289761001", "aud": "client-1",
///     "exp": now.unix_timestamp() + 600, "iat": now.unix_timestamp(),
///     "nonce": "n-0S6_WzA2Mj",
/// });
/// let valid = check_claims(claims.as_object().expect("an object"), Algorithm::RS256, &expected, now)?;
/// assert_eq!(valid.sub, "248289761001");
///
/// claims["nonce"] = json!("replayed");
/// let replayed = check_claims(claims.as_object().expect("an object"), Algorithm::RS256, &expected, now);
/// assert!(matches!(replayed, Err(Error::InvalidIdToken(_))));
/// # Ok::<(), Error>(())
/// ```
pub fn check_claims(
    claims: &Map<String, Value>,
    alg: Algorithm,
    expected: &Expected<'_>,
    now: OffsetDateTime,
) -> Result<IdTokenClaims> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);

    let iss = text("iss").ok_or_else(|| invalid("no iss"))?;
    if iss != expected.issuer && !expected.issuer_aliases.iter().any(|a| a == iss) {
        return Err(invalid(format!(
            "iss is {iss}, expected {}",
            expected.issuer
        )));
    }
    let aud: Vec<String> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .map(|a| a.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| invalid("aud holds a non-string"))?,
        _ => return Err(invalid("no aud")),
    };
    if !aud.iter().any(|a| a == expected.client_id) {
        return Err(invalid("aud does not name this client"));
    }
    match text("azp") {
        Some(azp) if azp != expected.client_id => {
            return Err(invalid("azp names another client"));
        }
        None if aud.len() > 1 => {
            return Err(invalid("several audiences but no azp"));
        }
        _ => {}
    }
    let exp = number("exp").ok_or_else(|| invalid("no exp"))?;
    let iat = number("iat").ok_or_else(|| invalid("no iat"))?;
    let now_s = now.unix_timestamp();
    let leeway = expected.leeway.whole_seconds();
    if now_s > exp.saturating_add(leeway) {
        return Err(invalid("expired"));
    }
    if iat > now_s.saturating_add(leeway) {
        return Err(invalid("issued in the future"));
    }
    let sub = text("sub")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("no sub"))?;
    if let Some(nonce) = expected.nonce {
        let got = text("nonce").ok_or_else(|| invalid("no nonce"))?;
        if !nonce.matches(got) {
            return Err(invalid("nonce does not match the login"));
        }
    }
    if let (Some(at_hash), Some(access_token)) = (text("at_hash"), expected.access_token) {
        let computed = token_hash(access_token.secret(), alg);
        if !bool::from(computed.as_bytes().ct_eq(at_hash.as_bytes())) {
            return Err(invalid("at_hash does not match the access token"));
        }
    }
    Ok(IdTokenClaims {
        iss: iss.to_owned(),
        sub: sub.to_owned(),
        aud,
        exp,
        iat,
        all: claims.clone(),
    })
}

/// OIDC Core §3.1.3.6: the left half of the hash of the access token,
/// with the hash of the signing algorithm, base64url-encoded.
#[must_use]
pub fn token_hash(value: &str, alg: Algorithm) -> String {
    let digest: Vec<u8> = match alg {
        Algorithm::HS256 | Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 => {
            Sha256::digest(value.as_bytes()).to_vec()
        }
        Algorithm::HS384 | Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 => {
            Sha384::digest(value.as_bytes()).to_vec()
        }
        Algorithm::HS512 | Algorithm::RS512 | Algorithm::PS512 | Algorithm::EdDSA => {
            Sha512::digest(value.as_bytes()).to_vec()
        }
    };
    let half = digest.get(..digest.len() / 2).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(half)
}

/// The algorithms an ID token may be signed with. An explicit setting wins
/// (and only it may name HMAC algorithms); else the provider's metadata
/// without HMAC; else RS256 (OIDC Discovery §3). Never `none`, which
/// `jsonwebtoken` cannot even represent.
#[must_use]
pub fn allowed_algorithms(
    configured: Option<&[String]>,
    discovered: Option<&[String]>,
) -> Vec<Algorithm> {
    let parse = |names: &[String]| -> Vec<Algorithm> {
        names.iter().filter_map(|n| n.parse().ok()).collect()
    };
    match (configured, discovered) {
        (Some(names), _) => parse(names),
        (None, Some(names)) => parse(names).into_iter().filter(|a| !is_hmac(*a)).collect(),
        (None, None) => vec![Algorithm::RS256],
    }
}

fn is_hmac(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

/// The JOSE header of a compact JWS ([RFC 7515 §7.1]): the first reading of
/// an ID token, before anything about it is trusted.
///
/// [RFC 7515 §7.1]: https://www.rfc-editor.org/rfc/rfc7515#section-7.1
///
/// # Errors
///
/// [`Error::InvalidIdToken`] for a token that is not a compact JWS, or whose
/// `alg` is unknown (`none` among them).
pub fn read_header(id_token: &str) -> Result<jsonwebtoken::Header> {
    jsonwebtoken::decode_header(id_token)
        .map_err(|e| invalid(format!("unreadable header or unsupported alg: {e}")))
}

/// The claims of `id_token` once its signature verifies with `key` under
/// `alg`; none of them is checked yet (that is [`check_claims`]).
///
/// # Errors
///
/// [`Error::InvalidIdToken`] when the signature does not verify, or the
/// payload is not a JSON object.
pub fn verify_signature(
    id_token: &str,
    key: &DecodingKey,
    alg: Algorithm,
) -> Result<Map<String, Value>> {
    let mut validation = Validation::new(alg);
    // The claims are checked by `check_claims`, with the injected clock.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Map<String, Value>>(id_token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| invalid(format!("signature check failed: {e}")))
}

/// Validates the ID tokens of one client, with the provider's key set
/// cached for `metadata_ttl` (and fetched again for an unknown `kid`).
#[derive(Debug)]
pub struct IdTokenValidator {
    jwks: JwksCache,
}

impl IdTokenValidator {
    /// A validator whose cached key set lives for `key_set_ttl`.
    #[must_use]
    pub fn new(key_set_ttl: Duration) -> Self {
        Self {
            jwks: JwksCache::new(key_set_ttl),
        }
    }

    /// Validates `id_token` for `client` (OIDC Core §3.1.3.7) at time
    /// `now`: algorithm allow-list, signature, then the claims. `nonce` is
    /// the login's nonce (`None` for an ID token from a refresh, OIDC Core
    /// §12.2); `access_token`, when given, is checked against `at_hash`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidIdToken`] for an algorithm outside the allow-list, no
    /// fitting key, a bad signature or a failing claim; [`Error::Config`] when
    /// no key set, client secret (for HMAC) or issuer is known; the key set's
    /// and discovery's fetch errors.
    #[tracing::instrument(skip_all, fields(client = %client.name()))]
    pub async fn validate(
        &self,
        client: &OAuth2Client,
        id_token: &IdToken,
        nonce: Option<&Nonce>,
        access_token: Option<&AccessToken>,
        now: OffsetDateTime,
    ) -> Result<IdTokenClaims> {
        let config = client.config();
        let header = read_header(id_token.secret())?;
        let endpoints = client.endpoints().await?;
        let metadata = endpoints.metadata.as_deref();
        let allowed = allowed_algorithms(
            config.id_token_signing_alg_values.as_deref(),
            metadata.and_then(|m| m.id_token_signing_alg_values_supported.as_deref()),
        );
        if !allowed.contains(&header.alg) {
            return Err(invalid(format!("alg {:?} is not allowed", header.alg)));
        }
        let key = if is_hmac(header.alg) {
            // OIDC Core §10.1: HMAC ID tokens are keyed with the client secret.
            let secret = config.client_secret.as_ref().ok_or_else(|| {
                Error::Config("an HMAC alg is allowed but there is no client_secret".into())
            })?;
            DecodingKey::from_secret(secret.secret().as_bytes())
        } else {
            let jwks_uri = configured_or_discovered(
                config.jwks_uri.as_ref(),
                metadata.and_then(|m| m.jwks_uri.as_ref()),
                config.allow_insecure_http,
            )?;
            let source = match (&config.jwks, &jwks_uri) {
                (Some(set), _) => KeySource::Static(set),
                (None, Some(url)) => KeySource::Remote(url),
                (None, None) => {
                    return Err(Error::Config(
                        "no jwks or jwks_uri to verify ID tokens".into(),
                    ));
                }
            };
            self.jwks
                .key_for(
                    client.http(),
                    config,
                    source,
                    header.kid.as_deref(),
                    header.alg,
                )
                .await?
        };
        let claims = verify_signature(id_token.secret(), &key, header.alg)?;
        let issuer = endpoints
            .issuer
            .as_deref()
            .ok_or_else(|| Error::Config("no issuer configured or discovered".into()))?;
        check_claims(
            &claims,
            header.alg,
            &Expected {
                issuer,
                issuer_aliases: &config.id_token_issuer_aliases,
                client_id: &config.client_id,
                nonce,
                access_token,
                leeway: config.id_token_leeway,
            },
            now,
        )
    }
}

#[async_trait::async_trait]
impl TokenCheck for IdTokenValidator {
    /// A fresh nonce when the scope asks for `openid` (OIDC Core §3.1.2.1):
    /// 32 random bytes, like the state, bind the ID token to this login and
    /// no other.
    fn login_nonce(&self, client: &OAuth2Client) -> Option<Nonce> {
        client
            .config()
            .is_oidc()
            .then(|| Nonce::new(random_token(32)))
    }

    /// A login that sent a nonce must bring an ID token; a refresh may
    /// bring one, which must then name the same person (OIDC Core §12.2).
    /// The validated claims go on the token, beside the ID token.
    async fn check(
        &self,
        client: &OAuth2Client,
        token: &mut OAuth2Token,
        grant: Grant<'_>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let claims = match grant {
            Grant::AuthorizationCode { nonce: None } => return Ok(()),
            Grant::AuthorizationCode { nonce: Some(nonce) } => {
                let id_token = token.id_token.as_ref().ok_or_else(|| {
                    invalid("the token answer of an OpenID Connect login has no id_token")
                })?;
                let claims = self
                    .validate(
                        client,
                        id_token,
                        Some(nonce),
                        Some(&token.access_token),
                        now,
                    )
                    .await?;
                super::claims_options::check(&claims.all, client.config(), now)?;
                claims
            }
            Grant::Password | Grant::ClientCredentials => {
                let Some(id_token) = token.id_token.as_ref() else {
                    return Ok(());
                };
                // No browser login sent a nonce: everything else is checked.
                self.validate(client, id_token, None, Some(&token.access_token), now)
                    .await?
            }
            Grant::RefreshToken { replaced } => {
                let Some(id_token) = token.id_token.as_ref() else {
                    return Ok(());
                };
                if !client.config().is_oidc() {
                    return Ok(());
                }
                // No nonce: a refreshed ID token answers no login.
                let claims = self
                    .validate(client, id_token, None, Some(&token.access_token), now)
                    .await?;
                if let Some(sub) = stored_subject(replaced)?
                    && sub != claims.sub
                {
                    return Err(invalid("the refreshed ID token names another subject"));
                }
                claims
            }
        };
        token.id_token_claims = Some(claims);
        Ok(())
    }
}

impl OidcClient {
    /// Validates `id_token` (OIDC Core §3.1.3.7) at time `now`, as every
    /// login and refresh of this client does; see
    /// [`IdTokenValidator::validate`].
    ///
    /// # Errors
    ///
    /// As [`IdTokenValidator::validate`].
    pub async fn validate_id_token(
        &self,
        id_token: &IdToken,
        nonce: Option<&Nonce>,
        access_token: Option<&AccessToken>,
        now: OffsetDateTime,
    ) -> Result<IdTokenClaims> {
        self.validator
            .validate(&self.oauth2, id_token, nonce, access_token, now)
            .await
    }
}

/// The `sub` of the token's ID token. The ID token was validated when the
/// token was received, so its payload is read here without checking the
/// signature again (its `exp` may well have passed by now).
///
/// # Errors
///
/// [`Error::InvalidIdToken`] when the stored ID token is not a readable JWT
/// with a `sub`.
pub fn stored_subject(token: &OAuth2Token) -> Result<Option<String>> {
    if let Some(claims) = &token.id_token_claims {
        return Ok(Some(claims.sub.clone()));
    }
    let Some(id_token) = &token.id_token else {
        return Ok(None);
    };
    let unreadable = || Error::InvalidIdToken("the stored ID token is unreadable".into());
    let payload = id_token.secret().split('.').nth(1).ok_or_else(unreadable)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| unreadable())?;
    let claims: Value = serde_json::from_slice(&bytes).map_err(|_| unreadable())?;
    claims
        .get("sub")
        .and_then(Value::as_str)
        .map(|s| Some(s.to_owned()))
        .ok_or_else(unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-04-01 12:00:00 UTC);

    fn claims(overrides: Value) -> Map<String, Value> {
        let mut base = json!({
            "iss": "https://op.test",
            "sub": "248289761001",
            "aud": "client-1",
            "exp": NOW.unix_timestamp() + 600,
            "iat": NOW.unix_timestamp(),
            "nonce": "n-0S6_WzA2Mj",
        });
        if let (Value::Object(base), Value::Object(overrides)) = (&mut base, overrides) {
            for (k, v) in overrides {
                if v.is_null() {
                    base.remove(&k);
                } else {
                    base.insert(k, v);
                }
            }
        }
        match base {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn check(overrides: Value) -> Result<IdTokenClaims> {
        check_with_aliases(overrides, &[])
    }

    fn check_with_aliases(overrides: Value, issuer_aliases: &[String]) -> Result<IdTokenClaims> {
        let nonce = Nonce::new("n-0S6_WzA2Mj");
        let access_token = AccessToken::new("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y");
        check_claims(
            &claims(overrides),
            Algorithm::RS256,
            &Expected {
                issuer: "https://op.test",
                issuer_aliases,
                client_id: "client-1",
                nonce: Some(&nonce),
                access_token: Some(&access_token),
                leeway: Duration::seconds(120),
            },
            NOW,
        )
    }

    fn refused(overrides: Value, reason: &str) {
        match check(overrides) {
            Err(Error::InvalidIdToken(message)) => assert!(message.contains(reason), "{message}"),
            other => panic!("expected a refusal for {reason}, got {other:?}"),
        }
    }

    #[test]
    fn a_documented_issuer_alias_passes_and_nothing_else_does() {
        let aliases = ["op.test".to_owned()];
        assert!(check_with_aliases(json!({"iss": "op.test"}), &aliases).is_ok());
        assert!(check_with_aliases(json!({"iss": "https://evil.test"}), &aliases).is_err());
        assert!(check_with_aliases(json!({"iss": "OP.TEST"}), &aliases).is_err());
        assert!(
            check(json!({"iss": "op.test"})).is_err(),
            "no alias unless configured"
        );
    }

    #[test]
    fn good_claims_pass() {
        let claims = check(json!({})).unwrap();
        assert_eq!(claims.sub, "248289761001");
        assert_eq!(claims.aud, vec!["client-1"]);
    }

    #[test]
    fn each_claim_is_checked() {
        refused(json!({"iss": "https://evil.test"}), "iss");
        refused(json!({"aud": "client-2"}), "aud");
        refused(json!({"aud": ["client-1", "client-2"]}), "azp");
        refused(json!({"azp": "client-2"}), "azp");
        refused(json!({"sub": null}), "sub");
        refused(json!({"sub": ""}), "sub");
        refused(json!({"nonce": "other"}), "nonce");
        refused(json!({"nonce": null}), "nonce");
        refused(json!({"exp": null}), "exp");
        refused(json!({"iat": null}), "iat");
    }

    #[test]
    fn several_audiences_need_an_azp_naming_this_client() {
        assert!(check(json!({"aud": ["client-1", "client-2"], "azp": "client-1"})).is_ok());
    }

    #[test]
    fn expiry_and_issue_time_allow_the_leeway_and_no_more() {
        let t = NOW.unix_timestamp();
        assert!(check(json!({"exp": t - 120})).is_ok());
        refused(json!({"exp": t - 121}), "expired");
        assert!(check(json!({"iat": t + 120})).is_ok());
        refused(json!({"iat": t + 121}), "future");
    }

    #[test]
    fn at_hash_matches_the_oidc_core_example() {
        // OIDC Core Appendix A.3: this access token has at_hash 77QmUPtjPfzWtF2AnpK9RQ.
        assert_eq!(
            token_hash(
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
                Algorithm::RS256
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert!(check(json!({"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"})).is_ok());
        refused(json!({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}), "at_hash");
    }

    #[test]
    fn hmac_is_allowed_only_when_configured() {
        let discovered = vec!["RS256".to_owned(), "HS256".to_owned(), "none".to_owned()];
        assert_eq!(
            allowed_algorithms(None, Some(&discovered)),
            vec![Algorithm::RS256]
        );
        assert_eq!(allowed_algorithms(None, None), vec![Algorithm::RS256]);
        let configured = vec!["HS256".to_owned()];
        assert_eq!(
            allowed_algorithms(Some(&configured), Some(&discovered)),
            vec![Algorithm::HS256]
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use super::{NOW, claims};
        use crate::strategies::{json, object_with, tricky_text};

        const CLAIMS: &[&str] = &["iss", "sub", "aud", "azp", "exp", "iat", "nonce", "at_hash"];

        fn expected<'a>(nonce: &'a Nonce, access_token: &'a AccessToken) -> Expected<'a> {
            Expected {
                issuer: "https://op.test",
                issuer_aliases: &[],
                client_id: "client-1",
                nonce: Some(nonce),
                access_token: Some(access_token),
                leeway: Duration::seconds(120),
            }
        }

        /// Good claims with some of them replaced by anything.
        fn mostly_good_claims() -> impl Strategy<Value = Map<String, Value>> {
            prop::collection::btree_map(prop::sample::select(CLAIMS), json(), 0..4).prop_map(
                |overrides| {
                    let mut good = claims(serde_json::json!({}));
                    for (name, value) in overrides {
                        good.insert(name.to_owned(), value);
                    }
                    good
                },
            )
        }

        proptest! {
            #[test]
            fn arbitrary_claims_never_panic(claims in object_with(CLAIMS), now in any::<i64>()) {
                let nonce = Nonce::new("n-0S6_WzA2Mj");
                let access_token = AccessToken::new("at");
                let now = OffsetDateTime::from_unix_timestamp(now % 253_402_300_799).unwrap_or(NOW);
                let _ = check_claims(&claims, Algorithm::RS256, &expected(&nonce, &access_token), now);
            }

            #[test]
            fn claims_that_pass_name_this_issuer_client_and_login(claims in mostly_good_claims()) {
                let nonce = Nonce::new("n-0S6_WzA2Mj");
                let access_token = AccessToken::new("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y");
                let expected = expected(&nonce, &access_token);
                if let Ok(valid) = check_claims(&claims, Algorithm::RS256, &expected, NOW) {
                    prop_assert_eq!(&valid.iss, "https://op.test");
                    prop_assert!(valid.aud.iter().any(|a| a == "client-1"));
                    prop_assert!(!valid.sub.is_empty());
                    prop_assert!(i128::from(valid.exp) + 120 >= i128::from(NOW.unix_timestamp()));
                    prop_assert!(i128::from(valid.iat) - 120 <= i128::from(NOW.unix_timestamp()));
                    prop_assert_eq!(claims.get("nonce").and_then(Value::as_str), Some("n-0S6_WzA2Mj"));
                }
            }

            #[test]
            fn reading_the_subject_of_any_stored_id_token_never_panics(id_token in tricky_text()) {
                let token = OAuth2Token {
                    issued_at: None,
                    access_token: AccessToken::new("at"),
                    token_type: "Bearer".into(),
                    refresh_token: None,
                    expires_at: None,
                    scope: None,
                    id_token: Some(IdToken::new(id_token)),
                    id_token_claims: None,
                    extra: std::collections::BTreeMap::new(),
                    dpop_key: None,
                };
                let _ = stored_subject(&token);
            }
        }
    }
}
