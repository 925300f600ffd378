//! `SignedIn`: the extractor of pages that need a logged-in person. Anyone
//! else is sent to the home page with a message, not shown an error.

use std::future::{Ready, ready};

use actix_session::SessionExt as _;
use actix_web::error::InternalError;
use actix_web::http::header::LOCATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};

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
                        .insert_header((LOCATION, "/"))
                        .finish(),
                )
                .into())
            }
            Err(e) => Err(e.into()),
        };
        ready(result)
    }
}
