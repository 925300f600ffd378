//! The profile at an OpenID Connect provider (Google, or one of
//! `OIDC_PROVIDERS`): the userinfo endpoint (OIDC Core §5.3) and the
//! claims of the ID token received at login.

use serde_json::Value;

use super::claims::{self, Claim};
use super::problem::ProviderProblem;
use super::resources;
use super::services::Services;
use crate::db::connections;
use crate::providers::oidc::{self, UserInfo};
use crate::{Provider, UserId};
use trilogin_oauth::{ApiRequest, Error};

/// What the profile page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePage {
    /// The userinfo answer.
    pub userinfo: UserInfo,
    /// The ID token's standard claims; empty when no ID token is stored.
    pub claims: Vec<Claim>,
}

/// Loads user `user_id`'s profile at `provider`, an OpenID Connect provider.
pub async fn load(
    services: &Services,
    user_id: UserId,
    provider: Provider,
) -> Result<ProfilePage, ProviderProblem> {
    let connection = resources::check_connected(services, user_id, provider).await?;
    let client = resources::client(services, provider)?;
    let endpoint = match userinfo_endpoint(client, provider).await {
        Ok(endpoint) => endpoint,
        Err(e) => return Err(resources::problem(services, user_id, provider, &e).await),
    };
    let answer = resources::call(
        services,
        user_id,
        provider,
        &ApiRequest::get(endpoint.as_str()),
    )
    .await?;
    if !answer.status.is_success() {
        return Err(resources::unexpected(services, user_id, provider, &answer).await);
    }
    // OIDC Core §5.3.2: a userinfo answer about someone else is refused.
    if answer.body.get("sub").and_then(Value::as_str) != Some(&connection.provider_user_id) {
        let error = Error::InvalidUserinfo("sub is not the connected person's".into());
        return Err(resources::problem(services, user_id, provider, &error).await);
    }
    let userinfo = match oidc::userinfo(&answer.body) {
        Ok(userinfo) => userinfo,
        Err(e) => return Err(resources::problem(services, user_id, provider, &e).await),
    };
    Ok(ProfilePage {
        userinfo,
        claims: id_token_claims(services, user_id, provider).await,
    })
}

/// The userinfo endpoint, configured or discovered.
async fn userinfo_endpoint(
    client: &trilogin_oauth::registry::Client,
    provider: Provider,
) -> Result<url::Url, Error> {
    if let Some(url) = &client.config().userinfo_endpoint {
        return Ok(url.clone());
    }
    let oauth2 = client
        .as_oauth2()
        .ok_or_else(|| Error::Config(format!("{provider} is registered as an OAuth 1 client")))?;
    oauth2
        .server_metadata()
        .await?
        .and_then(|m| m.userinfo_endpoint.clone())
        .ok_or_else(|| Error::Config(format!("{provider} announces no userinfo endpoint")))
}

/// The stored ID token's claims; none when it is missing or unreadable
/// (the page then says so, the profile still shows).
async fn id_token_claims(services: &Services, user_id: UserId, provider: Provider) -> Vec<Claim> {
    let cipher = services.cipher.clone();
    let stored = crate::db::call(&services.pool, move |conn| {
        connections::load_oauth2(conn, &cipher, user_id, provider)
    })
    .await;
    let id_token = match stored {
        Ok(Some(stored)) => stored.token.id_token,
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "cannot read the stored ID token");
            None
        }
    };
    let Some(id_token) = id_token else {
        return Vec::new();
    };
    match claims::payload(id_token.secret()) {
        Ok(payload) => claims::shown(&payload),
        Err(e) => {
            tracing::warn!(error = %e, "the stored ID token is unreadable");
            Vec::new()
        }
    }
}
