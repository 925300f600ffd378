//! Reading the provider's form-encoded answers to the request-token
//! ([RFC 5849 §2.1]) and access-token ([RFC 5849 §2.3]) calls.
//!
//! [RFC 5849 §2.1]: https://www.rfc-editor.org/rfc/rfc5849#section-2.1
//! [RFC 5849 §2.3]: https://www.rfc-editor.org/rfc/rfc5849#section-2.3

use std::collections::BTreeMap;

use super::encoding::form_decode;
use crate::error::{Error, Result};
use crate::secret::{AccessToken, TokenSecret};
use crate::token::OAuth1Token;

/// Temporary credentials: the request token and its secret (RFC 5849 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// `oauth_token`: the request token, sent to the authorization page.
    pub token: String,
    /// `oauth_token_secret`: signs the access-token call; never leaves the server.
    pub secret: TokenSecret,
}

/// Parses the answer to the request-token call. Besides the credentials it
/// requires `oauth_callback_confirmed=true`: a provider that does not send it
/// speaks OAuth 1.0 without the 1.0a session-fixation fix.
///
/// # Errors
///
/// [`Error::Provider`] for a refusal (any status but 2xx, or
/// `oauth_problem`), [`Error::UnexpectedResponse`] when a field is missing or
/// the callback is not confirmed.
pub fn parse_temporary_credentials(status: u16, body: &str) -> Result<TemporaryCredentials> {
    let mut fields = parse_success(status, body)?;
    if fields.get("oauth_callback_confirmed").map(String::as_str) != Some("true") {
        return Err(Error::UnexpectedResponse {
            status,
            reason:
                "oauth_callback_confirmed is not \"true\": the provider does not speak OAuth 1.0a"
                    .into(),
            body: body.to_owned(),
        });
    }
    let (token, secret) = take_credentials(&mut fields, status, body)?;
    Ok(TemporaryCredentials {
        token,
        secret: TokenSecret::new(secret),
    })
}

/// Parses the answer to the access-token call into token credentials,
/// keeping every other field (Twitter's `user_id`, `screen_name`) in `extra`.
///
/// # Errors
///
/// [`Error::Provider`] for a refusal, [`Error::UnexpectedResponse`] when the
/// token or its secret is missing.
pub fn parse_token_credentials(status: u16, body: &str) -> Result<OAuth1Token> {
    let mut fields = parse_success(status, body)?;
    let (token, secret) = take_credentials(&mut fields, status, body)?;
    Ok(OAuth1Token {
        oauth_token: AccessToken::new(token),
        oauth_token_secret: TokenSecret::new(secret),
        extra: fields,
    })
}

/// Turns a non-2xx answer into an error that keeps status and body: a 4xx is
/// the provider refusing (with the `oauth_problem` of the OAuth Problem
/// Reporting extension when it sends one), anything else is unexpected.
fn parse_success(status: u16, body: &str) -> Result<BTreeMap<String, String>> {
    if (200..300).contains(&status) {
        // A repeated field keeps its first value.
        let mut fields = BTreeMap::new();
        for (name, value) in form_decode(body.trim()) {
            fields.entry(name).or_insert(value);
        }
        return Ok(fields);
    }
    if (400..500).contains(&status) {
        let problem: BTreeMap<String, String> = form_decode(body.trim()).into_iter().collect();
        return Err(Error::Provider {
            error: problem
                .get("oauth_problem")
                .cloned()
                .unwrap_or_else(|| "request_refused".into()),
            description: problem.get("oauth_problem_advice").cloned(),
            status,
            body: body.to_owned(),
        });
    }
    Err(Error::UnexpectedResponse {
        status,
        reason: format!("the token endpoint answered HTTP {status}"),
        body: body.to_owned(),
    })
}

fn take_credentials(
    fields: &mut BTreeMap<String, String>,
    status: u16,
    body: &str,
) -> Result<(String, String)> {
    let token = fields.remove("oauth_token").filter(|t| !t.is_empty());
    let secret = fields.remove("oauth_token_secret");
    match (token, secret) {
        (Some(token), Some(secret)) => Ok((token, secret)),
        _ => Err(Error::UnexpectedResponse {
            status,
            reason: "the answer lacks oauth_token or oauth_token_secret".into(),
            body: body.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_credentials_of_rfc_5849_section_1_2_are_read() {
        let body = "oauth_token=hh5s93j4hdidpola&oauth_token_secret=hdhd0244k9j7ao03&oauth_callback_confirmed=true";
        let creds = parse_temporary_credentials(200, body).unwrap();
        assert_eq!(creds.token, "hh5s93j4hdidpola");
        assert_eq!(creds.secret.secret(), "hdhd0244k9j7ao03");
    }

    #[test]
    fn temporary_credentials_without_callback_confirmation_are_refused() {
        for body in [
            "oauth_token=a&oauth_token_secret=b",
            "oauth_token=a&oauth_token_secret=b&oauth_callback_confirmed=false",
        ] {
            match parse_temporary_credentials(200, body) {
                Err(Error::UnexpectedResponse {
                    status, body: kept, ..
                }) => {
                    assert_eq!(status, 200);
                    assert_eq!(kept, body);
                }
                other => panic!("expected UnexpectedResponse, got {other:?}"),
            }
        }
    }

    #[test]
    fn token_credentials_keep_twitters_extra_fields() {
        let body = "oauth_token=6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY&oauth_token_secret=2EEfA6BG3ly3sR3RjE0IBSnlQu4ZrUzPiYKmrkVU&user_id=6253282&screen_name=twitterapi";
        let token = parse_token_credentials(200, body).unwrap();
        assert_eq!(
            token.oauth_token.secret(),
            "6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY"
        );
        assert_eq!(
            token.oauth_token_secret.secret(),
            "2EEfA6BG3ly3sR3RjE0IBSnlQu4ZrUzPiYKmrkVU"
        );
        assert_eq!(
            token.extra.get("user_id").map(String::as_str),
            Some("6253282")
        );
        assert_eq!(
            token.extra.get("screen_name").map(String::as_str),
            Some("twitterapi")
        );
        assert!(!token.extra.contains_key("oauth_token"));
    }

    #[test]
    fn an_answer_without_credentials_is_unexpected() {
        assert!(matches!(
            parse_token_credentials(200, "<html>maintenance</html>"),
            Err(Error::UnexpectedResponse { status: 200, .. })
        ));
        assert!(matches!(
            parse_token_credentials(200, "oauth_token=&oauth_token_secret=x"),
            Err(Error::UnexpectedResponse { .. })
        ));
    }

    #[test]
    fn a_refusal_keeps_status_body_and_the_oauth_problem() {
        let body = "oauth_problem=signature_invalid&oauth_problem_advice=check+your+secret";
        match parse_token_credentials(401, body) {
            Err(Error::Provider {
                error,
                description,
                status,
                body: kept,
            }) => {
                assert_eq!(error, "signature_invalid");
                assert_eq!(description.as_deref(), Some("check your secret"));
                assert_eq!(status, 401);
                assert_eq!(kept, body);
            }
            other => panic!("expected Provider, got {other:?}"),
        }
    }

    #[test]
    fn a_refusal_without_a_problem_code_is_still_a_provider_error() {
        let body = r#"{"errors":[{"code":32,"message":"Could not authenticate you."}]}"#;
        assert!(matches!(
            parse_temporary_credentials(401, body),
            Err(Error::Provider { ref error, status: 401, body: ref kept, .. })
                if error == "request_refused" && kept == body
        ));
    }

    #[test]
    fn a_server_error_is_unexpected_and_transient() {
        let err = parse_token_credentials(503, "over capacity").unwrap_err();
        assert!(
            matches!(err, Error::UnexpectedResponse { status: 503, ref body, .. } if body == "over capacity")
        );
        assert!(err.is_transient());
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use crate::strategies::{pairs, tricky_text};

        proptest! {
            #[test]
            fn arbitrary_answers_never_panic(status in any::<u16>(), body in tricky_text()) {
                let _ = parse_temporary_credentials(status, &body);
                let _ = parse_token_credentials(status, &body);
            }

            #[test]
            fn form_encoded_credentials_and_extra_fields_are_read_back(
                token in tricky_text().prop_filter("a token", |t| !t.is_empty()),
                secret in tricky_text(),
                extra in pairs(),
                status in 200u16..300,
            ) {
                // A repeated field keeps its first value.
                let mut kept = BTreeMap::new();
                for (name, value) in extra.iter().filter(|(n, _)| !n.starts_with("oauth_token")) {
                    kept.entry(name.clone()).or_insert_with(|| value.clone());
                }
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("oauth_token", &token)
                    .append_pair("oauth_token_secret", &secret)
                    .extend_pairs(extra.iter().filter(|(n, _)| !n.starts_with("oauth_token")))
                    .finish();
                let read = parse_token_credentials(status, &body);
                prop_assert!(read.is_ok(), "{:?} from {}", read, body);
                let read = read.unwrap_or_else(|e| panic!("{e}"));
                prop_assert_eq!(read.oauth_token.secret(), token.as_str());
                prop_assert_eq!(read.oauth_token_secret.secret(), secret.as_str());
                prop_assert_eq!(read.extra, kept);
            }
        }
    }
}
