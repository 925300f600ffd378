//! `GET /` for a logged-in person: their name and avatar and a card per
//! provider, connected (with what it gives) or offering to connect.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::safe_url::SafeUrl;
use super::session::TypedSession;
use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;
use trilogin_accounts::app::account::{self, Connection};
use trilogin_accounts::{Provider, UserId};

/// One provider's card.
#[derive(Debug, Serialize)]
pub struct ProviderCard {
    /// Route name.
    pub name: &'static str,
    /// Brand name.
    pub label: &'static str,
    /// The person connected it.
    pub connected: bool,
    /// The connection needs a new login.
    pub needs_reconnect: bool,
    /// The person's handle or id there.
    pub identity: Option<String>,
    /// What the site shows from it.
    pub gives: &'static str,
    /// The path of the page that shows it, after the first `/`.
    pub page: String,
    /// False when the provider has no client id and no demo serves it.
    pub available: bool,
}

/// The fields of `dashboard.html`.
#[derive(Debug, Serialize)]
pub struct DashboardView {
    /// Shared layout fields.
    #[serde(flatten)]
    pub layout: Layout,
    /// The person's name.
    pub display_name: String,
    /// Their e-mail address, when a provider shared it.
    pub email: Option<String>,
    /// Their avatar, as the provider they logged in with named it, when
    /// that URL is http(s).
    pub avatar_url: Option<SafeUrl>,
    /// One card per provider, in the site's order.
    pub cards: Vec<ProviderCard>,
}

/// What each provider gives the site, and where it is shown.
pub fn offering(provider: Provider) -> (&'static str, String) {
    match provider {
        Provider::Twitter => ("Your latest tweets", "timeline".to_owned()),
        Provider::GitHub => ("Your repositories", "repos".to_owned()),
        Provider::Google => ("Your profile and ID token", "profile".to_owned()),
        Provider::Oidc(_) => (
            "Your profile and ID token",
            format!("profile/{}", provider.name()),
        ),
    }
}

/// Renders the dashboard of `user_id`; `None` when that user no longer
/// exists (the caller then shows the logged-out page).
pub async fn render(
    state: &AppState,
    session: &TypedSession,
    user_id: UserId,
) -> Result<Option<HttpResponse>, AppError> {
    let Some(account::Overview { user, connections }) =
        account::overview(&state.services, user_id).await?
    else {
        return Ok(None);
    };
    let cards = state
        .providers()
        .into_iter()
        .map(|provider| card(state, provider, &connections))
        .collect();
    let view = DashboardView {
        layout: Layout::for_session("Dashboard", state.demo_banner(), session)?,
        display_name: user.display_name,
        email: user.email,
        avatar_url: SafeUrl::from_option(user.avatar_url.as_deref()),
        cards,
    };
    let body = state.templates.render("dashboard.html", &view)?;
    Ok(Some(
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            // Personal data: never kept by a shared or back-button cache.
            .insert_header(("Cache-Control", "no-store"))
            .body(body),
    ))
}

fn card(state: &AppState, provider: Provider, connections: &[Connection]) -> ProviderCard {
    let connection = connections.iter().find(|c| c.provider == provider);
    let (gives, page) = offering(provider);
    ProviderCard {
        name: provider.name(),
        label: provider.label(),
        connected: connection.is_some(),
        needs_reconnect: connection.is_some_and(|c| c.needs_reconnect),
        identity: connection.map(Connection::identity),
        gives,
        page,
        available: state.services.oauth.client(provider.name()).is_some(),
    }
}

/// The route handler helper: the dashboard when someone is logged in.
pub async fn for_session(
    state: &web::Data<AppState>,
    session: &TypedSession,
) -> Result<Option<HttpResponse>, AppError> {
    match session.user_id()? {
        Some(user_id) => render(state, session, user_id).await,
        None => Ok(None),
    }
}
