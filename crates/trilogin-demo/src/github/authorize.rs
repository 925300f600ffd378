//! `GET /login/oauth/authorize` (the consent page) and its form's answer.
//! GitHub's web application flow, step 1:
//! <https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#1-request-a-users-github-identity>

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{BRAND, DemoGitHub, STYLE};
use crate::oauth2_server::consent::{ConsentForm, ConsentView, MessageView, PersonChoice};
use crate::oauth2_server::grants::Authorization;
use crate::oauth2_server::{avatar_url, now, pkce, stylesheet_url, with_query};
use crate::people::{self, PEOPLE};

const DENIED_URI: &str = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied";
const MISMATCH_URI: &str = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch";

/// Query of the authorization request.
#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    login: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// An authorization request waiting for the person's answer.
#[derive(Debug, Clone)]
pub struct PendingAuthorization {
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    code_challenge: Option<String>,
}

/// Shows the consent page, or sends the browser back with an error.
pub async fn consent_page(
    github: web::Data<DemoGitHub>,
    query: web::Query<AuthorizeQuery>,
) -> HttpResponse {
    github.knobs.count("authorize");
    let query = query.into_inner();
    if query.client_id.as_deref() != Some(github.client_id()) {
        // GitHub answers an unknown client with a 404 page, never a redirect.
        return message(
            &github,
            StatusCode::NOT_FOUND,
            "Not Found",
            "No application is registered with this client_id.",
        );
    }
    let registered = github.redirect_uri();
    let state = query.state.clone();
    let back_with = |error: &str, description: &str, uri: Option<&str>| {
        let mut params = vec![("error", error), ("error_description", description)];
        if let Some(uri) = uri {
            params.push(("error_uri", uri));
        }
        if let Some(state) = state.as_deref() {
            params.push(("state", state));
        }
        found(&with_query(&registered, &params))
    };
    // A redirect_uri must match the registered callback exactly; GitHub then
    // reports the mismatch to the registered callback, never to the given URI.
    if query
        .redirect_uri
        .as_deref()
        .is_some_and(|uri| uri != registered)
    {
        return back_with(
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL for this application.",
            Some(MISMATCH_URI),
        );
    }
    if let Some(challenge) = &query.code_challenge {
        let method_ok = query.code_challenge_method.as_deref().unwrap_or("S256") == "S256";
        if !method_ok || !pkce::is_valid_challenge(challenge) {
            return back_with(
                "invalid_request",
                "code_challenge must be a BASE64URL-encoded SHA-256 digest with code_challenge_method=S256.",
                None,
            );
        }
    }
    let scopes: Vec<String> = query
        .scope
        .as_deref()
        .unwrap_or("")
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let preselected = query
        .login
        .as_deref()
        .and_then(|login| PEOPLE.iter().find(|p| p.github_login == login))
        .map_or(PEOPLE[0].key, |p| p.key);
    let view_scopes = scopes.iter().map(|s| describe_scope(s)).collect();
    let consent_id = github.consents.insert(
        PendingAuthorization {
            redirect_uri: registered.clone(),
            scopes,
            state: query.state,
            code_challenge: query.code_challenge,
        },
        now(),
    );
    github.pages.consent(&ConsentView {
        brand: BRAND,
        app_name: super::APP_NAME,
        action: format!("{}login/oauth/authorize", github.provider_url()),
        consent_id,
        scopes: view_scopes,
        people: PEOPLE
            .iter()
            .map(|p| PersonChoice {
                key: p.key,
                name: p.name,
                handle: p.github_login,
                avatar_url: avatar_url(&github.config, p.key),
                checked: p.key == preselected,
            })
            .collect(),
        redirect_to: registered,
        stylesheet: stylesheet_url(&github.config),
    })
}

/// Takes the person's answer: a code on Authorize, `access_denied` on Deny.
pub async fn decide(github: web::Data<DemoGitHub>, form: web::Form<ConsentForm>) -> HttpResponse {
    github.knobs.count("consent");
    let Some(pending) = github.consents.take(&form.consent_id, now()) else {
        return message(
            &github,
            StatusCode::BAD_REQUEST,
            "This request has expired",
            "This authorization request is unknown, already answered or expired. Go back to the site and log in again.",
        );
    };
    let state = pending.state.as_deref();
    if form.decision.as_deref() != Some("authorize") {
        let mut params = vec![
            ("error", "access_denied"),
            (
                "error_description",
                "The user has denied your application access.",
            ),
            ("error_uri", DENIED_URI),
        ];
        if let Some(state) = state {
            params.push(("state", state));
        }
        return found(&with_query(&pending.redirect_uri, &params));
    }
    let Some(person) = form.person.as_deref().and_then(people::find) else {
        return message(
            &github,
            StatusCode::BAD_REQUEST,
            "No account chosen",
            "Pick one of the demo accounts. Go back to the site and log in again.",
        );
    };
    let authorization = Authorization {
        person: Some(person.key.to_owned()),
        scope: pending.scopes.join(","),
        nonce: None,
        offline: true,
    };
    let code = github.grants.update(|g| {
        g.issue_code(
            authorization,
            &pending.redirect_uri,
            pending.code_challenge.as_deref(),
            &STYLE,
            now(),
        )
    });
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = state {
        params.push(("state", state));
    }
    found(&with_query(&pending.redirect_uri, &params))
}

fn describe_scope(scope: &str) -> String {
    match scope {
        "read:user" => "Read your profile information".to_owned(),
        "user:email" => "Read your e-mail addresses".to_owned(),
        "user" => "Read and write your profile information".to_owned(),
        "repo" => "Full control of your repositories".to_owned(),
        "public_repo" => "Access your public repositories".to_owned(),
        other => format!("Use the scope “{other}”"),
    }
}

fn found(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

fn message(github: &DemoGitHub, status: StatusCode, title: &str, text: &str) -> HttpResponse {
    github.pages.message(
        &MessageView {
            brand: BRAND,
            title: title.to_owned(),
            message: text.to_owned(),
            link: None,
            link_text: String::new(),
            stylesheet: stylesheet_url(&github.config),
        },
        status,
    )
}
