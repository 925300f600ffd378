//! `POST /token`: the code exchange (OpenID Connect Core §3.1.3) and the
//! refresh grant, answered in Google's JSON shapes. Refresh tokens are
//! long-lived and do not rotate, as at Google.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::DemoGoogle;
use crate::oauth2_server::grants::{Authorization, CodeError, Issued};
use crate::oauth2_server::pkce::PkceError;
use crate::oauth2_server::server::TokenForm;
use crate::oauth2_server::{now, transport_fault};

/// Google's token answer.
#[derive(Debug, Serialize)]
struct GoogleToken {
    access_token: String,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    scope: String,
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// Answers a token request.
pub async fn token(
    google: web::Data<DemoGoogle>,
    req: HttpRequest,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let grant_type = form.grant_type.as_deref().unwrap_or("");
    let knobs = &google.server.knobs;
    knobs.count(if grant_type == "refresh_token" {
        "refresh"
    } else {
        "token"
    });
    if let Some(fault) = knobs.take_token_fault() {
        return match transport_fault(fault).await {
            Some(response) => response,
            None => error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Token has been expired or revoked.",
            ),
        };
    }
    if google.server.authenticate_client(&req, &form).is_err() {
        return error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    match grant_type {
        "authorization_code" => exchange_code(&google, &form),
        "refresh_token" => refresh(&google, &form),
        "" => error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: grant_type",
        ),
        other => error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {other}"),
        ),
    }
}

fn exchange_code(google: &DemoGoogle, form: &TokenForm) -> HttpResponse {
    let Some(code) = form.code.as_deref() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: code",
        );
    };
    // Google requires the redirect_uri at the token endpoint, not only at authorization.
    let Some(redirect_uri) = form.redirect_uri.as_deref() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: redirect_uri",
        );
    };
    let now = now();
    let result =
        google
            .server
            .exchange_code(code, Some(redirect_uri), form.code_verifier.as_deref(), now);
    match result {
        Ok((authorization, issued)) => {
            let nonce = authorization.nonce.clone();
            answer(google, &authorization, issued, nonce.as_deref(), now)
        }
        Err(CodeError::RedirectMismatch) => error(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "Bad Request",
        ),
        Err(CodeError::Pkce(PkceError::MissingVerifier)) => error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Missing code verifier.",
        ),
        Err(CodeError::Pkce(_)) => error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid code verifier.",
        ),
        Err(CodeError::Unknown | CodeError::Expired) => error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Malformed auth code.",
        ),
        Err(CodeError::Reused) => error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request"),
    }
}

fn refresh(google: &DemoGoogle, form: &TokenForm) -> HttpResponse {
    let Some(refresh_token) = form.refresh_token.as_deref() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: refresh_token",
        );
    };
    let now = now();
    match google.server.refresh(refresh_token, false, now) {
        Ok((authorization, issued)) => answer(google, &authorization, issued, None, now),
        Err(_) => error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Token has been expired or revoked.",
        ),
    }
}

fn answer(
    google: &DemoGoogle,
    authorization: &Authorization,
    issued: Issued,
    nonce: Option<&str>,
    now: i64,
) -> HttpResponse {
    let id_token = match google.id_token(authorization, &issued.access_token, nonce, now) {
        Ok(id_token) => id_token,
        Err(e) => {
            tracing::error!(error = %e, "demo Google cannot sign an id_token");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_failure",
                "Internal error",
            );
        }
    };
    HttpResponse::Ok()
        .insert_header((
            "Cache-Control",
            "no-cache, no-store, max-age=0, must-revalidate",
        ))
        .insert_header(("Pragma", "no-cache"))
        .json(GoogleToken {
            access_token: issued.access_token,
            expires_in: issued.expires_in,
            refresh_token: issued.refresh_token,
            scope: authorization.scope.clone(),
            token_type: "Bearer",
            id_token,
        })
}

/// Google's token error shape, `{"error", "error_description"}`.
fn error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "error": error, "error_description": description }))
}
