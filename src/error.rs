//! `AppError`: the one error type handlers return, mapped to an HTTP status
//! and rendered as the error page by `web::error_pages`.
//!
//! Client errors show their message; server errors show a generic page and
//! the cause goes to the log, never to the browser.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// What a handler can fail with. Each variant's doc says what the person sees.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 404: the "page not found" page.
    #[error("not found")]
    NotFound,
    /// 400: the error page with this message.
    #[error("{0}")]
    BadRequest(String),
    /// 403: the error page with this message (e.g. an expired form).
    #[error("{0}")]
    Forbidden(String),
    /// 405: the error page with this message (e.g. log out by link).
    #[error("{message}")]
    MethodNotAllowed {
        /// The method the address accepts, sent as `Allow`.
        allow: &'static str,
        /// What the person reads.
        message: String,
    },
    /// 429: too many requests of one kind from this client; the page says
    /// when to try again, and so does `Retry-After`.
    #[error("too many requests")]
    TooManyRequests {
        /// How long until the next request is allowed.
        retry_after: std::time::Duration,
    },
    /// 500: a generic "something went wrong" page; the cause is logged.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// Wraps any error as an internal one.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// The short title of the error page.
    pub fn title(&self) -> &'static str {
        match self {
            Self::NotFound => "Page not found",
            Self::BadRequest(_) => "Bad request",
            Self::Forbidden(_) => "Not allowed",
            Self::MethodNotAllowed { .. } => "Not allowed this way",
            Self::TooManyRequests { .. } => "Too many attempts",
            Self::Internal(_) => "Something went wrong",
        }
    }

    /// The text the person may see: never the cause of a server error.
    pub fn public_message(&self) -> String {
        match self {
            Self::NotFound => "There is nothing at this address.".to_owned(),
            Self::BadRequest(message)
            | Self::Forbidden(message)
            | Self::MethodNotAllowed { message, .. } => message.clone(),
            Self::TooManyRequests { retry_after } => format!(
                "Too many logins were started from your network just now. Please wait {} and try again.",
                wait_in_words(*retry_after)
            ),
            Self::Internal(_) => {
                "Something went wrong on our side. Please try again in a moment.".to_owned()
            }
        }
    }
}

/// Whole seconds, rounded up, at least 1.
fn seconds_up(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// "1 second", "12 seconds".
fn wait_in_words(wait: std::time::Duration) -> String {
    match seconds_up(wait) {
        1 => "1 second".to_owned(),
        n => format!("{n} seconds"),
    }
}

impl From<tera::Error> for AppError {
    fn from(error: tera::Error) -> Self {
        Self::internal(error)
    }
}

impl From<trilogin_accounts::db::connections::StoreError> for AppError {
    fn from(error: trilogin_accounts::db::connections::StoreError) -> Self {
        Self::internal(error)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A plain-text fallback; `web::error_pages` replaces it with the
    /// rendered page. Server errors are logged here, once, with their cause.
    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Self::MethodNotAllowed { allow, .. } = self {
            response.insert_header((actix_web::http::header::ALLOW, *allow));
        }
        if let Self::TooManyRequests { retry_after } = self {
            response.insert_header((
                actix_web::http::header::RETRY_AFTER,
                seconds_up(*retry_after),
            ));
        }
        response
            .content_type("text/plain; charset=utf-8")
            .body(self.public_message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_never_show_their_cause() {
        let error = AppError::internal(anyhow::anyhow!("disk /var/secret is full"));
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!error.public_message().contains("secret"));
    }

    #[test]
    fn client_errors_show_their_message_with_the_right_status() {
        let error = AppError::BadRequest("That form is incomplete.".into());
        assert_eq!(error.status_code(), StatusCode::BAD_REQUEST);
        assert_eq!(error.public_message(), "That form is incomplete.");
        assert_eq!(AppError::NotFound.status_code(), StatusCode::NOT_FOUND);
        assert_eq!(
            AppError::Forbidden("x".into()).status_code(),
            StatusCode::FORBIDDEN
        );
    }

    #[test]
    fn too_many_requests_says_how_long_to_wait_in_the_page_and_the_header() {
        let error = AppError::TooManyRequests {
            retry_after: std::time::Duration::from_millis(1500),
        };
        assert_eq!(error.status_code(), StatusCode::TOO_MANY_REQUESTS);
        assert!(
            error.public_message().contains("wait 2 seconds"),
            "{}",
            error.public_message()
        );
        let response = error.error_response();
        assert_eq!(response.headers().get("retry-after").unwrap(), "2");
    }
}
