//! Client authentication at the token endpoint: `client_secret_basic` and
//! `client_secret_post` (RFC 6749 §2.3.1).

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

/// How the client authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// HTTP Basic with the form-encoded id and secret.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the request body.
    ClientSecretPost,
}

/// Why client authentication failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthError {
    /// No credentials at all.
    Missing,
    /// Credentials in both the header and the body; RFC 6749 §2.3 forbids
    /// more than one method in a request.
    MultipleMethods,
    /// An `Authorization: Basic` header that does not decode.
    Malformed,
    /// Unknown client or wrong secret.
    Invalid,
}

/// The client id and secret from an `Authorization: Basic` header, if one
/// is present. Both halves are form-urlencoded before base64 (RFC 6749 §2.3.1),
/// so they are decoded here.
pub fn basic_credentials(req: &HttpRequest) -> Option<Result<(String, String), ClientAuthError>> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    Some(decode_basic(encoded.trim()))
}

fn decode_basic(encoded: &str) -> Result<(String, String), ClientAuthError> {
    let raw = STANDARD
        .decode(encoded)
        .map_err(|_| ClientAuthError::Malformed)?;
    let raw = String::from_utf8(raw).map_err(|_| ClientAuthError::Malformed)?;
    let (id, secret) = raw.split_once(':').ok_or(ClientAuthError::Malformed)?;
    Ok((form_decode(id)?, form_decode(secret)?))
}

fn form_decode(s: &str) -> Result<String, ClientAuthError> {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| ClientAuthError::Malformed)
}

/// Authenticates the client of a token request against the one registered
/// client, from the Basic header or the body's `client_id`/`client_secret`.
pub fn authenticate(
    req: &HttpRequest,
    body_client_id: Option<&str>,
    body_client_secret: Option<&str>,
    client_id: &str,
    client_secret: &str,
) -> Result<ClientAuthMethod, ClientAuthError> {
    let (id, secret, method) = match basic_credentials(req) {
        Some(basic) => {
            let (id, secret) = basic?;
            if body_client_secret.is_some() {
                return Err(ClientAuthError::MultipleMethods);
            }
            // A client id repeated in the body must name the same client.
            if body_client_id.is_some_and(|body_id| body_id != id) {
                return Err(ClientAuthError::Invalid);
            }
            (id, secret, ClientAuthMethod::ClientSecretBasic)
        }
        None => match (body_client_id, body_client_secret) {
            (Some(id), Some(secret)) => (
                id.to_owned(),
                secret.to_owned(),
                ClientAuthMethod::ClientSecretPost,
            ),
            (Some(_), None) => return Err(ClientAuthError::Invalid),
            _ => return Err(ClientAuthError::Missing),
        },
    };
    // Both compared in constant time, and both always compared, so timing
    // tells nothing about which half was wrong.
    let id_ok = id.as_bytes().ct_eq(client_id.as_bytes());
    let secret_ok = secret.as_bytes().ct_eq(client_secret.as_bytes());
    if bool::from(id_ok & secret_ok) {
        Ok(method)
    } else {
        Err(ClientAuthError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_credentials_are_accepted() {
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, basic("app", "s3cret")))
            .to_http_request();
        assert_eq!(
            authenticate(&req, None, None, "app", "s3cret"),
            Ok(ClientAuthMethod::ClientSecretBasic)
        );
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, basic("my+app", "a%3Ab")))
            .to_http_request();
        assert_eq!(
            authenticate(&req, None, None, "my app", "a:b"),
            Ok(ClientAuthMethod::ClientSecretBasic)
        );
    }

    #[test]
    fn body_credentials_are_accepted() {
        let req = TestRequest::default().to_http_request();
        assert_eq!(
            authenticate(&req, Some("app"), Some("s3cret"), "app", "s3cret"),
            Ok(ClientAuthMethod::ClientSecretPost)
        );
    }

    #[test]
    fn wrong_missing_or_doubled_credentials_are_refused() {
        let plain = TestRequest::default().to_http_request();
        assert_eq!(
            authenticate(&plain, Some("app"), Some("nope"), "app", "s3cret"),
            Err(ClientAuthError::Invalid)
        );
        assert_eq!(
            authenticate(&plain, Some("app"), None, "app", "s3cret"),
            Err(ClientAuthError::Invalid)
        );
        assert_eq!(
            authenticate(&plain, None, None, "app", "s3cret"),
            Err(ClientAuthError::Missing)
        );
        let both = TestRequest::default()
            .insert_header((AUTHORIZATION, basic("app", "s3cret")))
            .to_http_request();
        assert_eq!(
            authenticate(&both, None, Some("s3cret"), "app", "s3cret"),
            Err(ClientAuthError::MultipleMethods)
        );
        let garbled = TestRequest::default()
            .insert_header((AUTHORIZATION, "Basic !!!"))
            .to_http_request();
        assert_eq!(
            authenticate(&garbled, None, None, "app", "s3cret"),
            Err(ClientAuthError::Malformed)
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use trilogin_oauth::client_auth::basic_authorization;
        use trilogin_oauth::secret::ClientSecret;
        use trilogin_oauth::strategies::tricky_text;

        proptest! {
            #[test]
            fn the_clients_basic_header_decodes_to_its_id_and_secret(
                id in tricky_text(),
                secret in tricky_text(),
            ) {
                let header = basic_authorization(&id, &ClientSecret::new(secret.clone()));
                let encoded = header.strip_prefix("Basic ").unwrap_or_default();
                prop_assert_eq!(decode_basic(encoded), Ok((id, secret)));
            }

            #[test]
            fn decoding_arbitrary_basic_credentials_never_panics(encoded in "[A-Za-z0-9+/=%:]{0,64}|.{0,32}") {
                let _ = decode_basic(&encoded);
            }
        }
    }
}
