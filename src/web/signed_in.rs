//! `SignedIn`: the extractor of pages that need a logged-in person. Anyone
//! else is sent to the home page with a message, not shown an error; a page
//! they opened (`GET`) goes with them as `next`, so that logging in from
//! there ends on it.

use std::future::{Ready, ready};

use actix_session::SessionExt as _;
use actix_web::error::InternalError;
use actix_web::http::Method;
use actix_web::http::header::LOCATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};

use super::next::next_query;
use super::session::{FlashKind, TypedSession};
use trilogin_accounts::UserId;

/// The logged-in person of a request.
pub struct SignedIn {
    /// Their user id.
    pub user_id: UserId,
    /// Their session.
    pub session: TypedSession,
}

/// The message shown to someone who opened a page that needs a login.
pub const LOGIN_FIRST: &str = "Please log in first.";

/// The home page, with `next` naming the page `req` opened. A form post
/// is not repeated after a login, so it gets the plain home page.
fn home_then(req: &HttpRequest) -> String {
    if req.method() != Method::GET {
        return "/".to_owned();
    }
    let opened = req.uri().path_and_query().map(|p| p.as_str());
    format!("/{}", next_query(opened))
}

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let session = TypedSession::new(req.get_session());
        let result = match session.user_id() {
            Ok(Some(user_id)) => Ok(SignedIn { user_id, session }),
            Ok(None) => {
                // A flash that cannot be stored only loses the message.
                let _ = session.flash(FlashKind::Info, LOGIN_FIRST);
                Err(InternalError::from_response(
                    "not logged in",
                    HttpResponse::SeeOther()
                        .insert_header((LOCATION, home_then(req)))
                        .finish(),
                )
                .into())
            }
            Err(e) => Err(e.into()),
        };
        ready(result)
    }
}
