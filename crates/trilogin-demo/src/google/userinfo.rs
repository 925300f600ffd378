//! `GET`/`POST /userinfo` (OpenID Connect Core §5.3), bearer-protected.

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::DemoGoogle;
use super::id_token::person_claims;
use crate::oauth2_server::now;
use crate::people;

/// Answers with the claims the token's scope allows.
pub async fn userinfo(google: web::Data<DemoGoogle>, req: HttpRequest) -> HttpResponse {
    google.server.knobs.count("userinfo");
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let access = token.and_then(|t| google.server.grants.read(|g| g.access(t, now())));
    let person = access.as_ref().and_then(|a| {
        a.authorization
            .person
            .as_deref()
            .and_then(people::find)
            .map(|p| (p, a.authorization.scope.clone()))
    });
    match person {
        Some((person, scope)) => HttpResponse::Ok()
            .insert_header((
                "Cache-Control",
                "no-cache, no-store, max-age=0, must-revalidate",
            ))
            .json(person_claims(&google, person, &scope)),
        // RFC 6750 §3.1: a bad token gets a challenge naming the error.
        None => HttpResponse::Unauthorized()
            .insert_header((
                "WWW-Authenticate",
                format!(
                    "Bearer realm=\"{}\", error=\"invalid_token\"",
                    google.issuer()
                ),
            ))
            .json(json!({
                "error": "invalid_request",
                "error_description": "Invalid Credentials",
            })),
    }
}
