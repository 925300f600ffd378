//! Renders error responses as pages: `404.html` for unknown addresses,
//! `error.html` for everything else, with the status kept.
//!
//! Only responses that carry an error are replaced, so JSON answers built
//! on purpose (`/healthz`, the demo providers' OAuth errors) pass as they
//! are. Server errors show generic text; [`AppError`] logged their cause.

use actix_session::SessionExt as _;
use actix_web::HttpMessage as _;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use tracing_actix_web::RequestId;

use super::session::TypedSession;
use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;

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
    // The header of a logged-in person keeps their navigation; a session
    // that cannot be read (the store failing) gets the bare header.
    let session = TypedSession::new(req.get_session());
    let layout = Layout::for_session(title.clone(), state.demo_banner(), &session)
        .unwrap_or_else(|_| Layout::bare(title, state.demo_banner()));
    let view = ErrorView {
        layout,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use actix_web::{App, test};

    use super::*;
    use crate::config::Config;
    use crate::startup::Application;

    async fn state(dir: &tempfile::TempDir) -> web::Data<AppState> {
        let vars = BTreeMap::from([
            ("BIND", "127.0.0.1:0".to_owned()),
            ("APP_URL", "http://127.0.0.1:0".to_owned()),
            (
                "DATABASE_URL",
                dir.path().join("app.db").to_string_lossy().into_owned(),
            ),
            ("SECRET_KEY", "k".repeat(32)),
        ]);
        let config = Config::from_lookup(|key| vars.get(key).cloned()).unwrap();
        web::Data::from(Application::build(config).await.unwrap().state())
    }

    async fn failing(error: fn() -> AppError) -> (StatusCode, String) {
        let dir = tempfile::tempdir().unwrap();
        let app = test::init_service(
            App::new()
                .app_data(state(&dir).await)
                .wrap(actix_web::middleware::ErrorHandlers::new().default_handler(render))
                .route(
                    "/fail",
                    web::get().to(move || async move { Err::<HttpResponse, _>(error()) }),
                ),
        )
        .await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/fail").to_request()).await;
        let status = response.status();
        let body = test::read_body(response).await;
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[actix_web::test]
    async fn a_server_error_renders_a_generic_page_without_its_cause() {
        let (status, body) =
            failing(|| AppError::internal(anyhow::anyhow!("password=hunter2 in /etc/secret")))
                .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("Something went wrong on our side"), "{body}");
        assert!(
            !body.contains("hunter2") && !body.contains("/etc/secret"),
            "{body}"
        );
        assert!(body.contains("<html"), "{body}");
    }

    #[actix_web::test]
    async fn a_client_error_renders_its_message_escaped_with_its_status() {
        let (status, body) =
            failing(|| AppError::BadRequest("Bad <script>x</script> input".into())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body.contains("Bad &lt;script&gt;x&lt;&#x2F;script&gt; input"),
            "{body}"
        );
        let (status, body) = failing(|| AppError::Forbidden("This form has expired.".into())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("This form has expired."), "{body}");
    }
}
