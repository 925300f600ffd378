//! `POST /login/oauth/access_token`: GitHub's code exchange and refresh,
//! with GitHub's quirks (HTTP 200 errors, form-encoded answers unless JSON is
//! asked for, comma-separated scopes), plus the plain RFC 6749 `password` and
//! `client_credentials` grants.
//! <https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens>

use actix_web::http::StatusCode;
use actix_web::http::header::ACCEPT;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use subtle::ConstantTimeEq;

use super::{DEMO_PASSWORD, DemoGitHub};
use crate::oauth2_server::client_auth::ClientAuthError;
use crate::oauth2_server::grants::{Authorization, CodeError, Issued};
use crate::oauth2_server::server::TokenForm;
use crate::oauth2_server::{now, transport_fault};
use crate::people::PEOPLE;

const TROUBLESHOOTING: &str = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/";

/// GitHub's token answer.
#[derive(Debug, Serialize)]
struct GitHubToken {
    access_token: String,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<i64>,
    scope: String,
    token_type: &'static str,
}

/// GitHub's token error, sent with HTTP 200.
#[derive(Debug, Serialize)]
struct GitHubError {
    error: &'static str,
    error_description: &'static str,
    error_uri: String,
}

/// The plain RFC 6749 §5.1 answer of the `password` and `client_credentials` grants.
#[derive(Debug, Serialize)]
struct StandardToken {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    scope: String,
}

/// Answers a token request.
pub async fn token(
    github: web::Data<DemoGitHub>,
    req: HttpRequest,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let grant_type = form
        .grant_type
        .clone()
        .unwrap_or_else(|| "authorization_code".to_owned());
    let is_refresh = grant_type == "refresh_token";
    let knobs = &github.server.knobs;
    knobs.count(if is_refresh { "refresh" } else { "token" });
    let json = wants_json(&req);
    let standard = matches!(grant_type.as_str(), "password" | "client_credentials");

    if let Some(fault) = knobs.take_token_fault() {
        if let Some(response) = transport_fault(fault).await {
            return response;
        }
        return if standard {
            standard_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "The grant was revoked.",
            )
        } else if is_refresh {
            github_error(
                json,
                "bad_refresh_token",
                "The refresh token passed is incorrect or expired.",
            )
        } else {
            github_error(
                json,
                "bad_verification_code",
                "The code passed is incorrect or expired.",
            )
        };
    }

    if let Err(e) = github.server.authenticate_client(&req, &form) {
        return if standard {
            invalid_client(e)
        } else {
            github_error(
                json,
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
            )
        };
    }

    match grant_type.as_str() {
        "authorization_code" => exchange_code(&github, &form, json),
        "refresh_token" => refresh(&github, &form, json),
        "password" => password(&github, &form),
        "client_credentials" => client_credentials(&github, &form),
        _ => github_error(
            json,
            "unsupported_grant_type",
            "The grant type is not supported.",
        ),
    }
}

fn exchange_code(github: &DemoGitHub, form: &TokenForm, json: bool) -> HttpResponse {
    const BAD_CODE: &str = "The code passed is incorrect or expired.";
    let Some(code) = form.code.as_deref() else {
        return github_error(json, "bad_verification_code", BAD_CODE);
    };
    let result = github.server.exchange_code(
        code,
        form.redirect_uri.as_deref(),
        form.code_verifier.as_deref(),
        now(),
    );
    match result {
        Ok((authorization, issued)) => github_token(json, &authorization, issued),
        Err(CodeError::RedirectMismatch) => github_error(
            json,
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL for this application.",
        ),
        Err(CodeError::Pkce(_)) => github_error(
            json,
            "bad_verification_code",
            "The code_verifier does not match the code_challenge supplied in the authorization request.",
        ),
        Err(CodeError::Unknown | CodeError::Expired | CodeError::Reused) => {
            github_error(json, "bad_verification_code", BAD_CODE)
        }
    }
}

fn refresh(github: &DemoGitHub, form: &TokenForm, json: bool) -> HttpResponse {
    const BAD_REFRESH: &str = "The refresh token passed is incorrect or expired.";
    let Some(refresh_token) = form.refresh_token.as_deref() else {
        return github_error(json, "bad_refresh_token", BAD_REFRESH);
    };
    match github.server.refresh(refresh_token, true, now()) {
        Ok((authorization, issued)) => github_token(json, &authorization, issued),
        Err(_) => github_error(json, "bad_refresh_token", BAD_REFRESH),
    }
}

/// RFC 6749 §4.3: the resource owner's password, for trusted first-party
/// clients. Not a GitHub feature; it serves the plain OAuth 2 client script
/// of `docs/DEMO.md`.
fn password(github: &DemoGitHub, form: &TokenForm) -> HttpResponse {
    let username = form.username.as_deref().unwrap_or("");
    let password = form.password.as_deref().unwrap_or("");
    let person = PEOPLE
        .iter()
        .find(|p| p.github_login == username || p.key == username);
    let password_ok: bool = password.as_bytes().ct_eq(DEMO_PASSWORD.as_bytes()).into();
    let Some(person) = person.filter(|_| password_ok) else {
        return standard_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid credentials given.",
        );
    };
    let authorization = Authorization {
        person: Some(person.key.to_owned()),
        scope: form.scope.clone().unwrap_or_else(|| "read".to_owned()),
        nonce: None,
        offline: true,
        dpop_jkt: None,
    };
    standard_token(github, &authorization)
}

/// RFC 6749 §4.4: the client acting for itself; no refresh token (§4.4.3).
fn client_credentials(github: &DemoGitHub, form: &TokenForm) -> HttpResponse {
    let authorization = Authorization {
        person: None,
        scope: form.scope.clone().unwrap_or_else(|| "read".to_owned()),
        nonce: None,
        offline: false,
        dpop_jkt: None,
    };
    standard_token(github, &authorization)
}

fn standard_token(github: &DemoGitHub, authorization: &Authorization) -> HttpResponse {
    let issued = github.server.issue_tokens(authorization, now());
    no_store(HttpResponse::Ok()).json(StandardToken {
        access_token: issued.access_token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        refresh_token: issued.refresh_token,
        scope: authorization.scope.clone(),
    })
}

fn github_token(json: bool, authorization: &Authorization, issued: Issued) -> HttpResponse {
    let has_refresh = issued.refresh_token.is_some();
    let body = GitHubToken {
        access_token: issued.access_token,
        expires_in: issued.expires_in,
        refresh_token: issued.refresh_token,
        refresh_token_expires_in: has_refresh.then_some(issued.refresh_token_expires_in),
        scope: authorization.scope.clone(),
        token_type: "bearer",
    };
    encoded(json, &body)
}

/// GitHub reports token errors with status 200, in the asked-for format.
fn github_error(json: bool, error: &'static str, description: &'static str) -> HttpResponse {
    let body = GitHubError {
        error,
        error_description: description,
        error_uri: format!("{TROUBLESHOOTING}#{}", error.replace('_', "-")),
    };
    encoded(json, &body)
}

fn encoded(json: bool, body: &impl Serialize) -> HttpResponse {
    if json {
        return no_store(HttpResponse::Ok()).json(body);
    }
    match serde_urlencoded::to_string(body) {
        Ok(text) => no_store(HttpResponse::Ok())
            .content_type("application/x-www-form-urlencoded; charset=utf-8")
            .body(text),
        Err(e) => {
            tracing::error!(error = %e, "cannot form-encode a token answer");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// RFC 6749 §5.2 error.
fn standard_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    no_store(HttpResponse::build(status)).json(serde_json::json!({
        "error": error,
        "error_description": description,
    }))
}

/// RFC 6749 §5.2: `invalid_client` is a 401 with a challenge for the scheme
/// the client tried (Basic).
fn invalid_client(error: ClientAuthError) -> HttpResponse {
    let description = match error {
        ClientAuthError::Missing => "Client authentication is required.",
        ClientAuthError::MultipleMethods => "Use one client authentication method, not two.",
        ClientAuthError::Malformed => "The Authorization header is malformed.",
        ClientAuthError::Invalid => "Unknown client or wrong client secret.",
    };
    no_store(HttpResponse::Unauthorized())
        .insert_header(("WWW-Authenticate", "Basic realm=\"demo-github\""))
        .json(serde_json::json!({
            "error": "invalid_client",
            "error_description": description,
        }))
}

fn no_store(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Pragma", "no-cache"));
    builder
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/json"))
}
