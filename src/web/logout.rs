//! `POST /logout`: ends the session. Only a form of this site can log a
//! person out: the request must carry the session's CSRF token, and a
//! link (`GET`) only shows the form, so another site cannot log people out.

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::session::{FlashKind, TypedSession};
use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;

/// The log-out form.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    /// The session's CSRF token, from the form's hidden field.
    #[serde(default)]
    pub csrf_token: String,
}

/// Logs out: checks the CSRF token, ends the session, goes home with
/// "You are logged out".
pub async fn logout(
    session: TypedSession,
    form: Option<web::Form<LogoutForm>>,
) -> Result<HttpResponse, AppError> {
    let submitted = form.map(|f| f.into_inner().csrf_token).unwrap_or_default();
    session.verify_csrf(&submitted)?;
    if let Ok(Some(user_id)) = session.user_id() {
        tracing::info!(%user_id, "logged out");
    }
    // Renewing deletes the old session row and its key, as a purge would,
    // but leaves a fresh, empty session to carry the message.
    session.inner().clear();
    session.renew();
    session.flash(FlashKind::Success, LOGGED_OUT)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, "/"))
        .finish())
}

/// The message of the page after a logout.
pub const LOGGED_OUT: &str = "You are logged out.";

/// `GET /logout`, as a link or a typed address: a page with the log-out
/// button, since a link alone must not log anyone out.
pub async fn logout_page(
    state: web::Data<AppState>,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    let layout = Layout::for_session("Log out", state.demo_banner(), &session)?;
    let body = state.templates.render("logout.html", &layout)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// Other methods: refused with a page that says why.
pub async fn logout_by_other_method() -> Result<HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed {
        allow: "GET, POST",
        message: "Log out with the “Log out” button at the top of the page.".to_owned(),
    })
}
