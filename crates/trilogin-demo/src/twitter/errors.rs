//! Demo Twitter's error answers, in the shapes Twitter sends: JSON
//! `{"errors":[{"code":..,"message":..}]}` from the API, and the plain-text
//! and XML bodies of the OAuth endpoints.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// A refusal, as Twitter words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwitterError {
    /// 400, code 215: no usable OAuth parameters at all.
    #[error("Bad Authentication data.")]
    BadAuthenticationData,
    /// 401, code 32: bad signature, consumer, timestamp or nonce.
    #[error("Could not authenticate you.")]
    CouldNotAuthenticate,
    /// 401, code 89: unknown or invalidated access token.
    #[error("Invalid or expired token.")]
    InvalidOrExpiredToken,
    /// 403, code 415 (XML body): `oauth_callback` is not the registered callback.
    #[error("Callback URL not approved for this client application.")]
    CallbackNotApproved,
    /// 401, plain text: unknown, expired or used request token at the exchange.
    #[error("Invalid request token.")]
    InvalidRequestToken,
    /// 401, plain text: wrong or missing `oauth_verifier`.
    #[error("Invalid oauth_verifier parameter")]
    InvalidVerifier,
    /// 404, code 34: no such user.
    #[error("Sorry, that page does not exist.")]
    PageDoesNotExist,
    /// 400, code 195: a parameter that cannot be read.
    #[error("Missing or invalid url parameter.")]
    InvalidParameter,
    /// 503, code 130: too many pending authorizations.
    #[error("Over capacity")]
    OverCapacity,
}

impl TwitterError {
    /// Twitter's numeric error code, for the JSON answers.
    fn code(&self) -> Option<u32> {
        match self {
            Self::BadAuthenticationData => Some(215),
            Self::CouldNotAuthenticate => Some(32),
            Self::InvalidOrExpiredToken => Some(89),
            Self::CallbackNotApproved => Some(415),
            Self::PageDoesNotExist => Some(34),
            Self::InvalidParameter => Some(195),
            Self::OverCapacity => Some(130),
            Self::InvalidRequestToken | Self::InvalidVerifier => None,
        }
    }
}

impl ResponseError for TwitterError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadAuthenticationData | Self::InvalidParameter => StatusCode::BAD_REQUEST,
            Self::CouldNotAuthenticate
            | Self::InvalidOrExpiredToken
            | Self::InvalidRequestToken
            | Self::InvalidVerifier => StatusCode::UNAUTHORIZED,
            Self::CallbackNotApproved => StatusCode::FORBIDDEN,
            Self::PageDoesNotExist => StatusCode::NOT_FOUND,
            Self::OverCapacity => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if self.status_code() == StatusCode::UNAUTHORIZED {
            // RFC 9110 §11.6.1: a 401 names the scheme that would work.
            response.insert_header((header::WWW_AUTHENTICATE, "OAuth realm=\"Demo Twitter\""));
        }
        match (self, self.code()) {
            (Self::CallbackNotApproved, Some(code)) => response
                .content_type(ContentType::xml())
                .body(format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><errors><error code=\"{code}\">{self} Approved callback URLs can be adjusted in your application settings</error></errors>"
                )),
            (_, Some(code)) => response.json(json!({
                "errors": [{"code": code, "message": self.to_string()}]
            })),
            (Self::InvalidVerifier, None) => response
                .content_type(ContentType::plaintext())
                .body(format!("Error processing your OAuth request: {self}")),
            (_, None) => response
                .content_type(ContentType::plaintext())
                .body(self.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn body(error: TwitterError) -> (StatusCode, String) {
        let response = error.error_response();
        let status = response.status();
        let bytes = to_bytes(response.into_body()).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[actix_web::test]
    async fn api_errors_use_twitters_json_shape() {
        let (status, text) = body(TwitterError::InvalidOrExpiredToken).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            text,
            r#"{"errors":[{"code":89,"message":"Invalid or expired token."}]}"#
        );
        let (_, text) = body(TwitterError::CouldNotAuthenticate).await;
        assert_eq!(
            text,
            r#"{"errors":[{"code":32,"message":"Could not authenticate you."}]}"#
        );
    }

    #[actix_web::test]
    async fn oauth_endpoint_errors_keep_their_own_shapes() {
        let (status, text) = body(TwitterError::InvalidVerifier).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            text,
            "Error processing your OAuth request: Invalid oauth_verifier parameter"
        );
        let (status, text) = body(TwitterError::CallbackNotApproved).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(text.contains("<error code=\"415\">Callback URL not approved"));
    }
}
