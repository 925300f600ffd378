//! `POST /revoke` (RFC 7009): revoking an access or refresh token ends the
//! whole grant, as at Google.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::DemoGoogle;

/// The token to revoke, from the form body or the query (Google takes both).
#[derive(Debug, Deserialize)]
pub struct RevokeParams {
    token: Option<String>,
}

/// Revokes the grant of a token.
pub async fn revoke(
    google: web::Data<DemoGoogle>,
    query: web::Query<RevokeParams>,
    body: web::Bytes,
) -> HttpResponse {
    google.server.knobs.count("revoke");
    let from_body = serde_urlencoded::from_bytes::<RevokeParams>(&body)
        .ok()
        .and_then(|p| p.token);
    let Some(token) = from_body.or_else(|| query.into_inner().token) else {
        return HttpResponse::BadRequest().json(json!({
            "error": "invalid_request",
            "error_description": "Missing required parameter: token",
        }));
    };
    if google.server.grants.update(|g| g.revoke_grant_of(&token)) {
        HttpResponse::Ok().json(json!({}))
    } else {
        HttpResponse::BadRequest().json(json!({
            "error": "invalid_token",
            "error_description": "Token expired or revoked",
        }))
    }
}
