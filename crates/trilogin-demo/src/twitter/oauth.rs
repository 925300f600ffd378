//! The OAuth endpoints: temporary credentials
//! ([RFC 5849 §2.1](https://www.rfc-editor.org/rfc/rfc5849#section-2.1)),
//! token credentials ([§2.3](https://www.rfc-editor.org/rfc/rfc5849#section-2.3)),
//! and Twitter's `invalidate_token`.

use std::time::Duration;

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::auth::Credential;
use super::errors::TwitterError;
use super::state::GrantError;
use super::{DemoTwitter, now};
use crate::knobs::Fault;

/// How long a [`Fault::Timeout`] holds the request: longer than any client waits.
const FAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// `POST oauth/request_token`: temporary credentials for the registered callback.
pub async fn request_token(
    twitter: web::Data<DemoTwitter>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, TwitterError> {
    twitter.enter("request_token").await;
    let signed = twitter.authenticate(&req, &body, Credential::ConsumerOnly)?;
    // Twitter accepts only callbacks registered for the app, and this app
    // registered exactly one; "oob" (PIN flow) is not offered to web apps.
    let registered = twitter.config.redirect_uri("twitter");
    let callback = signed.request.callback.as_deref().unwrap_or_default();
    if callback != registered {
        return Err(TwitterError::CallbackNotApproved);
    }
    let (token, secret) = twitter
        .state
        .issue_request_token(callback, now())
        .map_err(|_| TwitterError::OverCapacity)?;
    Ok(form_response(&[
        ("oauth_token", &token),
        ("oauth_token_secret", &secret),
        ("oauth_callback_confirmed", "true"),
    ]))
}

/// `POST oauth/access_token`: exchanges an authorized request token and its
/// verifier for the person's access token. A request token works once.
pub async fn access_token(
    twitter: web::Data<DemoTwitter>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, TwitterError> {
    twitter.enter("access_token").await;
    if let Some(fault) = twitter.knobs.take_token_fault() {
        return fault_response(fault).await;
    }
    let signed = twitter.authenticate(&req, &body, Credential::RequestToken)?;
    let token = signed.request.token.as_deref().unwrap_or_default();
    let (access_token, grant, person) = twitter
        .state
        .exchange(token, signed.request.verifier.as_deref(), now())
        .map_err(|error| match error {
            GrantError::WrongVerifier => TwitterError::InvalidVerifier,
            _ => TwitterError::InvalidRequestToken,
        })?;
    Ok(form_response(&[
        ("oauth_token", &access_token),
        ("oauth_token_secret", &grant.token_secret),
        ("user_id", &person.twitter_id.to_string()),
        ("screen_name", person.twitter_screen_name),
    ]))
}

/// `POST 1.1/oauth/invalidate_token`: ends the access token the request is signed with.
pub async fn invalidate_token(
    twitter: web::Data<DemoTwitter>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, TwitterError> {
    twitter.enter("invalidate_token").await;
    let signed = twitter.authenticate(&req, &body, Credential::AccessToken)?;
    let (token, _) = signed.access.ok_or(TwitterError::InvalidOrExpiredToken)?;
    if !twitter.state.invalidate(&token) {
        return Err(TwitterError::InvalidOrExpiredToken);
    }
    Ok(HttpResponse::Ok().json(json!({ "access_token": token })))
}

/// An `application/x-www-form-urlencoded` answer, as the OAuth endpoints give.
fn form_response(pairs: &[(&str, &str)]) -> HttpResponse {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    HttpResponse::Ok()
        .content_type("application/x-www-form-urlencoded")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

/// The injected failure of the next token request.
async fn fault_response(fault: Fault) -> Result<HttpResponse, TwitterError> {
    match fault {
        Fault::ServerError => Ok(HttpResponse::ServiceUnavailable()
            .content_type(ContentType::html())
            .body("<!doctype html><title>Twitter / Over capacity</title><h1>Twitter is over capacity.</h1>")),
        Fault::Timeout => {
            tokio::time::sleep(FAULT_TIMEOUT).await;
            Ok(HttpResponse::GatewayTimeout().finish())
        }
        // Twitter's word for a grant that is no longer valid.
        Fault::InvalidGrant => Err(TwitterError::InvalidRequestToken),
    }
}
