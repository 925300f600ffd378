//! `/account/delete`: deleting the account, after a page that says what
//! that does. The deletion is a POST with the CSRF token; it ends the
//! account's sessions in every browser and leaves this one logged out.

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};

use super::account::ActionForm;
use super::confirm::ConfirmView;
use super::session::FlashKind;
use super::signed_in::SignedIn;
use super::state::AppState;
use super::templates::Layout;
use crate::error::AppError;
use trilogin_accounts::Provider;
use trilogin_accounts::app::{account, delete_account};

/// The message of the home page after the deletion.
pub const DELETED: &str = "Your account was deleted.";

/// `GET /account/delete`: what deleting the account does, and the button.
pub async fn confirm_delete(
    state: web::Data<AppState>,
    signed_in: SignedIn,
) -> Result<HttpResponse, AppError> {
    let connections = account::connections(&state.services, signed_in.user_id).await?;
    let labels: Vec<&str> = connections.iter().map(|c| c.provider.label()).collect();
    let mut lines = Vec::new();
    if !labels.is_empty() {
        lines.push(format!(
            "This site's access is revoked at {} where the provider allows it, and every token stored here is deleted.",
            list(&labels)
        ));
    }
    lines.push(
        "Your account here is deleted, and you are logged out in every browser. Logging in again later makes a new, empty account."
            .to_owned(),
    );
    lines.push("This cannot be undone.".to_owned());
    ConfirmView {
        layout: Layout::for_session(
            "Delete your account",
            state.demo_banner(),
            &signed_in.session,
        )?,
        heading: "Delete your account?".to_owned(),
        lines,
        action: Some("/account/delete".to_owned()),
        button: "Delete my account".to_owned(),
        danger: true,
        back: "/account",
    }
    .render(&state)
}

/// `POST /account/delete`: deletes the account and logs this browser out.
pub async fn delete(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let session = &signed_in.session;
    session.verify_csrf(&form.csrf_token)?;
    let deleted = delete_account::delete_account(&state.services, signed_in.user_id).await?;
    // A fresh, empty session carries the message; the old row is gone.
    session.inner().clear();
    session.renew();
    session.flash(FlashKind::Success, DELETED)?;
    if !deleted.not_revoked.is_empty() {
        session.flash(FlashKind::Info, not_revoked_text(&deleted.not_revoked))?;
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, "/"))
        .finish())
}

fn not_revoked_text(providers: &[Provider]) -> String {
    let labels: Vec<&str> = providers.iter().map(|p| p.label()).collect();
    format!(
        "{} could not be reached to revoke this site's access; the tokens are deleted here. You can also remove the app in your {} settings.",
        list(&labels),
        list(&labels)
    )
}

/// "A", "A and B", "A, B and C".
fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_a_sentence() {
        assert_eq!(list(&[]), "");
        assert_eq!(list(&["Twitter"]), "Twitter");
        assert_eq!(list(&["Twitter", "GitHub"]), "Twitter and GitHub");
        assert_eq!(
            list(&["Twitter", "GitHub", "Google"]),
            "Twitter, GitHub and Google"
        );
    }
}
