//! Reading token endpoint answers (RFC 6749 §5.1, §5.2) as real providers
//! send them: JSON or form-encoded (GitHub without `Accept`), errors with
//! HTTP 200 (GitHub), `expires_in` as a string, no `token_type`.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use crate::compliance::{TokenAnswer, TokenAnswerHook};
use crate::error::{Error, Result};
use crate::secret::{AccessToken, IdToken, RefreshToken};
use crate::token::OAuth2Token;

/// Fields of the answer that become typed fields of the token.
const KNOWN: &[&str] = &[
    "access_token",
    "token_type",
    "refresh_token",
    "expires_in",
    "scope",
    "id_token",
];

/// Decodes a token endpoint answer, lets `hook` fix it, and reads the token
/// out of it. `received_at` turns `expires_in` into `expires_at`.
///
/// # Errors
///
/// [`Error::Provider`] for an answer with an `error` field, whatever its
/// status; [`Error::UnexpectedResponse`] for a redirect, another failing
/// status, a body that is neither JSON nor form-encoded, or a token that is
/// missing or unusable.
///
/// # Examples
///
/// GitHub answers a request without `Accept: application/json` in form
/// encoding, with no lifetime:
///
/// ```
/// use time::macros::datetime;
/// use trilogin_oauth::oauth2::token_response::parse_token_response;
///
/// let token = parse_token_response(
///     200,
///     Some("application/x-www-form-urlencoded; charset=utf-8"),
///     "access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=repo%2Cgist&token_type=bearer",
///     None,
///     datetime!(2026-05-01 08:00 UTC),
/// )?;
/// assert_eq!(token.scope.as_deref(), Some("repo,gist"));
/// assert_eq!(token.expires_at, None);
/// # Ok::<(), trilogin_oauth::Error>(())
/// ```
pub fn parse_token_response(
    status: u16,
    content_type: Option<&str>,
    body: &str,
    hook: Option<&TokenAnswerHook>,
    received_at: OffsetDateTime,
) -> Result<OAuth2Token> {
    let mut answer = decode_answer(status, content_type, body)?;
    if let Some(hook) = hook {
        hook(&mut answer);
    }
    token_from_answer(answer, body, received_at)
}

/// The answer's fields, from JSON or from form encoding.
///
/// # Errors
///
/// [`Error::UnexpectedResponse`] for a redirect, or a body that is neither a
/// JSON object nor form-encoded.
pub fn decode_answer(status: u16, content_type: Option<&str>, body: &str) -> Result<TokenAnswer> {
    let unexpected = |reason: &str| Error::UnexpectedResponse {
        status,
        reason: reason.to_owned(),
        body: body.to_owned(),
    };
    if (300..400).contains(&status) {
        return Err(unexpected(
            "the token endpoint redirected; redirects are not followed",
        ));
    }
    let content_type = content_type.unwrap_or_default().to_ascii_lowercase();
    let trimmed = body.trim_start();
    let fields = if content_type.contains("json") || trimmed.starts_with('{') {
        match serde_json::from_str::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(fields)) => fields,
            _ => return Err(unexpected("the answer is not a JSON object")),
        }
    } else if content_type.contains("x-www-form-urlencoded")
        || (content_type.starts_with("text/plain") && trimmed.contains('='))
    {
        url::form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect()
    } else {
        return Err(unexpected("the answer is neither JSON nor form-encoded"));
    };
    Ok(TokenAnswer { status, fields })
}

/// Reads a token out of decoded fields, or the provider's error.
///
/// # Errors
///
/// [`Error::Provider`] for an `error` field; [`Error::UnexpectedResponse`]
/// for a failing status, no `access_token`, a `token_type` other than
/// bearer, or an `expires_in` that is no number of seconds.
pub fn token_from_answer(
    answer: TokenAnswer,
    body: &str,
    received_at: OffsetDateTime,
) -> Result<OAuth2Token> {
    let TokenAnswer { status, mut fields } = answer;
    let text = |fields: &serde_json::Map<String, serde_json::Value>, name: &str| {
        fields
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let unexpected = |reason: String| Error::UnexpectedResponse {
        status,
        reason,
        body: body.to_owned(),
    };
    // An `error` field wins over the status: GitHub reports errors with 200.
    if let Some(error) = text(&fields, "error") {
        return Err(Error::Provider {
            error,
            description: text(&fields, "error_description"),
            status,
            body: body.to_owned(),
        });
    }
    if !(200..300).contains(&status) {
        return Err(unexpected("the token endpoint failed".into()));
    }
    let access_token = text(&fields, "access_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unexpected("no access_token in the answer".into()))?;
    let token_type = text(&fields, "token_type").unwrap_or_else(|| "Bearer".into());
    // Written one way whatever the case the provider used (RFC 6749 §7.1).
    // DPoP (RFC 9449 §5): the client decides whether it can use one.
    let token_type = if token_type.eq_ignore_ascii_case("bearer") {
        "Bearer"
    } else if token_type.eq_ignore_ascii_case(crate::dpop::TOKEN_TYPE) {
        crate::dpop::TOKEN_TYPE
    } else {
        return Err(unexpected(format!("unsupported token_type {token_type}")));
    };
    let expires_at = match fields.get("expires_in") {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => {
            let seconds = value
                .as_i64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                .filter(|s| *s >= 0)
                .ok_or_else(|| {
                    unexpected(format!("expires_in is not a number of seconds: {value}"))
                })?;
            // A lifetime that ends past the calendar's last year is no
            // lifetime at all, as good as none given; adding it would panic.
            received_at.checked_add(Duration::seconds(seconds))
        }
    };
    let token = OAuth2Token {
        issued_at: Some(received_at),
        access_token: AccessToken::new(access_token),
        token_type: token_type.into(),
        refresh_token: text(&fields, "refresh_token")
            .filter(|t| !t.is_empty())
            .map(RefreshToken::new),
        expires_at,
        scope: text(&fields, "scope"),
        id_token: text(&fields, "id_token").map(IdToken::new),
        // Only the ID token check sets validated claims.
        id_token_claims: None,
        extra: BTreeMap::new(),
        dpop_key: None,
    };
    for name in KNOWN {
        fields.remove(*name);
    }
    Ok(OAuth2Token {
        extra: fields.into_iter().collect(),
        ..token
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-05-01 08:00:00 UTC);

    fn parse(status: u16, content_type: &str, body: &str) -> Result<OAuth2Token> {
        parse_token_response(status, Some(content_type), body, None, NOW)
    }

    #[test]
    fn a_json_answer_becomes_a_token_with_an_expiry() {
        let token = parse(
            200,
            "application/json",
            r#"{"access_token":"at","token_type":"bearer","expires_in":3600,"refresh_token":"rt","scope":"a b","id_token":"x.y.z","extra":1}"#,
        )
        .unwrap();
        assert_eq!(token.access_token.secret(), "at");
        assert_eq!(token.token_type, "Bearer");
        assert_eq!(token.refresh_token.unwrap().secret(), "rt");
        assert_eq!(token.expires_at, Some(NOW + Duration::hours(1)));
        assert_eq!(token.scope.as_deref(), Some("a b"));
        assert_eq!(token.id_token.unwrap().secret(), "x.y.z");
        assert_eq!(token.extra["extra"], 1);
    }

    #[test]
    fn a_form_encoded_answer_is_read_like_json() {
        let token = parse(
            200,
            "application/x-www-form-urlencoded; charset=utf-8",
            "access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=repo%2Cgist&token_type=bearer",
        )
        .unwrap();
        assert_eq!(
            token.access_token.secret(),
            "gho_16C7e42F292c6912E7710c838347Ae178B4a"
        );
        assert_eq!(token.scope.as_deref(), Some("repo,gist"));
        assert_eq!(token.expires_at, None);
    }

    #[test]
    fn expires_in_as_a_string_and_a_missing_token_type_are_accepted() {
        let token = parse(
            200,
            "application/json",
            r#"{"access_token":"a","expires_in":"60"}"#,
        )
        .unwrap();
        assert_eq!(token.expires_at, Some(NOW + Duration::seconds(60)));
        assert_eq!(token.token_type, "Bearer");
    }

    #[test]
    fn an_error_with_status_200_is_a_provider_error() {
        let err = parse(
            200,
            "application/json",
            r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#,
        )
        .unwrap_err();
        match err {
            Error::Provider {
                error,
                description,
                status,
                body,
            } => {
                assert_eq!(error, "bad_verification_code");
                assert_eq!(
                    description.as_deref(),
                    Some("The code passed is incorrect or expired.")
                );
                assert_eq!(status, 200);
                assert!(body.contains("bad_verification_code"));
            }
            other => panic!("expected a provider error, got {other:?}"),
        }
    }

    #[test]
    fn html_and_server_errors_are_unexpected_responses_with_the_body() {
        match parse(502, "text/html", "<h1>Bad gateway</h1>").unwrap_err() {
            Error::UnexpectedResponse { status, body, .. } => {
                assert_eq!(status, 502);
                assert!(body.contains("Bad gateway"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_redirect_is_refused() {
        assert!(matches!(
            parse(302, "text/html", ""),
            Err(Error::UnexpectedResponse { status: 302, .. })
        ));
    }

    #[test]
    fn garbage_in_expires_in_or_a_foreign_token_type_is_refused() {
        assert!(
            parse(
                200,
                "application/json",
                r#"{"access_token":"a","expires_in":"soon"}"#
            )
            .is_err()
        );
        assert!(
            parse(
                200,
                "application/json",
                r#"{"access_token":"a","token_type":"mac"}"#
            )
            .is_err()
        );
        assert!(parse(200, "application/json", r#"{"token_type":"bearer"}"#).is_err());
    }

    #[test]
    fn a_provider_cannot_inject_validated_claims() {
        let token = parse(
            200,
            "application/json",
            r#"{"access_token":"a","userinfo":{"sub":"admin"},"id_token_claims":{"sub":"admin"}}"#,
        )
        .unwrap();
        assert_eq!(token.id_token_claims, None);
    }

    #[test]
    fn the_compliance_hook_sees_the_answer_before_it_is_read() {
        let hook: TokenAnswerHook = std::sync::Arc::new(|answer: &mut TokenAnswer| {
            if let Some(v) = answer.fields.remove("authed_user_token") {
                answer.fields.insert("access_token".into(), v);
            }
        });
        let token = parse_token_response(
            200,
            Some("application/json"),
            r#"{"ok":true,"authed_user_token":"xoxp"}"#,
            Some(&hook),
            NOW,
        )
        .unwrap();
        assert_eq!(token.access_token.secret(), "xoxp");
    }

    #[test]
    fn an_expiry_past_the_end_of_the_calendar_counts_as_none_given() {
        for expires_in in [i64::MAX.to_string(), "100000000000000".to_owned()] {
            let body = format!(r#"{{"access_token":"a","expires_in":{expires_in}}}"#);
            let token = parse(200, "application/json", &body).unwrap();
            assert_eq!(token.expires_at, None, "expires_in {expires_in}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use super::NOW;
        use crate::strategies::{object_with, tricky_text};

        fn content_type() -> impl Strategy<Value = Option<String>> {
            proptest::option::of(prop_oneof![
                Just("application/json".to_owned()),
                Just("application/x-www-form-urlencoded".to_owned()),
                Just("text/plain; charset=utf-8".to_owned()),
                tricky_text(),
            ])
        }

        proptest! {
            #[test]
            fn arbitrary_answers_never_panic(
                status in any::<u16>(),
                content_type in content_type(),
                body in tricky_text(),
            ) {
                let _ = parse_token_response(status, content_type.as_deref(), &body, None, NOW);
            }

            #[test]
            fn arbitrary_json_fields_never_panic_and_an_expiry_is_never_in_the_past(
                status in any::<u16>(),
                fields in object_with(&[
                    "access_token", "token_type", "refresh_token", "expires_in",
                    "scope", "id_token", "error", "error_description", "userinfo",
                ]),
            ) {
                let body = serde_json::Value::Object(fields).to_string();
                if let Ok(token) = parse_token_response(status, Some("application/json"), &body, None, NOW) {
                    prop_assert!(token.expires_at.is_none_or(|at| at >= NOW), "{}", body);
                    prop_assert!(!token.access_token.secret().is_empty());
                }
            }

            #[test]
            fn a_form_encoded_token_is_read_back(
                access_token in tricky_text().prop_filter("a token", |t| !t.is_empty()),
                refresh_token in tricky_text().prop_filter("a token", |t| !t.is_empty()),
                scope in tricky_text(),
                expires_in in any::<u32>(),
            ) {
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("access_token", &access_token)
                    .append_pair("refresh_token", &refresh_token)
                    .append_pair("scope", &scope)
                    .append_pair("expires_in", &expires_in.to_string())
                    .finish();
                let token = parse_token_response(
                    200,
                    Some("application/x-www-form-urlencoded"),
                    &body,
                    None,
                    NOW,
                );
                prop_assert!(token.is_ok(), "{:?} from {}", token, body);
                let token = token.unwrap_or_else(|e| panic!("{e}"));
                prop_assert_eq!(token.access_token.secret(), access_token.as_str());
                prop_assert_eq!(
                    token.refresh_token.as_ref().map(RefreshToken::secret),
                    Some(refresh_token.as_str())
                );
                prop_assert_eq!(token.scope.as_deref(), Some(scope.as_str()));
                prop_assert_eq!(token.expires_at, Some(NOW + Duration::seconds(expires_in.into())));
            }
        }
    }
}
