//! GitHub's dialect of the authorization endpoint,
//! `/login/oauth/authorize`: the web application flow, step 1.
//! <https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#1-request-a-users-github-identity>
//!
//! An unknown client gets a 404 page; a `redirect_uri` other than the
//! registered one is reported to the registered one; scopes may be space
//! or comma separated and are granted comma separated; a PKCE challenge
//! without a method is taken for S256.

use actix_web::http::StatusCode;

use super::DemoGitHub;
use crate::oauth2_server::authorize::{
    Ask, AuthorizeQuery, Dialect, ErrorAnswer, Page, Refusal, Wording, check_pkce,
};
use crate::oauth2_server::server::AuthorizationServer;
use crate::oauth2_server::server::PendingAuthorization;
use crate::people::{PEOPLE, Person};

const DENIED_URI: &str = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied";
const MISMATCH_URI: &str = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch";

impl Dialect for DemoGitHub {
    const WORDING: Wording = Wording {
        // GitHub answers an unknown client with a 404 page, never a redirect.
        unknown_client: Page {
            status: StatusCode::NOT_FOUND,
            title: "Not Found",
            text: "No application is registered with this client_id.",
        },
        expired: "This authorization request is unknown, already answered or expired. Go back to the site and log in again.",
        no_person: "Pick one of the demo accounts. Go back to the site and log in again.",
        denied: ErrorAnswer {
            error: "access_denied",
            description: "The user has denied your application access.",
            uri: Some(DENIED_URI),
        },
    };

    const AUTHORIZE_PATH: &'static str = "/login/oauth/authorize";

    fn server(&self) -> &AuthorizationServer {
        &self.server
    }

    fn check(&self, query: &AuthorizeQuery) -> Result<Ask, Refusal> {
        // A redirect_uri must match the registered callback exactly; GitHub then
        // reports the mismatch to the registered callback, never to the given URI.
        let registered = self.server.redirect_uri();
        if query
            .redirect_uri
            .as_deref()
            .is_some_and(|uri| uri != registered)
        {
            return Err(Refusal::Redirect(ErrorAnswer {
                error: "redirect_uri_mismatch",
                description: "The redirect_uri MUST match the registered callback URL for this application.",
                uri: Some(MISMATCH_URI),
            }));
        }
        check_pkce(query, Some("S256"))?;
        let scopes: Vec<&str> = query
            .scope
            .as_deref()
            .unwrap_or("")
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .collect();
        Ok(Ask {
            scope: scopes.join(","),
            described: scopes.iter().map(|s| describe_scope(s)).collect(),
            nonce: None,
            offline: true,
            preselected: query
                .login
                .as_deref()
                .and_then(|login| PEOPLE.iter().find(|p| p.github_login == login)),
        })
    }

    fn handle(person: &Person) -> &'static str {
        person.github_login
    }

    fn response_issuer(&self) -> Option<String> {
        None
    }

    fn code_params(
        &self,
        pending: &PendingAuthorization,
        code: String,
    ) -> Vec<(&'static str, String)> {
        let mut params = vec![("code", code)];
        if let Some(state) = &pending.state {
            params.push(("state", state.clone()));
        }
        params
    }
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
