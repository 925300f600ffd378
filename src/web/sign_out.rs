//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the
//! "Also sign out of …" button of the page after a logout
//! ([`sign_out_at`]), and the browser's return to `APP_URL`, which the home
//! page hands here to check its `state` ([`sign_out_returned`]).

use actix_web::{HttpResponse, web};

use super::logout::{LogoutForm, see_other};
use super::session::{FlashKind, PendingSignOut, TypedSession};
use super::state::AppState;
use crate::error::AppError;
use trilogin_accounts::Provider;
use trilogin_accounts::app::logout as rp_logout;
use trilogin_oauth::secret::{IdToken, random_token};

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
