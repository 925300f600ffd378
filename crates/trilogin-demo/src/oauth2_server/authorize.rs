//! The authorization endpoint of demo GitHub and demo Google
//! ([RFC 6749 §4.1.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1)):
//! the consent page, and the decision its form posts back.
//!
//! The flow is one: the demo client's id is checked, the provider checks
//! the rest of the request, the page asks the person, and the answer goes
//! back to the registered redirect URI with a code or an error. What tells
//! the providers apart is their [`Dialect`]: which requests they refuse and
//! how, what their pages say, and what the redirect back carries.

use actix_web::http::StatusCode;
use std::sync::Arc;

use actix_web::{HttpResponse, Scope, middleware, web};
use serde::Deserialize;

use super::consent::{ConsentForm, ConsentView, PersonChoice};
use super::grants::Authorization;
use super::server::{AuthorizationServer, PendingAuthorization};
use super::{avatar_url, delayed, now, pkce, stylesheet_url, with_query};
use crate::people::{self, PEOPLE, Person};

/// The name the demo client shows on the consent pages.
pub const APP_NAME: &str = "trilogin";

/// The query of an authorization request: RFC 6749's fields, PKCE's
/// (RFC 7636 §4.3), and the extensions one demo or the other reads
/// (GitHub's `login`; OpenID Connect's `nonce`, `prompt` and `login_hint`;
/// Google's `access_type`). A provider ignores what it does not know.
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizeQuery {
    /// The client id.
    pub client_id: Option<String>,
    /// Where the answer should go.
    pub redirect_uri: Option<String>,
    /// `code`, the one response type served.
    pub response_type: Option<String>,
    /// The scopes asked for.
    pub scope: Option<String>,
    /// The client's `state`, sent back untouched.
    pub state: Option<String>,
    /// The PKCE challenge.
    pub code_challenge: Option<String>,
    /// The PKCE challenge method.
    pub code_challenge_method: Option<String>,
    /// OpenID Connect `nonce`, for the id_token.
    pub nonce: Option<String>,
    /// OpenID Connect `prompt`.
    pub prompt: Option<String>,
    /// OpenID Connect `login_hint`: an e-mail address or subject.
    pub login_hint: Option<String>,
    /// Google's `access_type`: `offline` asks for a refresh token.
    pub access_type: Option<String>,
    /// GitHub's `login`: the account to suggest.
    pub login: Option<String>,
    /// RFC 9449 §10: the thumbprint of the DPoP key the code is bound to.
    pub dpop_jkt: Option<String>,
    /// RFC 9126 §4: the reference to a pushed request.
    pub request_uri: Option<String>,
}

/// What the consent page asks the person to grant, from a request the
/// provider accepted.
#[derive(Debug, Clone)]
pub struct Ask {
    /// The scope the code will carry, as the provider writes it.
    pub scope: String,
    /// The scopes in words, for the page.
    pub described: Vec<String>,
    /// OpenID Connect `nonce`.
    pub nonce: Option<String>,
    /// Whether the tokens come with a refresh token.
    pub offline: bool,
    /// The person whose choice starts selected; the first one when `None`.
    pub preselected: Option<&'static Person>,
}

/// A page with a title and a sentence, and the status it is sent with.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// The HTTP status.
    pub status: StatusCode,
    /// Title and heading.
    pub title: &'static str,
    /// The sentence.
    pub text: &'static str,
}

/// An error for the redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, Copy)]
pub struct ErrorAnswer {
    /// `error`.
    pub error: &'static str,
    /// `error_description`.
    pub description: &'static str,
    /// `error_uri`, where the provider sends one.
    pub uri: Option<&'static str>,
}

impl ErrorAnswer {
    /// An error without an `error_uri`.
    pub const fn new(error: &'static str, description: &'static str) -> Self {
        Self {
            error,
            description,
            uri: None,
        }
    }
}

/// How a provider refuses an authorization request.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// An error page and no redirect: where the redirect URI cannot be
    /// trusted with an answer (RFC 6749 §4.1.2.1).
    Page(Page),
    /// Back to the registered redirect URI with an error.
    Redirect(ErrorAnswer),
}

/// What the pages say where the providers word it differently.
#[derive(Debug, Clone, Copy)]
pub struct Wording {
    /// The page for a client id that is not the demo app's.
    pub unknown_client: Page,
    /// The sentence for a consent that is unknown, answered or expired.
    pub expired: &'static str,
    /// The sentence for a form sent without a person chosen.
    pub no_person: &'static str,
    /// The answer to Deny.
    pub denied: ErrorAnswer,
}

/// One demo provider's side of the flow.
pub trait Dialect: Send + Sync + 'static {
    /// What the provider's pages say.
    const WORDING: Wording;

    /// The authorization endpoint's path under the provider, e.g. `/o/oauth2/v2/auth`.
    const AUTHORIZE_PATH: &'static str;

    /// The provider's shared state.
    fn server(&self) -> &AuthorizationServer;

    /// Checks a request from the demo client (its client id is checked
    /// already): what to ask the person, or how to refuse.
    fn check(&self, query: &AuthorizeQuery) -> Result<Ask, Refusal>;

    /// The login or address shown under a person's name.
    fn handle(person: &Person) -> &'static str;

    /// The `iss` every answer carries (RFC 9207), where the provider sends it.
    fn response_issuer(&self) -> Option<String>;

    /// The query of the redirect that brings the client its code.
    fn code_params(
        &self,
        pending: &PendingAuthorization,
        code: String,
    ) -> Vec<(&'static str, String)>;
}

/// The PKCE check of an authorization request: a challenge must be S256
/// (RFC 7636 §4.2). `absent_method` is what the provider takes a missing
/// `code_challenge_method` for.
pub fn check_pkce(query: &AuthorizeQuery, absent_method: Option<&str>) -> Result<(), Refusal> {
    let Some(challenge) = &query.code_challenge else {
        return Ok(());
    };
    let method = query.code_challenge_method.as_deref().or(absent_method);
    if method == Some("S256") && pkce::is_valid_challenge(challenge) {
        Ok(())
    } else {
        Err(Refusal::Redirect(ErrorAnswer::new(
            "invalid_request",
            "code_challenge must be a BASE64URL-encoded SHA-256 digest with code_challenge_method=S256.",
        )))
    }
}

/// `GET` of the authorization endpoint: the consent page, an error page, or
/// the browser sent back with an error.
pub async fn consent_page<P: Dialect>(
    provider: web::Data<P>,
    query: web::Query<AuthorizeQuery>,
) -> HttpResponse {
    let provider = provider.get_ref();
    let server = provider.server();
    server.knobs.count("authorize");
    let query = query.into_inner();
    if query.client_id.as_deref() != Some(server.profile.client_id) {
        return page(server, P::WORDING.unknown_client);
    }
    let registered = server.redirect_uri();
    let ask = match provider.check(&query) {
        Ok(ask) => ask,
        Err(Refusal::Page(refusal)) => return page(server, refusal),
        Err(Refusal::Redirect(answer)) => {
            return error_redirect(provider, &registered, query.state.as_deref(), answer);
        }
    };
    let preselected = ask.preselected.map_or(PEOPLE[0].key, |p| p.key);
    let consent_id = server.consents.insert(
        PendingAuthorization {
            redirect_uri: registered.clone(),
            state: query.state,
            code_challenge: query.code_challenge,
            scope: ask.scope,
            nonce: ask.nonce,
            offline: ask.offline,
            dpop_jkt: query.dpop_jkt,
        },
        now(),
    );
    server.pages.consent(&ConsentView {
        brand: server.profile.brand,
        app_name: APP_NAME,
        action: server.endpoint(P::AUTHORIZE_PATH),
        consent_id,
        scopes: ask.described,
        people: PEOPLE
            .iter()
            .map(|p| PersonChoice {
                key: p.key,
                name: p.name,
                handle: P::handle(p),
                avatar_url: avatar_url(&server.config, p.key),
                checked: p.key == preselected,
            })
            .collect(),
        redirect_to: registered,
        stylesheet: stylesheet_url(&server.config),
    })
}

/// `POST` of the authorization endpoint: a code on Authorize,
/// `access_denied` on Deny. The same answer sent again within a few seconds
/// (a double-click) gets the same redirect, with the same code.
pub async fn decide<P: Dialect>(
    provider: web::Data<P>,
    form: web::Form<ConsentForm>,
) -> HttpResponse {
    let provider = provider.get_ref();
    let server = provider.server();
    server.knobs.count("consent");
    let wording = P::WORDING;
    let authorize = form.decision.as_deref() == Some("authorize");
    let decision = if authorize {
        format!("authorize:{}", form.person.as_deref().unwrap_or_default())
    } else {
        "deny".to_owned()
    };
    let answered = server
        .consents
        .answer(&form.consent_id, decision, now(), |pending| {
            if !authorize {
                return Ok(error_location(
                    provider,
                    &pending.redirect_uri,
                    pending.state.as_deref(),
                    wording.denied,
                ));
            }
            let person = form
                .person
                .as_deref()
                .and_then(people::find)
                .ok_or(NoPerson)?;
            Ok(code_location(provider, &pending, person))
        });
    match answered {
        Some(Ok(location)) => found(&location),
        Some(Err(NoPerson)) => server.message(
            StatusCode::BAD_REQUEST,
            "No account chosen",
            wording.no_person,
        ),
        None => server.message_home(
            StatusCode::BAD_REQUEST,
            "This request has expired",
            wording.expired,
        ),
    }
}

/// A consent form sent with Authorize but no known person.
struct NoPerson;

/// Issues a code for `person` and names the redirect that carries it.
fn code_location<P: Dialect>(
    provider: &P,
    pending: &PendingAuthorization,
    person: &Person,
) -> String {
    let server = provider.server();
    let authorization = Authorization {
        person: Some(person.key.to_owned()),
        scope: pending.scope.clone(),
        nonce: pending.nonce.clone(),
        offline: pending.offline,
        dpop_jkt: pending.dpop_jkt.clone(),
    };
    let code = server.grants.update(|g| {
        g.issue_code(
            authorization,
            &pending.redirect_uri,
            pending.code_challenge.as_deref(),
            &server.profile.style,
            now(),
        )
    });
    with_query(&pending.redirect_uri, &provider.code_params(pending, code))
}

/// Back to `redirect_uri` with an error, the `state` and, where the
/// provider sends it, `iss`.
fn error_redirect<P: Dialect>(
    provider: &P,
    redirect_uri: &str,
    state: Option<&str>,
    answer: ErrorAnswer,
) -> HttpResponse {
    found(&error_location(provider, redirect_uri, state, answer))
}

fn error_location<P: Dialect>(
    provider: &P,
    redirect_uri: &str,
    state: Option<&str>,
    answer: ErrorAnswer,
) -> String {
    let issuer = provider.response_issuer();
    let mut params = vec![
        ("error", answer.error),
        ("error_description", answer.description),
    ];
    if let Some(uri) = answer.uri {
        params.push(("error_uri", uri));
    }
    if let Some(state) = state {
        params.push(("state", state));
    }
    if let Some(issuer) = issuer.as_deref() {
        params.push(("iss", issuer));
    }
    with_query(redirect_uri, &params)
}

fn page(server: &AuthorizationServer, page: Page) -> HttpResponse {
    server.message(page.status, page.title, page.text)
}

fn found(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// Mounts a provider's `routes` under `/_demo/{name}`, with the provider as
/// the handlers' data and every answer delayed by its latency knob.
pub fn mount<P: Dialect>(
    provider: &Arc<P>,
    cfg: &mut web::ServiceConfig,
    routes: impl FnOnce(Scope) -> Scope,
) {
    let me = Arc::clone(provider);
    let scope = web::scope(&format!("/_demo/{}", provider.server().profile.name))
        .app_data(web::Data::from(Arc::clone(provider)));
    cfg.service(routes(scope).wrap(middleware::from_fn(move |req, next| {
        delayed(me.server().knobs.latency(), req, next)
    })));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(challenge: Option<&str>, method: Option<&str>) -> AuthorizeQuery {
        AuthorizeQuery {
            code_challenge: challenge.map(str::to_owned),
            code_challenge_method: method.map(str::to_owned),
            ..AuthorizeQuery::default()
        }
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn a_missing_challenge_method_means_what_the_provider_says() {
        assert!(check_pkce(&query(Some(CHALLENGE), None), Some("S256")).is_ok());
        assert!(check_pkce(&query(Some(CHALLENGE), None), None).is_err());
        assert!(check_pkce(&query(None, None), None).is_ok());
    }

    #[test]
    fn a_plain_challenge_is_refused_with_invalid_request() {
        let refusal = check_pkce(&query(Some(CHALLENGE), Some("plain")), Some("S256"));
        assert!(matches!(
            refusal,
            Err(Refusal::Redirect(ErrorAnswer {
                error: "invalid_request",
                ..
            }))
        ));
    }
}
