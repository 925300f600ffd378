//! `POST /token`: the code exchange (OpenID Connect Core §3.1.3) and the
//! refresh grant, answered in Google's JSON shapes. Refresh tokens are
//! long-lived and do not rotate, as at Google.
//!
//! With a DPoP proof (RFC 9449 §5), the tokens are bound to its key: a code
//! whose request named a key (`dpop_jkt`) needs a proof by that key, and a
//! bound refresh token needs one by its own.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::DemoGoogle;
use super::dpop::{self, ProofTarget};
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
    let url = google.server.endpoint("/token");
    let target = ProofTarget {
        endpoint: if grant_type == "refresh_token" {
            "refresh"
        } else {
            "token"
        },
        method: "POST",
        url: &url,
        access_token: None,
    };
    let proved = match google.check_proof(&req, target) {
        Ok(proved) => proved,
        Err(refused) => return dpop::token_error(&google, &refused),
    };
    if proved.is_none() && google.dpop_required() {
        return dpop::token_error(
            &google,
            &dpop::ProofError::Invalid("A DPoP proof is required.".into()),
        );
    }
    let proved = proved.as_deref();
    match grant_type {
        "authorization_code" => exchange_code(&google, &form, proved),
        "refresh_token" => refresh(&google, &form, proved),
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

fn exchange_code(google: &DemoGoogle, form: &TokenForm, proved: Option<&str>) -> HttpResponse {
    let Some(code) = form.code.as_deref() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: code",
        );
    };
    let bound = google.server.grants.read(|g| g.code_authorization(code));
    if let Some(refusal) = unproved(bound, proved, "code") {
        return refusal;
    }
    // Google requires the redirect_uri at the token endpoint, not only at authorization.
    let Some(redirect_uri) = form.redirect_uri.as_deref() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: redirect_uri",
        );
    };
    let now = now();
    let verifier = form.code_verifier.as_deref();
    let result = google
        .server
        .exchange_code_bound(code, Some(redirect_uri), verifier, proved, now);
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

fn refresh(google: &DemoGoogle, form: &TokenForm, proved: Option<&str>) -> HttpResponse {
    let Some(refresh_token) = form.refresh_token.as_deref() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: refresh_token",
        );
    };
    let bound = google
        .server
        .grants
        .read(|g| g.refresh_authorization(refresh_token));
    if let Some(refusal) = unproved(bound, proved, "refresh token") {
        return refusal;
    }
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

/// The refusal of a grant (`what`) bound to a DPoP key that the request
/// did not prove (RFC 9449 §5, §10).
fn unproved(
    bound: Option<Authorization>,
    proved: Option<&str>,
    what: &str,
) -> Option<HttpResponse> {
    let bound = bound.and_then(|a| a.dpop_jkt)?;
    (Some(bound.as_str()) != proved).then(|| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_dpop_proof",
            &format!("The {what} is bound to another DPoP key."),
        )
    })
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
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((
            "Cache-Control",
            "no-cache, no-store, max-age=0, must-revalidate",
        ))
        .insert_header(("Pragma", "no-cache"));
    if let Some(nonce) = google.nonce_header() {
        answer.insert_header(nonce);
    }
    answer.json(GoogleToken {
        access_token: issued.access_token,
        expires_in: issued.expires_in,
        refresh_token: issued.refresh_token,
        scope: authorization.scope.clone(),
        token_type: if authorization.dpop_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        },
        id_token,
    })
}

/// Google's token error shape, `{"error", "error_description"}`.
fn error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "error": error, "error_description": description }))
}
