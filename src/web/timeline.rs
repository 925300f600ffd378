//! `GET /timeline`: the person's Twitter timeline, newest first, with
//! "Older" paging through `max_id`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::format;
use super::resource_page::{self, ProblemView};
use super::safe_url::SafeUrl;
use super::signed_in::SignedIn;
use super::state::AppState;
use super::templates::Layout;
use super::tweet_text::{self, Segment};
use crate::error::AppError;
use trilogin_accounts::app::timeline;

/// The query of `/timeline`.
#[derive(Debug, Deserialize)]
pub struct TimelineQuery {
    /// Show tweets up to this id (inclusive), for the "Older" link.
    pub max_id: Option<u64>,
}

/// One tweet as the page shows it.
#[derive(Debug, Serialize)]
pub struct TweetView {
    /// The text as plain runs and links; newlines are kept by the stylesheet.
    pub segments: Vec<Segment>,
    /// Author's name.
    pub author_name: String,
    /// Author's handle, without `@`.
    pub author_screen_name: String,
    /// Author's avatar, when Twitter's URL is http(s).
    pub author_avatar_url: Option<SafeUrl>,
    /// `2026-11-23T14:05:00Z`, for `<time datetime>`.
    pub created_at_iso: String,
    /// `23 Nov 2026, 14:05 UTC`.
    pub created_at: String,
    /// `3 hours ago`.
    pub created_ago: String,
}

/// The fields of `timeline.html`.
#[derive(Debug, Serialize)]
pub struct TimelineView {
    /// Shared layout fields.
    #[serde(flatten)]
    pub layout: Layout,
    /// The tweets, newest first.
    pub tweets: Vec<TweetView>,
    /// The `max_id` of the "Older" link.
    pub older: Option<u64>,
    /// True when this is not the first page (offers "Newest").
    pub paged: bool,
    /// Set when the timeline could not be shown.
    pub problem: Option<ProblemView>,
}

/// Renders the timeline page.
pub async fn timeline(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse, AppError> {
    let loaded = timeline::load(&state.services, signed_in.user_id, query.max_id).await;
    let now = OffsetDateTime::now_utc();
    let layout = Layout::for_session("Timeline", state.demo_banner(), &signed_in.session)?;
    let view = match loaded {
        Ok(page) => TimelineView {
            layout,
            tweets: page
                .tweets
                .into_iter()
                .map(|t| TweetView {
                    created_at_iso: t
                        .created_at
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    created_at: format::datetime(t.created_at),
                    created_ago: format::relative(t.created_at, now),
                    segments: tweet_text::segments(&t.text, &t.urls),
                    author_name: t.author_name,
                    author_screen_name: t.author_screen_name,
                    author_avatar_url: SafeUrl::from_option(t.author_avatar_url.as_deref()),
                })
                .collect(),
            older: page.older,
            paged: query.max_id.is_some(),
            problem: None,
        },
        Err(problem) => TimelineView {
            layout,
            tweets: Vec::new(),
            older: None,
            paged: false,
            problem: Some(ProblemView::new(
                problem,
                query.max_id.map_or_else(
                    || "timeline".to_owned(),
                    |id| format!("timeline?max_id={id}"),
                ),
            )),
        },
    };
    resource_page::render(&state, "timeline.html", &view)
}
