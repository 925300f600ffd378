//! The page for a path under a demo OAuth 2 provider that nothing serves:
//! a styled 404 in the provider's branding with a way back to the site,
//! rather than an empty answer.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::authorize::Dialect;

/// The not-found page of provider `P`.
pub async fn not_found<P: Dialect>(provider: web::Data<P>) -> HttpResponse {
    let server = provider.server();
    let text = format!(
        "There is no page at this address at demo {}.",
        server.profile.brand.brand
    );
    server.message_home(StatusCode::NOT_FOUND, "Page not found", &text)
}
