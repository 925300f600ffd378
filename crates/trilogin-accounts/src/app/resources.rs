//! Calling a provider's API for a person: the stored connection is checked
//! first, the call goes through the registry's client with the person's
//! token hooks (so an OAuth 2 token is refreshed on access, once), and a
//! refused refresh marks the connection as needing a new login.
//!
//! Every failure comes back as a [`ProviderProblem`], never as an error
//! page: the person sees what happened and a way forward.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::account;
use super::problem::ProviderProblem;
use super::services::Services;
use crate::db::connections;
use crate::db::token_hooks::DbTokenHooks;
use crate::{Provider, UserId};
use trilogin_oauth::registry::Client;
use trilogin_oauth::{ApiRequest, Error};

/// A provider's answer that the page can use.
#[derive(Debug)]
pub struct Answer {
    /// Its status.
    pub status: StatusCode,
    /// Its headers (rate limits, `ETag`, `Link`).
    pub headers: HeaderMap,
    /// Its body, `Null` when empty.
    pub body: Value,
}

/// The registry's client for `provider`.
pub fn client(services: &Services, provider: Provider) -> Result<&Client, ProviderProblem> {
    services.oauth.client(provider.name()).ok_or_else(|| {
        ProviderProblem::from_error(
            provider,
            &Error::Config(format!("{} is not registered", provider.name())),
        )
    })
}

/// The token hooks of user `user_id`.
pub fn hooks(services: &Services, user_id: UserId) -> DbTokenHooks {
    DbTokenHooks::new(
        services.pool.clone(),
        services.cipher.clone(),
        services.lease_holder.clone(),
        user_id,
    )
}

/// Logs a failed call and turns it into what the page shows; a refused
/// token marks the connection as needing a new login (the row stays).
pub async fn problem(
    services: &Services,
    user_id: UserId,
    provider: Provider,
    error: &Error,
) -> ProviderProblem {
    if let Error::ReauthorizationRequired { reason } = error {
        tracing::info!(provider = provider.name(), %reason, "the provider refused the stored tokens");
        let marked = crate::db::write(&services.pool, move |conn| {
            connections::mark_needs_reconnect(conn, user_id, provider)
        })
        .await;
        if let Err(e) = marked {
            tracing::error!(
                error = format!("{e:#}"),
                "cannot mark the connection as needing a new login"
            );
        }
    } else {
        tracing::warn!(provider = provider.name(), error = %error, "provider call failed");
    }
    ProviderProblem::from_error(provider, error)
}

/// Checks that user `user_id` has a usable connection to `provider`,
/// without calling the provider: a connection already known to need a new
/// login is not tried again.
pub async fn check_connected(
    services: &Services,
    user_id: UserId,
    provider: Provider,
) -> Result<account::Connection, ProviderProblem> {
    let found = crate::db::call(&services.pool, move |conn| {
        connections::find(conn, user_id, provider)
    })
    .await;
    match found {
        Ok(Some(c)) if c.needs_reconnect => Err(ProviderProblem::reconnect(provider)),
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(ProviderProblem::not_connected(provider)),
        Err(e) => {
            let error = Error::Storage(format!("{e:#}"));
            Err(problem(services, user_id, provider, &error).await)
        }
    }
}

/// Sends `request` to `provider` as user `user_id` and reads the answer.
/// Statuses are the caller's to judge; only a transport failure, a
/// refused token or an unreadable body are problems here.
pub async fn call(
    services: &Services,
    user_id: UserId,
    provider: Provider,
    request: &ApiRequest,
) -> Result<Answer, ProviderProblem> {
    let answer = call_for_body(services, user_id, provider, request).await?;
    read_json(services, user_id, provider, answer).await
}

/// A provider's answer with its body as it came, not yet read as JSON.
#[derive(Debug)]
pub struct BodyAnswer {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body, as received: JSON parsers read UTF-8 bytes, so the body
    /// is neither checked nor copied into a `String` first.
    pub body: Bytes,
}

/// [`call`], leaving the body as it came: for a caller that reads a large
/// body into its own types, and turns to [`read_json`] for anything else.
pub async fn call_for_body(
    services: &Services,
    user_id: UserId,
    provider: Provider,
    request: &ApiRequest,
) -> Result<BodyAnswer, ProviderProblem> {
    let client = client(services, provider)?;
    let hooks = hooks(services, user_id);
    let response = match client.request(request, &hooks).await {
        Ok(response) => response,
        Err(e) => return Err(problem(services, user_id, provider, &e).await),
    };
    let status = response.status();
    let headers = response.headers().clone();
    match response.bytes().await {
        Ok(body) => Ok(BodyAnswer {
            status,
            headers,
            body,
        }),
        Err(e) => Err(problem(services, user_id, provider, &Error::Transport(e)).await),
    }
}

/// Reads the body of `answer` as JSON (`Null` when empty); a body that is
/// not JSON is a problem.
pub async fn read_json(
    services: &Services,
    user_id: UserId,
    provider: Provider,
    answer: BodyAnswer,
) -> Result<Answer, ProviderProblem> {
    let BodyAnswer {
        status,
        headers,
        body,
    } = answer;
    let body = if body.trim_ascii().is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(body) => body,
            Err(e) => {
                let error = Error::UnexpectedResponse {
                    status: status.as_u16(),
                    reason: format!("not JSON: {e}"),
                    body: String::from_utf8_lossy(&body).into_owned(),
                };
                return Err(problem(services, user_id, provider, &error).await);
            }
        }
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// A non-success answer as a problem.
pub async fn unexpected(
    services: &Services,
    user_id: UserId,
    provider: Provider,
    answer: &Answer,
) -> ProviderProblem {
    let error = Error::UnexpectedResponse {
        status: answer.status.as_u16(),
        reason: answer
            .body
            .get("message")
            .or_else(|| answer.body.get("error"))
            .map_or_else(|| "unexpected status".to_owned(), Value::to_string),
        body: answer.body.to_string(),
    };
    problem(services, user_id, provider, &error).await
}
