//! What the timeline, repositories and profile pages share: the problem
//! box (connect, reconnect or try again) and rendering.

use actix_web::HttpResponse;
use serde::Serialize;

use super::state::AppState;
use crate::error::AppError;
use trilogin_accounts::app::problem::{ProblemKind, ProviderProblem};

/// The problem box of a resource page.
#[derive(Debug, Serialize)]
pub struct ProblemView {
    /// Route name of the provider.
    pub name: &'static str,
    /// Brand name.
    pub label: &'static str,
    /// What is offered.
    pub kind: ProblemKind,
    /// What happened and what to do.
    pub message: String,
    /// The page to load again for "Try again".
    pub retry_path: String,
}

impl ProblemView {
    /// The box for `problem` on the page at `retry_path` (without the
    /// leading `/`: Tera escapes slashes).
    pub fn new(problem: ProviderProblem, retry_path: impl Into<String>) -> Self {
        Self {
            name: problem.provider.name(),
            label: problem.provider.label(),
            kind: problem.kind,
            message: problem.message,
            retry_path: retry_path.into(),
        }
    }
}

/// Renders `template` with `view` as an HTML page.
pub fn render(
    state: &AppState,
    template: &str,
    view: &impl Serialize,
) -> Result<HttpResponse, AppError> {
    let body = state.templates.render(template, view)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}
