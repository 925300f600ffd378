//! The GitHub repositories: `/user/repos` sorted by update, paged through
//! the `Link` header, within GitHub's rate limit.
//!
//! A page seen before is asked for again with `If-None-Match`; GitHub's
//! `304 Not Modified` costs no quota, and the page comes from
//! [`ReposCache`](super::repos_cache::ReposCache).

use reqwest::StatusCode;
use reqwest::header::{ETAG, LINK};
use time::OffsetDateTime;

use super::problem::ProviderProblem;
use super::repos_cache::CachedPage;
use super::resources;
use super::services::Services;
use crate::providers::github::{self, Pages, RateLimit, Repo};
use crate::{Provider, UserId};

/// What the repositories page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReposOutcome {
    /// A page of repositories.
    Page {
        /// The repositories, most recently updated first.
        repos: Vec<Repo>,
        /// Paging.
        pages: Pages,
        /// The page number shown.
        page: u32,
        /// The API budget after this request, when GitHub said.
        rate_limit: Option<RateLimit>,
        /// True when GitHub answered `304 Not Modified`.
        not_modified: bool,
    },
    /// The budget is spent until `reset`.
    RateLimited {
        /// When GitHub gives a new budget.
        reset: OffsetDateTime,
    },
}

/// Loads page `page` of user `user_id`'s repositories.
pub async fn load(
    services: &Services,
    user_id: UserId,
    page: u32,
) -> Result<ReposOutcome, ProviderProblem> {
    let provider = Provider::GitHub;
    let page = page.max(1);
    resources::check_connected(services, user_id, provider).await?;
    let cached = services.repos_cache.get(user_id, page);
    let mut request = github::repos_request(page);
    if let Some(cached) = &cached {
        request = request.header("If-None-Match", cached.etag.clone());
    }
    let answer = match resources::call_for_body(services, user_id, provider, &request).await {
        Ok(answer) => answer,
        Err(ProviderProblem {
            retry_at: Some(reset),
            ..
        }) => return Ok(ReposOutcome::RateLimited { reset }),
        Err(problem) => return Err(problem),
    };
    let rate_limit = RateLimit::from_headers(&answer.headers);

    if answer.status == StatusCode::NOT_MODIFIED
        && let Some(cached) = cached
    {
        return Ok(ReposOutcome::Page {
            repos: cached.repos,
            pages: cached.pages,
            page,
            rate_limit,
            not_modified: true,
        });
    }
    // The usual answer, a page of repositories, is read straight into
    // `Repo`s; anything else is read as JSON to say what went wrong.
    let fast = (answer.status == StatusCode::OK)
        .then(|| github::repos_from_body(&answer.body))
        .flatten();
    let (repos, headers) = match fast {
        Some(repos) => (repos, answer.headers),
        None => {
            let answer = resources::read_json(services, user_id, provider, answer).await?;
            if answer.status != StatusCode::OK {
                return Err(resources::unexpected(services, user_id, provider, &answer).await);
            }
            match github::repos(&answer.body) {
                Ok(repos) => (repos, answer.headers),
                Err(e) => return Err(resources::problem(services, user_id, provider, &e).await),
            }
        }
    };
    let pages = github::pages(headers.get(LINK).and_then(|v| v.to_str().ok()));
    if let Some(etag) = headers.get(ETAG).and_then(|v| v.to_str().ok()) {
        services.repos_cache.put(
            user_id,
            page,
            CachedPage {
                etag: etag.to_owned(),
                repos: repos.clone(),
                pages,
            },
        );
    }
    Ok(ReposOutcome::Page {
        repos,
        pages,
        page,
        rate_limit,
        not_modified: false,
    })
}
