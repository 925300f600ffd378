//! Client authentication at the token, refresh and revocation endpoints:
//! RFC 6749 §2.3.1 (`client_secret_basic`, `client_secret_post`), public
//! clients (`none`) and RFC 7523 §2.2 JWT assertions (`client_secret_jwt`,
//! `private_key_jwt`, as named by OIDC Core §9).

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use time::{Duration, OffsetDateTime};
use url::Url;

use super::config::{ClientConfig, TokenEndpointAuthMethod};
use super::error::{Error, Result};
use super::secret::{ClientSecret, random_token};

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT assertion.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long a client assertion stays valid: long enough for one request.
const ASSERTION_LIFETIME: Duration = Duration::seconds(60);

/// A client's credentials, ready to authenticate requests to its provider.
#[derive(Clone)]
pub struct ClientAuth {
    client_id: String,
    method: Method,
}

#[derive(Clone)]
enum Method {
    Basic(ClientSecret),
    Post(ClientSecret),
    None,
    Jwt { key: EncodingKey, alg: Algorithm },
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let method = match &self.method {
            Method::Basic(_) => "client_secret_basic",
            Method::Post(_) => "client_secret_post",
            Method::None => "none",
            Method::Jwt { alg, .. } if *alg == Algorithm::HS256 => "client_secret_jwt",
            Method::Jwt { .. } => "private_key_jwt",
        };
        f.debug_struct("ClientAuth")
            .field("client_id", &self.client_id)
            .field("method", &method)
            .finish()
    }
}

/// What authentication adds to one form-encoded request.
#[derive(Debug, Default)]
pub struct AuthParts {
    /// The `Authorization` header value, for `client_secret_basic`.
    pub authorization: Option<String>,
    /// Form parameters to add to the body.
    pub form: Vec<(String, String)>,
}

impl ClientAuth {
    /// Prepares the configured method, reading the private key file of
    /// `private_key_jwt` now so a bad key fails at start-up, not at login.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the method needs a `client_secret` that is not
    /// set, or `private_key_jwt` a `private_key_file` that is missing,
    /// unreadable, or neither an RSA nor an EC P-256 PEM key.
    pub fn from_config(config: &ClientConfig) -> Result<Self> {
        let secret = || {
            config.client_secret.clone().ok_or_else(|| {
                Error::Config(format!(
                    "{:?} needs a client_secret",
                    config.token_endpoint_auth_method
                ))
            })
        };
        let method = match config.token_endpoint_auth_method {
            TokenEndpointAuthMethod::ClientSecretBasic => Method::Basic(secret()?),
            TokenEndpointAuthMethod::ClientSecretPost => Method::Post(secret()?),
            TokenEndpointAuthMethod::None => Method::None,
            TokenEndpointAuthMethod::ClientSecretJwt => Method::Jwt {
                key: EncodingKey::from_secret(secret()?.secret().as_bytes()),
                alg: Algorithm::HS256,
            },
            TokenEndpointAuthMethod::PrivateKeyJwt => {
                let path = config.private_key_file.as_ref().ok_or_else(|| {
                    Error::Config("private_key_jwt needs a private_key_file".into())
                })?;
                let pem = std::fs::read(path).map_err(|e| {
                    Error::Config(format!("cannot read private key {}: {e}", path.display()))
                })?;
                let (key, alg) = signing_key_from_pem(&pem)?;
                Method::Jwt { key, alg }
            }
        };
        Ok(Self {
            client_id: config.client_id.clone(),
            method,
        })
    }

    /// The headers and form parameters that authenticate a request to
    /// `endpoint` at time `now`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a JWT assertion cannot be signed.
    pub fn parts(&self, endpoint: &Url, now: OffsetDateTime) -> Result<AuthParts> {
        let id = || ("client_id".to_owned(), self.client_id.clone());
        Ok(match &self.method {
            Method::Basic(secret) => AuthParts {
                authorization: Some(basic_authorization(&self.client_id, secret)),
                form: Vec::new(),
            },
            Method::Post(secret) => AuthParts {
                authorization: None,
                form: vec![id(), ("client_secret".into(), secret.secret().to_owned())],
            },
            Method::None => AuthParts {
                authorization: None,
                form: vec![id()],
            },
            Method::Jwt { key, alg } => {
                let claims = AssertionClaims::new(&self.client_id, endpoint, now);
                let jwt = jsonwebtoken::encode(&Header::new(*alg), &claims, key)
                    .map_err(|e| Error::Config(format!("cannot sign client assertion: {e}")))?;
                AuthParts {
                    authorization: None,
                    form: vec![
                        id(),
                        (
                            "client_assertion_type".into(),
                            JWT_BEARER_ASSERTION_TYPE.into(),
                        ),
                        ("client_assertion".into(), jwt),
                    ],
                }
            }
        })
    }
}

/// RFC 6749 §2.3.1: id and secret are each form-encoded before they are
/// joined with `:` and base64-encoded, so a `:` or `%` in either survives.
///
/// # Examples
///
/// ```
/// use trilogin_oauth::client_auth::basic_authorization;
/// use trilogin_oauth::secret::ClientSecret;
///
/// assert_eq!(basic_authorization("abc", &ClientSecret::new("def")), "Basic YWJjOmRlZg==");
/// ```
#[must_use]
pub fn basic_authorization(client_id: &str, secret: &ClientSecret) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(secret.secret()));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The claims of a client assertion (RFC 7523 §3).
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct AssertionClaims {
    /// The client id.
    pub iss: String,
    /// The client id again: the client speaks for itself.
    pub sub: String,
    /// The endpoint the assertion is meant for.
    pub aud: String,
    /// A fresh random id, so the provider can refuse replays.
    pub jti: String,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

impl AssertionClaims {
    /// Claims for `client_id` presenting itself at `endpoint` at `now`.
    #[must_use]
    pub fn new(client_id: &str, endpoint: &Url, now: OffsetDateTime) -> Self {
        Self {
            iss: client_id.to_owned(),
            sub: client_id.to_owned(),
            aud: endpoint.as_str().to_owned(),
            jti: random_token(16),
            iat: now.unix_timestamp(),
            exp: (now + ASSERTION_LIFETIME).unix_timestamp(),
        }
    }
}

/// An RSA key signs RS256, an EC P-256 key ES256.
fn signing_key_from_pem(pem: &[u8]) -> Result<(EncodingKey, Algorithm)> {
    if let Ok(key) = EncodingKey::from_rsa_pem(pem) {
        return Ok((key, Algorithm::RS256));
    }
    EncodingKey::from_ec_pem(pem)
        .map(|key| (key, Algorithm::ES256))
        .map_err(|e| Error::Config(format!("private key is neither RSA nor EC P-256 PEM: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-01 09:00:00 UTC);

    fn endpoint() -> Url {
        Url::parse("https://provider.test/token").unwrap()
    }

    fn config(method: TokenEndpointAuthMethod) -> ClientConfig {
        ClientConfig {
            client_id: "my client".into(),
            client_secret: Some(ClientSecret::new("s3cr:t%+")),
            token_endpoint_auth_method: method,
            ..ClientConfig::default()
        }
    }

    #[test]
    fn basic_authentication_form_encodes_id_and_secret_first() {
        let header = basic_authorization("id:with/reserved", &ClientSecret::new("p@ss:w%rd +&="));
        let encoded = header.strip_prefix("Basic ").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "id%3Awith%2Freserved:p%40ss%3Aw%25rd+%2B%26%3D"
        );
    }

    #[test]
    fn basic_authentication_leaves_plain_ids_as_they_are() {
        let header = basic_authorization("abc", &ClientSecret::new("def"));
        assert_eq!(header, "Basic YWJjOmRlZg==");
    }

    #[test]
    fn post_authentication_puts_id_and_secret_in_the_body() {
        let auth =
            ClientAuth::from_config(&config(TokenEndpointAuthMethod::ClientSecretPost)).unwrap();
        let parts = auth.parts(&endpoint(), NOW).unwrap();
        assert!(parts.authorization.is_none());
        assert_eq!(
            parts.form,
            vec![
                ("client_id".to_owned(), "my client".to_owned()),
                ("client_secret".to_owned(), "s3cr:t%+".to_owned())
            ]
        );
    }

    #[test]
    fn a_public_client_sends_only_its_id() {
        let mut c = config(TokenEndpointAuthMethod::None);
        c.client_secret = None;
        let parts = ClientAuth::from_config(&c)
            .unwrap()
            .parts(&endpoint(), NOW)
            .unwrap();
        assert_eq!(
            parts.form,
            vec![("client_id".to_owned(), "my client".to_owned())]
        );
    }

    #[test]
    fn secret_methods_without_a_secret_are_a_configuration_error() {
        let mut c = config(TokenEndpointAuthMethod::ClientSecretBasic);
        c.client_secret = None;
        assert!(matches!(ClientAuth::from_config(&c), Err(Error::Config(_))));
    }

    #[test]
    fn client_secret_jwt_claims_name_the_client_and_the_endpoint() {
        let auth =
            ClientAuth::from_config(&config(TokenEndpointAuthMethod::ClientSecretJwt)).unwrap();
        let parts = auth.parts(&endpoint(), NOW).unwrap();
        let form: std::collections::BTreeMap<_, _> = parts.form.into_iter().collect();
        assert_eq!(form["client_assertion_type"], JWT_BEARER_ASSERTION_TYPE);
        assert_eq!(form["client_id"], "my client");
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_audience(&["https://provider.test/token"]);
        let claims = jsonwebtoken::decode::<AssertionClaims>(
            &form["client_assertion"],
            &DecodingKey::from_secret(b"s3cr:t%+"),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!(claims.iss, "my client");
        assert_eq!(claims.sub, "my client");
        assert_eq!(claims.aud, "https://provider.test/token");
        assert_eq!(claims.iat, NOW.unix_timestamp());
        assert_eq!(claims.exp, NOW.unix_timestamp() + 60);
        assert!(claims.jti.len() >= 16);
    }

    #[test]
    fn each_assertion_has_its_own_jti() {
        let a = AssertionClaims::new("c", &endpoint(), NOW);
        let b = AssertionClaims::new("c", &endpoint(), NOW);
        assert_ne!(a.jti, b.jti);
    }

    #[test]
    fn private_key_jwt_without_a_readable_key_fails_at_configuration() {
        let mut c = config(TokenEndpointAuthMethod::PrivateKeyJwt);
        assert!(matches!(ClientAuth::from_config(&c), Err(Error::Config(_))));
        c.private_key_file = Some("/nonexistent/key.pem".into());
        assert!(matches!(ClientAuth::from_config(&c), Err(Error::Config(_))));
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/oauth2/fixtures")
            .join(name)
    }

    fn private_key_jwt_claims(key: &str, public: &str, alg: Algorithm) -> AssertionClaims {
        let mut c = config(TokenEndpointAuthMethod::PrivateKeyJwt);
        c.client_secret = None;
        c.private_key_file = Some(fixture(key));
        let parts = ClientAuth::from_config(&c)
            .unwrap()
            .parts(&endpoint(), NOW)
            .unwrap();
        let assertion = &parts
            .form
            .iter()
            .find(|(k, _)| k == "client_assertion")
            .unwrap()
            .1;
        assert_eq!(jsonwebtoken::decode_header(assertion).unwrap().alg, alg);
        let pem = std::fs::read(fixture(public)).unwrap();
        let key = match alg {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(&pem).unwrap(),
            _ => DecodingKey::from_ec_pem(&pem).unwrap(),
        };
        let mut validation = Validation::new(alg);
        validation.validate_exp = false;
        validation.set_audience(&["https://provider.test/token"]);
        jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation)
            .unwrap()
            .claims
    }

    #[test]
    fn private_key_jwt_with_an_rsa_key_signs_rs256_claims() {
        let claims = private_key_jwt_claims(
            "test-only-rsa-key-1.pem",
            "test-only-rsa-key-1-public.pem",
            Algorithm::RS256,
        );
        assert_eq!(
            (claims.iss.as_str(), claims.sub.as_str()),
            ("my client", "my client")
        );
        assert_eq!(claims.exp - claims.iat, 60);
    }

    #[test]
    fn private_key_jwt_with_an_ec_key_signs_es256_claims() {
        let claims = private_key_jwt_claims(
            "test-only-ec-p256-key.pem",
            "test-only-ec-p256-public.pem",
            Algorithm::ES256,
        );
        assert_eq!(claims.aud, "https://provider.test/token");
    }
}
