//! `GET /`: the log-in buttons, or the dashboard for a logged-in person.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::next::next_query;
use super::session::TypedSession;
use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;

/// One provider's log-in button.
#[derive(Debug, Serialize)]
pub struct ProviderButton {
    /// Route name: `twitter`, `github`, `google`, or a name of `OIDC_PROVIDERS`.
    pub name: &'static str,
    /// Brand name as written.
    pub label: &'static str,
    /// False when no client is registered for the provider (no client id
    /// and no demo).
    pub available: bool,
    /// True when the built-in demo answers instead of the real provider.
    pub demo: bool,
    /// The variable that enables the provider, shown on a disabled button.
    pub client_id_var: String,
}

/// The fields of `home.html`.
#[derive(Debug, Serialize)]
pub struct HomeView {
    /// Shared layout fields.
    #[serde(flatten)]
    pub layout: Layout,
    /// One button per provider, in a fixed order.
    pub providers: Vec<ProviderButton>,
    /// False when no provider can be used at all.
    pub any_available: bool,
    /// True when this binary has the demo providers (cargo feature `demo`),
    /// so the page may suggest them.
    pub demo_built: bool,
    /// Appended to each log-in link: `?next=…` when the person was sent
    /// here from a page that needs a login, so the login ends there.
    pub login_query: String,
}

/// The query of `/`.
#[derive(Debug, Deserialize)]
pub struct HomeQuery {
    /// The page of this site that sent the person here to log in.
    pub next: Option<String>,
    /// The `state` a provider sends back after signing the person out
    /// (`post_logout_redirect_uri` is APP_URL).
    pub state: Option<String>,
}

/// Renders the dashboard, or the log-in page when nobody is logged in.
pub async fn home(
    state: web::Data<AppState>,
    session: TypedSession,
    query: web::Query<HomeQuery>,
) -> Result<HttpResponse, AppError> {
    if let Some(returned) = super::sign_out::sign_out_returned(&session, query.state.as_deref())? {
        return Ok(returned);
    }
    if let Some(dashboard) = super::dashboard::for_session(&state, &session).await? {
        return Ok(dashboard);
    }
    let served = state.config.demo_served();
    let providers: Vec<ProviderButton> = state
        .providers()
        .into_iter()
        .map(|provider| (provider.name(), provider))
        .map(|(name, provider)| ProviderButton {
            name,
            label: provider.label(),
            available: state.services.oauth.client(name).is_some(),
            demo: served.contains(&name),
            client_id_var: format!("{}_CLIENT_ID", name.to_ascii_uppercase()),
        })
        .collect();
    let view = HomeView {
        layout: Layout::for_session("Log in", state.demo_banner(), &session)?,
        any_available: providers.iter().any(|p| p.available),
        providers,
        demo_built: cfg!(feature = "demo"),
        login_query: next_query(query.next.as_deref()),
    };
    let body = state.templates.render("home.html", &view)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}
