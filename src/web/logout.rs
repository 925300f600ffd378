//! `POST /logout`: ends the session. Only a form of this site can log a
//! person out: the request must carry the session's CSRF token, and a
//! link (`GET`) is refused, so another site cannot log people out.

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::session::TypedSession;
use crate::error::AppError;

/// The log-out form.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    /// The session's CSRF token, from the form's hidden field.
    #[serde(default)]
    pub csrf_token: String,
}

/// Logs out: checks the CSRF token, deletes the session, goes home.
pub async fn logout(
    session: TypedSession,
    form: Option<web::Form<LogoutForm>>,
) -> Result<HttpResponse, AppError> {
    let submitted = form.map(|f| f.into_inner().csrf_token).unwrap_or_default();
    session.verify_csrf(&submitted)?;
    if let Ok(Some(user_id)) = session.user_id() {
        tracing::info!(%user_id, "logged out");
    }
    session.purge();
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, "/"))
        .finish())
}

/// `GET /logout` and other methods: refused with a page that says why.
pub async fn logout_by_link() -> Result<HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed {
        allow: "POST",
        message: "Log out with the “Log out” button at the top of the page.".to_owned(),
    })
}
