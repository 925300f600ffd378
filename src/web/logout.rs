//! `POST /logout`: ends the session. Only a form of this site can log a
//! person out: the request must carry the session's CSRF token, and a
//! link (`GET`) only shows the form, so another site cannot log people out.
//!
//! When an OpenID Connect connection's provider has an
//! `end_session_endpoint`, the page after the logout offers "Also sign
//! out of …" ([`super::sign_out`]).

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::session::{FlashKind, SignOutOffer, TypedSession};
use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;
use trilogin_accounts::app::logout as rp_logout;

/// The log-out form.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    /// The session's CSRF token, from the form's hidden field.
    #[serde(default)]
    pub csrf_token: String,
}

/// Logs out: checks the CSRF token, ends the session, and goes home with
/// "You are logged out", or to the page that offers signing out of the
/// person's OpenID Connect providers too.
pub async fn logout(
    state: web::Data<AppState>,
    session: TypedSession,
    form: Option<web::Form<LogoutForm>>,
) -> Result<HttpResponse, AppError> {
    let submitted = form.map(|f| f.into_inner().csrf_token).unwrap_or_default();
    session.verify_csrf(&submitted)?;
    let mut offers = Vec::new();
    if let Ok(Some(user_id)) = session.user_id() {
        tracing::info!(%user_id, "logged out");
        match rp_logout::offers(&state.services, user_id).await {
            Ok(found) => offers = found,
            // The logout itself never fails for this.
            Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot list sign-out offers"),
        }
    }
    // Renewing deletes the old session row and its key, as a purge would,
    // but leaves a fresh, empty session to carry the message.
    session.inner().clear();
    session.renew();
    session.flash(FlashKind::Success, LOGGED_OUT)?;
    if offers.is_empty() {
        return Ok(see_other("/"));
    }
    let offers: Vec<SignOutOffer> = offers
        .into_iter()
        .map(|offer| SignOutOffer {
            provider: offer.provider.name().to_owned(),
            id_token: offer.id_token.map(|t| t.secret().to_owned()),
        })
        .collect();
    session.set_sign_out_offers(&offers)?;
    Ok(see_other("/logout"))
}

/// A `303 See Other` to `location`.
pub(crate) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

/// One "Also sign out of …" button of the page after logout.
#[derive(Debug, Serialize)]
pub struct SignOutButton {
    /// The provider's name, in the form's path.
    pub name: &'static str,
    /// Its display name.
    pub label: &'static str,
}

/// The fields of `logout.html`.
#[derive(Debug, Serialize)]
pub struct LogoutView {
    /// Shared layout fields.
    #[serde(flatten)]
    pub layout: Layout,
    /// After a logout: the providers that can sign the person out too.
    pub sign_out: Vec<SignOutButton>,
    /// The CSRF token of their forms.
    pub sign_out_csrf_token: Option<String>,
}

/// The message of the page after a logout.
pub const LOGGED_OUT: &str = "You are logged out.";

/// `GET /logout`, as a link or a typed address: a page with the log-out
/// button, since a link alone must not log anyone out. Just after a
/// logout, it offers signing out of the person's OpenID Connect providers.
pub async fn logout_page(
    state: web::Data<AppState>,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    let layout = Layout::for_session("Log out", state.demo_banner(), &session)?;
    let sign_out: Vec<SignOutButton> = if layout.signed_in {
        Vec::new()
    } else {
        session
            .sign_out_offers()
            .iter()
            .filter_map(|offer| state.provider_named(&offer.provider))
            .map(|p| SignOutButton {
                name: p.name(),
                label: p.label(),
            })
            .collect()
    };
    let view = LogoutView {
        sign_out_csrf_token: (!sign_out.is_empty())
            .then(|| session.csrf_token())
            .transpose()?,
        sign_out,
        layout,
    };
    let body = state.templates.render("logout.html", &view)?;
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
