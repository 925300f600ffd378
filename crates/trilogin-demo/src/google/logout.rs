//! The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0 §2).
//! The browser goes back to `post_logout_redirect_uri` only when that URI is
//! on the site's own origin: anything else would be an open redirect.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use url::Url;

use super::DemoGoogle;
use crate::oauth2_server::consent::MessageView;
use crate::oauth2_server::with_query;

/// The logout request's parameters.
#[derive(Debug, Deserialize)]
pub struct LogoutQuery {
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// Signs the person out (the demo keeps no session) and sends them back.
pub async fn end_session(
    google: web::Data<DemoGoogle>,
    query: web::Query<LogoutQuery>,
) -> HttpResponse {
    google.server.knobs.count("end_session");
    let back = query
        .post_logout_redirect_uri
        .as_deref()
        .and_then(|uri| Url::parse(uri).ok())
        .filter(|uri| uri.origin() == google.server.config.app_url.origin());
    match back {
        Some(uri) => {
            let params: Vec<(&str, &str)> = query
                .state
                .as_deref()
                .map(|s| ("state", s))
                .into_iter()
                .collect();
            HttpResponse::Found()
                .insert_header(("Location", with_query(uri.as_str(), &params)))
                .finish()
        }
        None => google.server.pages.message(
            &MessageView {
                link: Some(google.server.config.app_url.to_string()),
                link_text: "Back to the site".to_owned(),
                ..google
                    .server
                    .message_view("You are signed out", "You are signed out of Demo Google.")
            },
            StatusCode::OK,
        ),
    }
}
