//! Google's dialect of the authorization endpoint, `/o/oauth2/v2/auth`
//! (OpenID Connect Core §3.1.2).
//!
//! A bad `client_id` or `redirect_uri` gets an error page, never a redirect
//! (RFC 6749 §4.1.2.1); every other answer goes to the registered redirect
//! URI with `state` and, per RFC 9207, `iss`. The scope is required and
//! answered with Google's long names; `nonce`, `login_hint`, `prompt` and
//! `access_type=offline` are honoured.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::DemoGoogle;
use super::id_token::{EMAIL_SCOPE, PROFILE_SCOPE};
use crate::oauth2_server::authorize::{
    Ask, AuthorizeQuery, Dialect, ErrorAnswer, Page, Refusal, Wording, check_pkce, consent_page,
};
use crate::oauth2_server::server::AuthorizationServer;
use crate::oauth2_server::server::PendingAuthorization;
use crate::people::{PEOPLE, Person};

impl Dialect for DemoGoogle {
    const WORDING: Wording = Wording {
        unknown_client: Page {
            status: StatusCode::UNAUTHORIZED,
            title: "Error 401: invalid_client",
            text: "The OAuth client was not found.",
        },
        expired: "This sign-in request is unknown, already answered or expired. Go back to the site and sign in again.",
        no_person: "Pick one of the demo accounts. Go back to the site and sign in again.",
        denied: ErrorAnswer::new("access_denied", "The user denied access."),
    };

    const AUTHORIZE_PATH: &'static str = "/o/oauth2/v2/auth";

    fn server(&self) -> &AuthorizationServer {
        &self.server
    }

    fn check(&self, query: &AuthorizeQuery) -> Result<Ask, Refusal> {
        if query.redirect_uri.as_deref() != Some(self.server.redirect_uri().as_str()) {
            return Err(Refusal::Page(Page {
                status: StatusCode::BAD_REQUEST,
                title: "Error 400: redirect_uri_mismatch",
                text: "The redirect URI in the request does not match the ones authorized for the OAuth client.",
            }));
        }
        let back_with =
            |error, description| Refusal::Redirect(ErrorAnswer::new(error, description));
        if query.response_type.as_deref() != Some("code") {
            return Err(back_with(
                "unsupported_response_type",
                "Only response_type=code is supported.",
            ));
        }
        let Some(scope) = query
            .scope
            .as_deref()
            .map(expand_scope)
            .filter(|s| !s.is_empty())
        else {
            return Err(back_with(
                "invalid_request",
                "Missing required parameter: scope",
            ));
        };
        check_pkce(query, None)?;
        // The demo keeps no sign-in session, so it can never answer without asking.
        if query
            .prompt
            .as_deref()
            .is_some_and(|p| p.split(' ').any(|p| p == "none"))
        {
            return Err(back_with(
                "interaction_required",
                "The person must choose an account.",
            ));
        }
        Ok(Ask {
            described: scope.split(' ').filter_map(describe_scope).collect(),
            scope,
            nonce: query.nonce.clone(),
            offline: query.access_type.as_deref() == Some("offline"),
            preselected: query.login_hint.as_deref().and_then(|hint| {
                PEOPLE
                    .iter()
                    .find(|p| p.email == hint || p.google_sub == hint)
            }),
        })
    }

    fn handle(person: &Person) -> &'static str {
        person.email
    }

    fn response_issuer(&self) -> Option<String> {
        Some(self.issuer())
    }

    fn code_params(
        &self,
        pending: &PendingAuthorization,
        code: String,
    ) -> Vec<(&'static str, String)> {
        let mut params = vec![];
        if let Some(state) = &pending.state {
            params.push(("state", state.clone()));
        }
        params.extend([
            ("iss", self.issuer()),
            ("code", code),
            ("scope", pending.scope.clone()),
            ("authuser", "0".to_owned()),
            ("prompt", "consent".to_owned()),
        ]);
        params
    }
}

/// `GET` of the authorization endpoint: a request given in the query, or
/// one pushed before (RFC 9126 §4) that `request_uri` stands for.
pub async fn authorize(
    google: web::Data<DemoGoogle>,
    query: web::Query<AuthorizeQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let query = match &query.request_uri {
        Some(request_uri) => {
            let pushed = google.take_pushed(request_uri, query.client_id.as_deref());
            let Some(query) = pushed.and_then(|params| {
                serde_urlencoded::to_string(params)
                    .ok()
                    .and_then(|q| serde_urlencoded::from_str::<AuthorizeQuery>(&q).ok())
            }) else {
                google.server.knobs.count("authorize");
                return google.server.message_home(
                    StatusCode::BAD_REQUEST,
                    "Error 400: invalid_request",
                    "This sign-in request is unknown, already used or expired. Go back to the site and sign in again.",
                );
            };
            query
        }
        None if google.par_required() => {
            google.server.knobs.count("authorize");
            return google.server.message(
                StatusCode::BAD_REQUEST,
                "Error 400: invalid_request",
                "This client must push its authorization requests (PAR) first.",
            );
        }
        None => query,
    };
    consent_page::<DemoGoogle>(google, web::Query(query)).await
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
