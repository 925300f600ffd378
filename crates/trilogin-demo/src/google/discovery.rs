//! OpenID Connect Discovery 1.0 §4 metadata and the JWKS it points to.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::DemoGoogle;

/// `GET /.well-known/openid-configuration`.
pub async fn openid_configuration(google: web::Data<DemoGoogle>) -> HttpResponse {
    google.server.knobs.count("discovery");
    let body = json!({
        "issuer": google.issuer(),
        "authorization_endpoint": google.server.endpoint("/o/oauth2/v2/auth"),
        "token_endpoint": google.server.endpoint("/token"),
        "userinfo_endpoint": google.server.endpoint("/userinfo"),
        "revocation_endpoint": google.server.endpoint("/revoke"),
        "end_session_endpoint": google.server.endpoint("/logout"),
        "jwks_uri": google.server.endpoint("/oauth2/v3/certs"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": [
            "aud", "email", "email_verified", "exp", "family_name", "given_name",
            "iat", "iss", "name", "picture", "sub", "nonce", "at_hash", "azp"
        ],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "consent", "select_account"],
        // RFC 9207: the authorization response carries `iss`; clients check it.
        "authorization_response_iss_parameter_supported": true,
        // RFC 9126 §5 and RFC 9449 §5.1: pushed requests and DPoP.
        "pushed_authorization_request_endpoint": google.server.endpoint("/par"),
        "require_pushed_authorization_requests": google.par_required(),
        "dpop_signing_alg_values_supported": super::dpop::ALGS,
    });
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(body)
}

/// `GET /oauth2/v3/certs`: the published signing keys.
pub async fn jwks(google: web::Data<DemoGoogle>) -> HttpResponse {
    google.server.knobs.count("jwks");
    HttpResponse::Ok()
        // Short, so a rotation shows up soon even for clients that cache.
        .insert_header(("Cache-Control", "public, max-age=300, must-revalidate"))
        .json(google.keys.jwks())
}
