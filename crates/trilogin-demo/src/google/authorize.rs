//! `/o/oauth2/v2/auth`: the authorization endpoint (OpenID Connect Core
//! §3.1.2) with its consent page, and the page's answer.
//!
//! A bad `client_id` or `redirect_uri` gets an error page, never a redirect
//! (RFC 6749 §4.1.2.1); every other answer goes to the registered redirect
//! URI with `state` and, per RFC 9207, `iss`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::id_token::{EMAIL_SCOPE, PROFILE_SCOPE};
use super::{BRAND, DemoGoogle, STYLE};
use crate::oauth2_server::consent::{ConsentForm, ConsentView, MessageView, PersonChoice};
use crate::oauth2_server::grants::Authorization;
use crate::oauth2_server::{avatar_url, now, pkce, stylesheet_url, with_query};
use crate::people::{self, PEOPLE};

/// Query of the authorization request.
#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    prompt: Option<String>,
    login_hint: Option<String>,
    access_type: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// An authorization request waiting for the person's answer.
#[derive(Debug, Clone)]
pub struct PendingAuthorization {
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    offline: bool,
    code_challenge: Option<String>,
}

/// Shows the consent page, an error page, or sends the browser back with an error.
pub async fn consent_page(
    google: web::Data<DemoGoogle>,
    query: web::Query<AuthorizeQuery>,
) -> HttpResponse {
    google.knobs.count("authorize");
    let query = query.into_inner();
    if query.client_id.as_deref() != Some(google.client_id()) {
        return message(
            &google,
            StatusCode::UNAUTHORIZED,
            "Error 401: invalid_client",
            "The OAuth client was not found.",
        );
    }
    let registered = google.redirect_uri();
    if query.redirect_uri.as_deref() != Some(registered.as_str()) {
        return message(
            &google,
            StatusCode::BAD_REQUEST,
            "Error 400: redirect_uri_mismatch",
            "The redirect URI in the request does not match the ones authorized for the OAuth client.",
        );
    }
    let back_with = |error: &str, description: &str| {
        error_redirect(
            &google,
            &registered,
            query.state.as_deref(),
            error,
            description,
        )
    };
    if query.response_type.as_deref() != Some("code") {
        return back_with(
            "unsupported_response_type",
            "Only response_type=code is supported.",
        );
    }
    let Some(scope) = query
        .scope
        .as_deref()
        .map(expand_scope)
        .filter(|s| !s.is_empty())
    else {
        return back_with("invalid_request", "Missing required parameter: scope");
    };
    if let Some(challenge) = &query.code_challenge {
        let method_ok = query.code_challenge_method.as_deref() == Some("S256");
        if !method_ok || !pkce::is_valid_challenge(challenge) {
            return back_with(
                "invalid_request",
                "code_challenge must be a BASE64URL-encoded SHA-256 digest with code_challenge_method=S256.",
            );
        }
    }
    // The demo keeps no sign-in session, so it can never answer without asking.
    if query
        .prompt
        .as_deref()
        .is_some_and(|p| p.split(' ').any(|p| p == "none"))
    {
        return back_with("interaction_required", "The person must choose an account.");
    }
    let preselected = query
        .login_hint
        .as_deref()
        .and_then(|hint| {
            PEOPLE
                .iter()
                .find(|p| p.email == hint || p.google_sub == hint)
        })
        .map_or(PEOPLE[0].key, |p| p.key);
    let view_scopes = scope.split(' ').filter_map(describe_scope).collect();
    let consent_id = google.consents.insert(
        PendingAuthorization {
            redirect_uri: registered.clone(),
            scope,
            state: query.state,
            nonce: query.nonce,
            offline: query.access_type.as_deref() == Some("offline"),
            code_challenge: query.code_challenge,
        },
        now(),
    );
    google.pages.consent(&ConsentView {
        brand: BRAND,
        app_name: super::APP_NAME,
        action: google.endpoint("/o/oauth2/v2/auth"),
        consent_id,
        scopes: view_scopes,
        people: PEOPLE
            .iter()
            .map(|p| PersonChoice {
                key: p.key,
                name: p.name,
                handle: p.email,
                avatar_url: avatar_url(&google.config, p.key),
                checked: p.key == preselected,
            })
            .collect(),
        redirect_to: registered,
        stylesheet: stylesheet_url(&google.config),
    })
}

/// Takes the person's answer: a code on Authorize, `access_denied` on Deny.
pub async fn decide(google: web::Data<DemoGoogle>, form: web::Form<ConsentForm>) -> HttpResponse {
    google.knobs.count("consent");
    let Some(pending) = google.consents.take(&form.consent_id, now()) else {
        return message(
            &google,
            StatusCode::BAD_REQUEST,
            "This request has expired",
            "This sign-in request is unknown, already answered or expired. Go back to the site and sign in again.",
        );
    };
    if form.decision.as_deref() != Some("authorize") {
        return error_redirect(
            &google,
            &pending.redirect_uri,
            pending.state.as_deref(),
            "access_denied",
            "The user denied access.",
        );
    }
    let Some(person) = form.person.as_deref().and_then(people::find) else {
        return message(
            &google,
            StatusCode::BAD_REQUEST,
            "No account chosen",
            "Pick one of the demo accounts. Go back to the site and sign in again.",
        );
    };
    let authorization = Authorization {
        person: Some(person.key.to_owned()),
        scope: pending.scope.clone(),
        nonce: pending.nonce.clone(),
        offline: pending.offline,
    };
    let code = google.grants.update(|g| {
        g.issue_code(
            authorization,
            &pending.redirect_uri,
            pending.code_challenge.as_deref(),
            &STYLE,
            now(),
        )
    });
    let issuer = google.issuer();
    let mut params = vec![];
    if let Some(state) = pending.state.as_deref() {
        params.push(("state", state));
    }
    params.extend([
        ("iss", issuer.as_str()),
        ("code", code.as_str()),
        ("scope", pending.scope.as_str()),
        ("authuser", "0"),
        ("prompt", "consent"),
    ]);
    found(&with_query(&pending.redirect_uri, &params))
}

/// Google answers with the long names of the `email` and `profile` scopes.
fn expand_scope(scope: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        let long = match s {
            "email" => EMAIL_SCOPE,
            "profile" => PROFILE_SCOPE,
            other => other,
        };
        if !out.contains(&long) {
            out.push(long);
        }
    }
    out.join(" ")
}

fn describe_scope(scope: &str) -> Option<String> {
    match scope {
        "openid" => None,
        EMAIL_SCOPE => Some("See your primary e-mail address".to_owned()),
        PROFILE_SCOPE => Some("See your personal info, including your name and picture".to_owned()),
        other => Some(format!("Use the scope “{other}”")),
    }
}

fn error_redirect(
    google: &DemoGoogle,
    redirect_uri: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> HttpResponse {
    let issuer = google.issuer();
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    params.push(("iss", issuer.as_str()));
    found(&with_query(redirect_uri, &params))
}

fn found(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

fn message(google: &DemoGoogle, status: StatusCode, title: &str, text: &str) -> HttpResponse {
    google.pages.message(
        &MessageView {
            brand: BRAND,
            title: title.to_owned(),
            message: text.to_owned(),
            link: None,
            link_text: String::new(),
            stylesheet: stylesheet_url(&google.config),
        },
        status,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_scopes_are_answered_with_googles_long_names() {
        assert_eq!(
            expand_scope("openid email  profile email"),
            format!("openid {EMAIL_SCOPE} {PROFILE_SCOPE}")
        );
    }
}
