//! The page that asks "are you sure?" before an action that cannot be
//! undone (disconnecting a provider, deleting the account): what will
//! happen, one button that posts the form with the CSRF token, and a way
//! back that changes nothing.

use actix_web::HttpResponse;
use serde::Serialize;

use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;

/// The fields of `confirm.html`.
#[derive(Debug, Serialize)]
pub struct ConfirmView {
    /// Shared layout fields; its CSRF token goes into the form.
    #[serde(flatten)]
    pub layout: Layout,
    /// The question, as the page's heading.
    pub heading: String,
    /// What the action will do, one paragraph each.
    pub lines: Vec<String>,
    /// Where the button posts; `None` when the action cannot be taken, and
    /// the page only explains why.
    pub action: Option<String>,
    /// The button's text.
    pub button: String,
    /// Red button: the action deletes something.
    pub danger: bool,
    /// Where "Cancel" leads.
    pub back: &'static str,
}

impl ConfirmView {
    /// Renders the page, never cached: it holds the CSRF token.
    pub fn render(&self, state: &AppState) -> Result<HttpResponse, AppError> {
        let body = state.templates.render("confirm.html", self)?;
        Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(body))
    }
}
