//! `/account/merge`: merging the account a person is logged in to with
//! another of theirs, offered by a login that just proved the other one.
//! The page lists both accounts and what the merged one keeps; the merge
//! and its cancellation are POSTs with the CSRF token, and each takes the
//! offer, so a merge needs a fresh login every time.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::account::{ActionForm, back_to_account};
use super::session::FlashKind;
use super::signed_in::SignedIn;
use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;
use trilogin_accounts::app::merge::{self, MergeRefused, Preview, Side};

/// What the person reads when there is no open offer to act on.
pub const NO_OFFER: &str = "There is nothing to merge now. To merge another account into this one, log in with one of its providers from this account again.";

/// One account on the merge page.
#[derive(Debug, Serialize)]
struct SideView {
    heading: &'static str,
    name: String,
    email: Option<String>,
    /// "GitHub: @ada-lovelace".
    connections: Vec<String>,
}

impl SideView {
    fn new(heading: &'static str, side: &Side) -> Self {
        Self {
            heading,
            name: side.user.display_name.clone(),
            email: side.user.email.clone(),
            connections: side
                .connections
                .iter()
                .map(|c| format!("{}: {}", c.provider.label(), c.identity()))
                .collect(),
        }
    }
}

/// The fields of `merge.html`.
#[derive(Debug, Serialize)]
struct MergeView {
    #[serde(flatten)]
    layout: Layout,
    sides: [SideView; 2],
    display_name: String,
    email: Option<String>,
    /// Why the accounts cannot be merged; empty when they can.
    conflicts: String,
    csrf_token: String,
}

/// `GET /account/merge`: both accounts, and what merging them does.
pub async fn merge_page(
    state: web::Data<AppState>,
    signed_in: SignedIn,
) -> Result<HttpResponse, AppError> {
    let session = &signed_in.session;
    let Some(offer) = session.merge_offer() else {
        return back_to_account(&signed_in, (FlashKind::Info, NO_OFFER.to_owned()));
    };
    let Some(preview) = merge::preview(&state.services, signed_in.user_id, offer.other).await?
    else {
        session.take_merge_offer();
        return back_to_account(
            &signed_in,
            (FlashKind::Info, MergeRefused::Gone.to_string()),
        );
    };
    let Preview {
        into,
        from,
        display_name,
        email,
        conflicts,
    } = preview;
    let view = MergeView {
        layout: Layout::for_session("Merge accounts", state.demo_banner(), session)?,
        sides: [
            SideView::new("This account (kept)", &into),
            SideView::new("The other account (deleted)", &from),
        ],
        display_name,
        email,
        conflicts: if conflicts.is_empty() {
            String::new()
        } else {
            MergeRefused::Conflict(conflicts).to_string()
        },
        csrf_token: session.csrf_token()?,
    };
    let body = state.templates.render("merge.html", &view)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

/// `POST /account/merge`: merges the offered account into this one.
pub async fn merge(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let session = &signed_in.session;
    session.verify_csrf(&form.csrf_token)?;
    let Some(offer) = session.take_merge_offer() else {
        return back_to_account(&signed_in, (FlashKind::Error, NO_OFFER.to_owned()));
    };
    match merge::merge(&state.services, signed_in.user_id, offer.other).await? {
        Ok(connections) => {
            let labels: Vec<&str> = connections.iter().map(|c| c.provider.label()).collect();
            back_to_account(
                &signed_in,
                (
                    FlashKind::Success,
                    format!(
                        "The accounts are merged. This account now holds {}.",
                        labels.join(", ")
                    ),
                ),
            )
        }
        Err(MergeRefused::Query(e)) => Err(AppError::internal(e)),
        Err(refused) => back_to_account(&signed_in, (FlashKind::Error, refused.to_string())),
    }
}

/// `POST /account/merge/cancel`: closes the offer; nothing is merged.
pub async fn cancel(
    signed_in: SignedIn,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let session = &signed_in.session;
    session.verify_csrf(&form.csrf_token)?;
    session.take_merge_offer();
    back_to_account(
        &signed_in,
        (
            FlashKind::Info,
            "Nothing was merged: the two accounts stay apart.".to_owned(),
        ),
    )
}
