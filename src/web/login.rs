//! `GET /login/{provider}` and the provider's callback,
//! `GET|POST /auth/{provider}/callback` (POST for `response_mode=form_post`).
//!
//! The callback's POST carries no CSRF token of this site: it comes from
//! the provider, and the single-use `state` bound to this session is what
//! ties it to a login started here.
//!
//! Every failure ends on the home page with a message saying what
//! happened; the cause goes to the log. None is an error page.

use std::collections::BTreeMap;

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::next::same_site_path;
use super::session::{FlashKind, TypedSession};
use super::state::AppState;
use crate::error::AppError;
use trilogin_accounts::Provider;
use trilogin_accounts::app::login::{self, LoginError, LoginKind};
use trilogin_oauth::secret::random_token;

/// The query of `/login/{provider}`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// Where to go after the login; kept only if it is a path of this site.
    pub next: Option<String>,
}

/// Starts a login: remembers `next`, sends the browser to the provider.
/// A client past the login rate limit gets the 429 page instead, before
/// anything is stored.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: TypedSession,
    provider: web::Path<String>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let provider = available(&state, &provider)?;
    if let Some(peer) = req.peer_addr() {
        let forwarded_for: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        let client = state
            .config
            .trusted_proxies
            .client(peer.ip(), &forwarded_for);
        state.login_limiter.check(client)?;
    }
    session.set_next_path(query.next.as_deref().and_then(same_site_path))?;
    let pending = state.services.pending_logins(&session.login_binding()?);
    match login::start_login(
        &state.services.oauth,
        provider,
        &pending,
        &state.config.app_url,
    )
    .await
    {
        Ok(url) => Ok(see_other(url.as_str())),
        Err(error) => fail(&session, provider, &error),
    }
}

/// The callback by redirect: parameters in the query.
pub async fn callback(
    state: web::Data<AppState>,
    session: TypedSession,
    provider: web::Path<String>,
    query: web::Query<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    finish(&state, &session, &provider, &query.into_inner()).await
}

/// The callback by `form_post`: parameters in the form body.
pub async fn callback_form(
    state: web::Data<AppState>,
    session: TypedSession,
    provider: web::Path<String>,
    form: web::Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    finish(&state, &session, &provider, &form.into_inner()).await
}

async fn finish(
    state: &AppState,
    session: &TypedSession,
    provider: &str,
    params: &BTreeMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let provider = available(state, provider)?;
    let current_user = session.user_id()?;
    // A browser that never started a login has no binding; a fresh random
    // one matches no pending login, so its callback is refused as any
    // callback of another browser is.
    let binding = session
        .existing_login_binding()
        .unwrap_or_else(|| random_token(32));
    let pending = state.services.pending_logins(&binding);
    let logged_in = match login::finish_login(
        &state.services,
        provider,
        &pending,
        params,
        current_user,
    )
    .await
    {
        Ok(logged_in) => logged_in,
        Err(error) => return fail(session, provider, &error),
    };
    // A new session key at every login: a key planted in this browser
    // before (session fixation) is worth nothing now.
    session.renew();
    session.set_user_id(logged_in.user.id)?;
    let text = match logged_in.kind {
        LoginKind::Connected => format!("Connected {provider}"),
        LoginKind::Returning | LoginKind::NewAccount => format!("Logged in with {provider}"),
        LoginKind::OtherAccount { owner } => {
            tracing::info!(user_id = %logged_in.user.id, %owner, %provider, "merge offered");
            session.take_next_path();
            session.offer_merge(owner)?;
            session.flash(
                FlashKind::Info,
                format!(
                    "That {provider} account is connected to another account here. You have just shown that both are yours, so you can merge them."
                ),
            )?;
            return Ok(see_other("/account/merge"));
        }
    };
    tracing::info!(user_id = %logged_in.user.id, %provider, kind = ?logged_in.kind, "login");
    session.flash(FlashKind::Success, text)?;
    let next = session.take_next_path().unwrap_or_else(|| "/".to_owned());
    Ok(see_other(&next))
}

/// The provider named in the path, if a client is registered for it.
fn available(state: &AppState, name: &str) -> Result<Provider, AppError> {
    Provider::from_name(name)
        .filter(|p| state.services.oauth.client(p.name()).is_some())
        .ok_or(AppError::NotFound)
}

/// Logs the cause, tells the person what happened, goes home.
fn fail(
    session: &TypedSession,
    provider: Provider,
    error: &LoginError,
) -> Result<HttpResponse, AppError> {
    tracing::warn!(%provider, error = %error, "login failed");
    session.set_next_path(None)?;
    session.flash(FlashKind::Error, error.message())?;
    Ok(see_other("/"))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use trilogin_oauth::strategies::tricky_text;

    proptest! {
        #[test]
        fn a_callback_query_reads_back_as_the_parameters_the_provider_sent(
            params in prop::collection::btree_map(tricky_text(), tricky_text(), 0..6),
        ) {
            let mut url = url::Url::parse("http://127.0.0.1:8080/auth/github/callback")
                .unwrap_or_else(|e| panic!("{e}"));
            url.query_pairs_mut().extend_pairs(&params);
            let query = web::Query::<BTreeMap<String, String>>::from_query(url.query().unwrap_or_default());
            prop_assert_eq!(query.map(web::Query::into_inner).ok(), Some(params));
        }

        #[test]
        fn arbitrary_callback_and_login_queries_never_panic(query in tricky_text()) {
            let _ = web::Query::<BTreeMap<String, String>>::from_query(&query);
            if let Ok(login) = web::Query::<LoginQuery>::from_query(&query) {
                let _ = login.next.as_deref().and_then(same_site_path);
            }
        }
    }
}
