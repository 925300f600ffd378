//! `POST /logout`: ends the session. Only a form of this site can log a
//! person out: the request must carry the session's CSRF token, and a
//! link (`GET`) only shows the form, so another site cannot log people out.
//!
//! RP-initiated logout: when an OpenID Connect connection's provider has
//! an `end_session_endpoint`, the page after the logout offers "Also sign
//! out of …" ([`sign_out_at`]). The provider sends the browser back to
//! `APP_URL` with the `state` sent, which the home page checks
//! ([`sign_out_returned`]).

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::session::{FlashKind, PendingSignOut, SignOutOffer, TypedSession};
use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;
use trilogin_accounts::Provider;
use trilogin_accounts::app::logout as rp_logout;
use trilogin_oauth::secret::{IdToken, random_token};

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

fn see_other(location: &str) -> HttpResponse {
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

/// `POST /logout/{provider}`: "Also sign out of …". Takes the offer kept
/// at logout and sends the browser to the provider's end-session endpoint
/// with `id_token_hint`, `client_id`, `post_logout_redirect_uri` (APP_URL)
/// and a fresh `state`.
pub async fn sign_out_at(
    state: web::Data<AppState>,
    session: TypedSession,
    path: web::Path<String>,
    form: Option<web::Form<LogoutForm>>,
) -> Result<HttpResponse, AppError> {
    let submitted = form.map(|f| f.into_inner().csrf_token).unwrap_or_default();
    session.verify_csrf(&submitted)?;
    let provider = state.provider_named(&path).ok_or(AppError::NotFound)?;
    let Some(offer) = session.take_sign_out_offer(provider.name())? else {
        session.flash(
            FlashKind::Info,
            format!("There is no sign-out of {provider} waiting in this browser."),
        )?;
        return Ok(see_other("/"));
    };
    let sign_out_state = random_token(32);
    let id_token = offer.id_token.map(IdToken::new);
    let url = rp_logout::end_session_url(
        &state.services,
        provider,
        id_token.as_ref(),
        state.config.app_url.as_str(),
        &sign_out_state,
    )
    .await;
    match url {
        Ok(Some(url)) => {
            session.set_pending_sign_out(&PendingSignOut {
                provider: provider.name().to_owned(),
                state: sign_out_state,
            })?;
            tracing::info!(%provider, "sign-out sent to the provider");
            Ok(see_other(url.as_str()))
        }
        Ok(None) => {
            session.flash(
                FlashKind::Info,
                format!("{provider} no longer offers signing out from this site."),
            )?;
            Ok(see_other("/"))
        }
        Err(e) => {
            tracing::warn!(%provider, error = %e, "cannot build the sign-out address");
            session.flash(
                FlashKind::Error,
                format!(
                    "{provider} could not be reached to sign you out there. You are logged out of this site."
                ),
            )?;
            Ok(see_other("/"))
        }
    }
}

/// The browser's return from a provider's end-session endpoint to
/// `APP_URL`: the `state` must be the one the pending sign-out sent. Says
/// how it went; `None` when no sign-out is pending and no `state` came.
pub fn sign_out_returned(
    session: &TypedSession,
    returned_state: Option<&str>,
) -> Result<Option<HttpResponse>, AppError> {
    let pending = session.take_pending_sign_out();
    let label = |pending: &PendingSignOut| {
        Provider::from_name(&pending.provider)
            .map_or_else(|| pending.provider.clone(), |p| p.label().to_owned())
    };
    let (kind, text) = match (&pending, returned_state) {
        (None, None) => return Ok(None),
        (Some(p), Some(s)) if p.state_matches(s) => {
            (FlashKind::Success, format!("You are signed out of {} too.", label(p)))
        }
        (Some(p), Some(_)) => (
            FlashKind::Error,
            format!(
                "The answer from {0} did not carry the sign-out this browser asked for, so it was not trusted. You are logged out of this site; check at {0} whether you are still signed in there.",
                label(p)
            ),
        ),
        (Some(p), None) => (
            FlashKind::Error,
            format!(
                "{0} did not confirm the sign-out (no state came back). You are logged out of this site; check at {0} whether you are still signed in there.",
                label(p)
            ),
        ),
        (None, Some(_)) => (
            FlashKind::Error,
            "That sign-out answer does not belong to a sign-out started in this browser, so it was ignored.".to_owned(),
        ),
    };
    session.flash(kind, text)?;
    Ok(Some(see_other("/")))
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
