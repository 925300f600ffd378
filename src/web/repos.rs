//! `GET /repos`: the person's GitHub repositories, most recently updated
//! first, paged through the `Link` header, with the API budget shown.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::format;
use super::resource_page::{self, ProblemView};
use super::safe_url::SafeUrl;
use super::signed_in::SignedIn;
use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;
use trilogin_accounts::app::repos::{self, ReposOutcome};
use trilogin_accounts::providers::github::Pages;

/// The query of `/repos`.
#[derive(Debug, Deserialize)]
pub struct ReposQuery {
    /// The page, from 1.
    pub page: Option<u32>,
}

/// One repository as the page shows it.
#[derive(Debug, Serialize)]
pub struct RepoView {
    /// `owner/name`.
    pub full_name: String,
    /// Link to it on GitHub; `None` when GitHub's URL is not http(s), and
    /// the name is shown unlinked.
    pub html_url: Option<SafeUrl>,
    /// Description.
    pub description: Option<String>,
    /// Main language.
    pub language: Option<String>,
    /// `1 star`, `12 stars`: counted here, not in the template, where each
    /// lookup of a repository's field costs a path walk.
    pub stars: String,
    /// Private repository.
    pub private: bool,
    /// A fork.
    pub fork: bool,
    /// `2026-11-23T14:05:00Z`.
    pub updated_at_iso: String,
    /// `23 Nov 2026, 14:05 UTC`.
    pub updated_at: String,
    /// `3 days ago`.
    pub updated_ago: String,
}

/// The API budget line.
#[derive(Debug, Serialize)]
pub struct BudgetView {
    /// Requests left.
    pub remaining: u64,
    /// Requests per window.
    pub limit: u64,
    /// `14:05 UTC`.
    pub reset: String,
}

/// The fields of `repos.html`.
#[derive(Debug, Serialize)]
pub struct ReposView {
    /// Shared layout fields.
    #[serde(flatten)]
    pub layout: Layout,
    /// The repositories.
    pub repos: Vec<RepoView>,
    /// The page shown.
    pub page: u32,
    /// Paging.
    pub pages: Pages,
    /// The API budget, when GitHub said.
    pub budget: Option<BudgetView>,
    /// True when GitHub answered `304 Not Modified` (no quota spent).
    pub not_modified: bool,
    /// Set when the budget is spent: "try again at HH:MM".
    pub try_again_at: Option<String>,
    /// Set when the repositories could not be shown.
    pub problem: Option<ProblemView>,
}

/// Renders the repositories page.
pub async fn repos(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<ReposQuery>,
) -> Result<HttpResponse, AppError> {
    let page = query.page.unwrap_or(1).max(1);
    let loaded = repos::load(&state.services, signed_in.user_id, page).await;
    let now = OffsetDateTime::now_utc();
    let mut view = ReposView {
        layout: Layout::for_session("Repositories", state.demo_banner(), &signed_in.session)?,
        repos: Vec::new(),
        page,
        pages: Pages::default(),
        budget: None,
        not_modified: false,
        try_again_at: None,
        problem: None,
    };
    match loaded {
        Ok(ReposOutcome::Page {
            repos,
            pages,
            rate_limit,
            not_modified,
            ..
        }) => {
            view.repos = repos
                .into_iter()
                .map(|r| RepoView {
                    updated_at_iso: r
                        .updated_at
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    updated_at: format::datetime(r.updated_at),
                    updated_ago: format::relative(r.updated_at, now),
                    full_name: r.full_name,
                    html_url: SafeUrl::new(&r.html_url),
                    description: r.description,
                    language: r.language,
                    stars: format::count(r.stars, "star"),
                    private: r.private,
                    fork: r.fork,
                })
                .collect();
            view.pages = pages;
            view.not_modified = not_modified;
            view.budget = rate_limit.map(|l| BudgetView {
                remaining: l.remaining,
                limit: l.limit,
                reset: format::clock(l.reset),
            });
        }
        Ok(ReposOutcome::RateLimited { reset }) => {
            view.layout.title = "Try again later".to_owned();
            view.try_again_at = Some(format::clock(reset));
        }
        Err(problem) => {
            let retry = if page == 1 {
                "repos".to_owned()
            } else {
                format!("repos?page={page}")
            };
            view.problem = Some(ProblemView::new(problem, retry));
        }
    }
    resource_page::render(&state, "repos.html", &view)
}
