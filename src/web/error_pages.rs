//! Renders error responses as pages: `404.html` for unknown addresses,
//! `error.html` for everything else, with the status kept.
//!
//! Only responses that carry an error are replaced, so JSON answers built
//! on purpose (`/healthz`, the demo providers' OAuth errors) pass as they
//! are. Server errors show generic text; [`AppError`] logged their cause.

use actix_web::HttpMessage as _;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use tracing_actix_web::RequestId;

use super::templates::Layout;
use crate::error::AppError;
use crate::startup::AppState;

/// The fields of `404.html` and `error.html`.
#[derive(Debug, Serialize)]
struct ErrorView {
    #[serde(flatten)]
    layout: Layout,
    status: u16,
    message: String,
    /// The id under which the request was logged, for a bug report.
    request_id: Option<String>,
}

/// `ErrorHandlers` hook: replaces an error response by the rendered page.
pub fn render<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let page = res
        .response()
        .error()
        .and_then(|error| page_for(res.request(), res.response().status(), error));
    let Some(mut page) = page else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let (req, original) = res.into_parts();
    for (name, value) in original.headers() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            page.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, page).map_into_right_body(),
    ))
}

fn page_for(
    req: &HttpRequest,
    status: StatusCode,
    error: &actix_web::Error,
) -> Option<HttpResponse> {
    if !(status.is_client_error() || status.is_server_error()) || req.path().starts_with("/_demo/")
    {
        return None;
    }
    let state = req.app_data::<web::Data<AppState>>()?;
    let (title, message) = match error.as_error::<AppError>() {
        Some(app_error) => (app_error.title().to_owned(), app_error.public_message()),
        None if status == StatusCode::NOT_FOUND => (
            AppError::NotFound.title().to_owned(),
            AppError::NotFound.public_message(),
        ),
        None if status.is_server_error() => (
            "Something went wrong".to_owned(),
            "Something went wrong on our side. Please try again in a moment.".to_owned(),
        ),
        None => (
            status.canonical_reason().unwrap_or("Error").to_owned(),
            "This request could not be handled.".to_owned(),
        ),
    };
    let template = if status == StatusCode::NOT_FOUND {
        "404.html"
    } else {
        "error.html"
    };
    let view = ErrorView {
        layout: Layout::bare(title, state.demo_mode()),
        status: status.as_u16(),
        message,
        request_id: req.extensions().get::<RequestId>().map(ToString::to_string),
    };
    match state.templates.render(template, &view) {
        Ok(body) => Some(
            HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(body),
        ),
        Err(e) => {
            tracing::error!(error = %e, "cannot render the error page");
            None
        }
    }
}

/// The default service: anything no route matched.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
