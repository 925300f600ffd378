//! `GET /profile`: the person's Google profile from the userinfo endpoint
//! and the claims of their ID token.

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
use trilogin_accounts::app::profile;

/// One row of the claims table.
#[derive(Debug, Serialize)]
pub struct ClaimView {
    /// The claim's name.
    pub name: &'static str,
    /// What it means.
    pub meaning: &'static str,
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
    /// Full name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Whether Google verified it.
    pub email_verified: bool,
    /// Picture, when Google's URL is http(s).
    pub picture: Option<SafeUrl>,
    /// The ID token's claims.
    pub claims: Vec<ClaimView>,
    /// True when the profile loaded.
    pub loaded: bool,
    /// Set when the profile could not be shown.
    pub problem: Option<ProblemView>,
}

fn meaning(claim: &str) -> &'static str {
    match claim {
        "iss" => "Issuer: who signed the token",
        "aud" => "Audience: the client it was issued to",
        "sub" => "Subject: your stable id at Google",
        "iat" => "Issued at",
        "exp" => "Expires at",
        _ => "",
    }
}

/// Renders the profile page.
pub async fn profile(
    state: web::Data<AppState>,
    signed_in: SignedIn,
) -> Result<HttpResponse, AppError> {
    let loaded = profile::load(&state.services, signed_in.user_id).await;
    let now = OffsetDateTime::now_utc();
    let layout = Layout::for_session("Profile", state.demo_banner(), &signed_in.session)?;
    let view = match loaded {
        Ok(page) => ProfileView {
            layout,
            name: page.userinfo.name,
            email: page.userinfo.email,
            email_verified: page.userinfo.email_verified,
            picture: SafeUrl::from_option(page.userinfo.picture.as_deref()),
            claims: page
                .claims
                .into_iter()
                .map(|c| ClaimView {
                    name: c.name,
                    meaning: meaning(c.name),
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
            name: None,
            email: None,
            email_verified: false,
            picture: None,
            claims: Vec::new(),
            loaded: false,
            problem: Some(ProblemView::new(problem, "profile")),
        },
    };
    resource_page::render(&state, "profile.html", &view)
}
