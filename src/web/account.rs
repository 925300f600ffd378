//! `/account`: every connection with its status, and the forms that
//! refresh, reconnect or disconnect it (POST, with the CSRF token).

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::confirm::ConfirmView;
use super::format;
use super::session::FlashKind;
use super::signed_in::SignedIn;
use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;
use trilogin_accounts::Provider;
use trilogin_accounts::app::account::{self, Connection};
use trilogin_accounts::app::connections::{self, DisconnectOutcome, RefreshOutcome};
use trilogin_accounts::app::problem::ProviderProblem;

/// One provider's row on the account page.
#[derive(Debug, Serialize)]
pub struct ConnectionView {
    /// Route name.
    pub name: &'static str,
    /// Brand name.
    pub label: &'static str,
    /// The person connected it.
    pub connected: bool,
    /// "OAuth 1.0a", "OAuth 2.0" or "OpenID Connect".
    pub protocol: &'static str,
    /// The person's handle or id at the provider.
    pub identity: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The OAuth 2 `token_type`: `Bearer`, or `DPoP` for a key-bound token.
    pub token_type: Option<String>,
    /// "23 Nov 2026, 14:05 UTC", when the token says.
    pub expires_at: Option<String>,
    /// "in 5 minutes" / "3 minutes ago".
    pub expires_in: Option<String>,
    /// True when the access token has expired.
    pub expired: bool,
    /// When it was last refreshed.
    pub refreshed_at: Option<String>,
    /// "2 minutes ago".
    pub refreshed_ago: Option<String>,
    /// When it was connected.
    pub connected_at: Option<String>,
    /// A refresh token is stored: "Refresh now" is offered.
    pub refreshable: bool,
    /// The provider refused the tokens: "Reconnect" is highlighted.
    pub needs_reconnect: bool,
    /// False when the provider can be neither used nor connected.
    pub available: bool,
}

/// The fields of `account.html`.
#[derive(Debug, Serialize)]
pub struct AccountView {
    /// Shared layout fields.
    #[serde(flatten)]
    pub layout: Layout,
    /// One row per provider.
    pub connections: Vec<ConnectionView>,
    /// How many providers are connected (the last one cannot be removed).
    pub connected_count: usize,
    /// The CSRF token of the forms.
    pub csrf_token: String,
}

/// Renders the account page.
pub async fn account(
    state: web::Data<AppState>,
    signed_in: SignedIn,
) -> Result<HttpResponse, AppError> {
    let user_id = signed_in.user_id;
    let connections = account::connections(&state.services, user_id).await?;
    let now = OffsetDateTime::now_utc();
    let rows: Vec<ConnectionView> = state
        .providers()
        .into_iter()
        .map(|provider| {
            view(
                provider,
                connections.iter().find(|c| c.provider == provider),
                state.services.oauth.client(provider.name()).is_some(),
                now,
            )
        })
        .collect();
    let session = &signed_in.session;
    let view = AccountView {
        layout: Layout::for_session("Account", state.demo_banner(), session)?,
        connected_count: connections.len(),
        connections: rows,
        csrf_token: session.csrf_token()?,
    };
    let body = state.templates.render("account.html", &view)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // Personal data: never kept by a shared or back-button cache.
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

fn view(
    provider: Provider,
    connection: Option<&Connection>,
    available: bool,
    now: OffsetDateTime,
) -> ConnectionView {
    let protocol = match provider {
        Provider::Twitter => "OAuth 1.0a",
        Provider::GitHub => "OAuth 2.0",
        Provider::Google | Provider::Oidc(_) => "OpenID Connect",
    };
    let c = connection;
    let expires_at = c.and_then(|c| c.expires_at);
    let refreshed_at = c.and_then(|c| c.refreshed_at);
    ConnectionView {
        name: provider.name(),
        label: provider.label(),
        connected: c.is_some(),
        protocol,
        identity: c.map(|c| match &c.label {
            Some(label) => format!("{label} ({})", c.provider_user_id),
            None => c.provider_user_id.clone(),
        }),
        scopes: c
            .and_then(|c| c.scope.as_deref())
            .map(|s| {
                s.split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        token_type: c.and_then(|c| c.token_type.clone()),
        expires_at: expires_at.map(format::datetime),
        expires_in: expires_at.map(|at| format::relative(at, now)),
        expired: expires_at.is_some_and(|at| at <= now),
        refreshed_at: refreshed_at.map(format::datetime),
        refreshed_ago: refreshed_at.map(|at| format::relative(at, now)),
        connected_at: c.map(|c| format::datetime(c.connected_at)),
        refreshable: c.is_some_and(|c| c.refreshable),
        needs_reconnect: c.is_some_and(|c| c.needs_reconnect),
        available,
    }
}

/// The form of the account page's buttons.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    /// The session's CSRF token; a form without one reads as expired.
    #[serde(default)]
    pub csrf_token: String,
}

/// The provider a button acts on, once the form's CSRF token is checked.
fn checked_action(
    signed_in: &SignedIn,
    name: &str,
    form: &ActionForm,
) -> Result<Provider, AppError> {
    signed_in.session.verify_csrf(&form.csrf_token)?;
    Provider::from_name(name).ok_or(AppError::NotFound)
}

/// Back to the account page, which shows `text`.
pub fn back_to_account(
    signed_in: &SignedIn,
    (kind, text): (FlashKind, String),
) -> Result<HttpResponse, AppError> {
    signed_in.session.flash(kind, text)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, "/account"))
        .finish())
}

/// `POST /account/{provider}/refresh`: "Refresh now".
pub async fn refresh(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let provider = checked_action(&signed_in, &path, &form)?;
    let label = provider.label();
    let outcome = match connections::refresh_now(&state.services, signed_in.user_id, provider).await
    {
        RefreshOutcome::Refreshed => (
            FlashKind::Success,
            format!("Your {label} access token was refreshed."),
        ),
        RefreshOutcome::NeedsReconnect => (
            FlashKind::Error,
            format!(
                "{label} refused to refresh the access. Reconnect {label} to keep using it; nothing has been deleted."
            ),
        ),
        RefreshOutcome::NotRefreshable => (
            FlashKind::Info,
            format!(
                "{label} gave no refresh token for this connection, so it cannot be refreshed. Reconnect {label} instead."
            ),
        ),
        RefreshOutcome::Failed(e) => (
            FlashKind::Error,
            ProviderProblem::from_error(provider, &e).message,
        ),
    };
    back_to_account(&signed_in, outcome)
}

/// What disconnecting `provider` does there, in the person's words.
fn revocation_text(provider: Provider) -> String {
    match provider {
        Provider::Twitter => {
            "The access token this site holds is invalidated at Twitter.".to_owned()
        }
        Provider::GitHub => {
            "This site's authorization is revoked at GitHub: reconnecting asks you to authorize it again.".to_owned()
        }
        Provider::Google => {
            "This site's access is revoked at Google, refresh token included.".to_owned()
        }
        Provider::Oidc(_) => format!(
            "This site's access is revoked at {provider}, refresh token included, where {provider} offers revocation (RFC 7009)."
        ),
    }
}

/// `GET /account/{provider}/disconnect`: what disconnecting will revoke,
/// and the button that does it.
pub async fn confirm_disconnect(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let provider = Provider::from_name(&path).ok_or(AppError::NotFound)?;
    let label = provider.label();
    let connections = account::connections(&state.services, signed_in.user_id).await?;
    let (lines, action) = if !connections.iter().any(|c| c.provider == provider) {
        (
            vec![format!("{label} is not connected to your account.")],
            None,
        )
    } else if connections.len() <= 1 {
        (
            vec![format!(
                "{label} is your only connection, so it cannot be removed: without it you could not log in again. Connect another provider first."
            )],
            None,
        )
    } else {
        (
            vec![
                revocation_text(provider),
                format!(
                    "The tokens stored here for {label} are deleted, and this site can no longer reach your {label} account. Your {label} account itself is not changed."
                ),
            ],
            Some(format!("/account/{}/disconnect", provider.name())),
        )
    };
    ConfirmView {
        layout: Layout::for_session(
            format!("Disconnect {label}"),
            state.demo_banner(),
            &signed_in.session,
        )?,
        heading: format!("Disconnect {label}?"),
        lines,
        action,
        button: format!("Disconnect {label}"),
        danger: true,
        back: "/account",
    }
    .render(&state)
}

/// `POST /account/{provider}/disconnect`: "Disconnect".
pub async fn disconnect(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let provider = checked_action(&signed_in, &path, &form)?;
    let label = provider.label();
    let outcome = match connections::disconnect(&state.services, signed_in.user_id, provider)
        .await?
    {
        DisconnectOutcome::Removed { revoked: true } => (
            FlashKind::Success,
            format!("{label} is disconnected: its access was revoked at {label} and deleted here."),
        ),
        DisconnectOutcome::Removed { revoked: false } => (
            FlashKind::Success,
            format!("{label} is disconnected and its tokens are deleted here."),
        ),
        DisconnectOutcome::LastConnection => (
            FlashKind::Error,
            format!(
                "{label} is your only connection, so it was not removed: without it you could not log in again. Connect another provider first."
            ),
        ),
        DisconnectOutcome::NotConnected => (FlashKind::Info, format!("{label} was not connected.")),
        DisconnectOutcome::RevocationFailed(e) => (
            FlashKind::Error,
            format!(
                "{label} could not be disconnected because the access could not be revoked there. {} Nothing was deleted.",
                ProviderProblem::from_error(provider, &e).message
            ),
        ),
    };
    back_to_account(&signed_in, outcome)
}
