//! `GET /profile/{provider}`: the person's profile at an OpenID Connect
//! provider (Google, or one of `OIDC_PROVIDERS`) from the userinfo
//! endpoint, and the claims of their ID token. `GET /profile` is Google's.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use time::OffsetDateTime;

use super::format;
use super::resource_page::{self, ProblemView};
use super::safe_url::SafeUrl;
use super::signed_in::SignedIn;
use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;
use trilogin_accounts::Provider;
use trilogin_accounts::app::profile;

/// One row of the claims table.
#[derive(Debug, Serialize)]
pub struct ClaimView {
    /// The claim's name.
    pub name: &'static str,
    /// What it means.
    pub meaning: String,
    /// Its value as sent.
    pub value: String,
    /// For times: `23 Nov 2026, 14:05 UTC (3 minutes ago)`.
    pub readable: Option<String>,
}

/// The fields of `profile.html`.
#[derive(Debug, Serialize)]
pub struct ProfileView {
    /// Shared layout fields.
    #[serde(flatten)]
    pub layout: Layout,
    /// The provider's display name.
    pub provider_label: &'static str,
    /// Full name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Whether the provider verified it.
    pub email_verified: bool,
    /// Picture, when the provider's URL is http(s).
    pub picture: Option<SafeUrl>,
    /// The ID token's claims.
    pub claims: Vec<ClaimView>,
    /// True when the profile loaded.
    pub loaded: bool,
    /// Set when the profile could not be shown.
    pub problem: Option<ProblemView>,
}

fn meaning(claim: &str, provider: Provider) -> String {
    match claim {
        "iss" => "Issuer: who signed the token".to_owned(),
        "aud" => "Audience: the client it was issued to".to_owned(),
        "sub" => format!("Subject: your stable id at {provider}"),
        "iat" => "Issued at".to_owned(),
        "exp" => "Expires at".to_owned(),
        _ => String::new(),
    }
}

/// `GET /profile`: the Google profile page.
pub async fn profile(
    state: web::Data<AppState>,
    signed_in: SignedIn,
) -> Result<HttpResponse, AppError> {
    render(&state, signed_in, Provider::Google, "profile").await
}

/// `GET /profile/{provider}`: the profile page of any OpenID Connect
/// provider of this site; the 404 page for any other name.
pub async fn provider_profile(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let provider = state
        .provider_named(&path)
        .filter(|p| p.is_oidc())
        .ok_or(AppError::NotFound)?;
    let retry = format!("profile/{}", provider.name());
    render(&state, signed_in, provider, &retry).await
}

async fn render(
    state: &AppState,
    signed_in: SignedIn,
    provider: Provider,
    retry_path: &str,
) -> Result<HttpResponse, AppError> {
    let loaded = profile::load(&state.services, signed_in.user_id, provider).await;
    let now = OffsetDateTime::now_utc();
    let title = format!("{provider} profile");
    let layout = Layout::for_session(title, state.demo_banner(), &signed_in.session)?;
    let view = match loaded {
        Ok(page) => ProfileView {
            layout,
            provider_label: provider.label(),
            name: page.userinfo.name,
            email: page.userinfo.email,
            email_verified: page.userinfo.email_verified,
            picture: SafeUrl::from_option(page.userinfo.picture.as_deref()),
            claims: page
                .claims
                .into_iter()
                .map(|c| ClaimView {
                    name: c.name,
                    meaning: meaning(c.name, provider),
                    readable: c.at.map(|at| {
                        format!("{} ({})", format::datetime(at), format::relative(at, now))
                    }),
                    value: c.value,
                })
                .collect(),
            loaded: true,
            problem: None,
        },
        Err(problem) => ProfileView {
            layout,
            provider_label: provider.label(),
            name: None,
            email: None,
            email_verified: false,
            picture: None,
            claims: Vec::new(),
            loaded: false,
            problem: Some(ProblemView::new(problem, retry_path)),
        },
    };
    resource_page::render(state, "profile.html", &view)
}
