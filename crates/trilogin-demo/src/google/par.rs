//! `POST /par`: pushed authorization requests (RFC 9126). The client
//! authenticates and pushes its whole authorization request; the answer is
//! a `request_uri`, good once for a minute, that the browser brings to the
//! authorization endpoint in place of the request.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::DemoGoogle;
use crate::knobs::lock;
use crate::oauth2_server::client_auth;
use crate::oauth2_server::{now, random_token};

/// How long a pushed request waits for the browser (RFC 9126 §2.2).
pub const REQUEST_URI_TTL_SECS: i64 = 60;

const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Pushed requests and the PAR knobs.
#[derive(Debug, Default)]
pub struct ParState {
    required: bool,
    refuse_next: bool,
    pushed: HashMap<String, Pushed>,
}

#[derive(Debug)]
struct Pushed {
    params: Vec<(String, String)>,
    expires_at: i64,
}

impl DemoGoogle {
    /// Knob: the authorization endpoint takes pushed requests only, and the
    /// metadata says so (`require_pushed_authorization_requests`).
    pub fn require_par(&self, required: bool) {
        lock(&self.par).required = required;
    }

    /// Knob: the next pushed request is refused with `invalid_request`.
    pub fn refuse_next_push(&self) {
        lock(&self.par).refuse_next = true;
    }

    pub(super) fn par_required(&self) -> bool {
        lock(&self.par).required
    }

    /// Takes the request that `request_uri` stands for, if it was pushed by
    /// `client_id` and is unexpired: each goes once.
    pub(super) fn take_pushed(
        &self,
        request_uri: &str,
        client_id: Option<&str>,
    ) -> Option<Vec<(String, String)>> {
        let pushed = lock(&self.par).pushed.remove(request_uri)?;
        let pushed_by = pushed
            .params
            .iter()
            .find(|(k, _)| k == "client_id")
            .map(|(_, v)| v.as_str());
        (pushed.expires_at > now() && client_id.is_some() && pushed_by == client_id)
            .then_some(pushed.params)
    }
}

/// Answers a pushed authorization request.
pub async fn push(
    google: web::Data<DemoGoogle>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let server = &google.server;
    server.knobs.count("par");
    let Ok(params) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The body is not a form.",
        );
    };
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let authenticated = client_auth::authenticate(
        &req,
        get("client_id"),
        get("client_secret"),
        server.profile.client_id,
        server.profile.client_secret,
    );
    if authenticated.is_err() {
        return error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    let mut state = lock(&google.par);
    if std::mem::take(&mut state.refuse_next) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The pushed authorization request was refused.",
        );
    }
    // RFC 9126 §2.1: a pushed request cannot point at another one.
    if get("request_uri").is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "request_uri cannot be pushed.",
        );
    }
    if get("redirect_uri") != Some(server.redirect_uri().as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri_mismatch",
        );
    }
    let now = now();
    state.pushed.retain(|_, p| p.expires_at > now);
    let request_uri = format!("{REQUEST_URI_PREFIX}{}", random_token("", 32));
    let params = params
        .into_iter()
        .filter(|(k, _)| k != "client_secret")
        .collect();
    state.pushed.insert(
        request_uri.clone(),
        Pushed {
            params,
            expires_at: now + REQUEST_URI_TTL_SECS,
        },
    );
    HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "request_uri": request_uri, "expires_in": REQUEST_URI_TTL_SECS }))
}

fn error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "error": error, "error_description": description }))
}
