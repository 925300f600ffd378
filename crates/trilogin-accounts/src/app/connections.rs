//! Acting on a connection from the account page: refreshing its token
//! now, and disconnecting it (revoking at the provider, then deleting the
//! row, never the person's last connection).

use super::account::{self, RemoveError};
use super::resources;
use super::services::Services;
use crate::db::{QueryError, connections};
use crate::providers::{github, twitter};
use crate::{Provider, UserId};
use trilogin_oauth::{Error, Token};

/// How a "Refresh now" ended.
#[derive(Debug)]
pub enum RefreshOutcome {
    /// A new access token is stored.
    Refreshed,
    /// The provider refused the refresh token: the connection is marked
    /// as needing a new login and kept.
    NeedsReconnect,
    /// The connection has no refresh token (or is OAuth 1.0a).
    NotRefreshable,
    /// The refresh failed for now (provider down, timeout); nothing changed.
    Failed(Error),
}

/// Refreshes user `user_id`'s `provider` token now, whatever its expiry,
/// with the same single flight and compare-and-swap as a refresh on access.
pub async fn refresh_now(
    services: &Services,
    user_id: UserId,
    provider: Provider,
) -> RefreshOutcome {
    let Ok(client) = resources::client(services, provider) else {
        return RefreshOutcome::NotRefreshable;
    };
    let Some(oauth2) = client.as_oauth2() else {
        return RefreshOutcome::NotRefreshable;
    };
    let hooks = resources::hooks(services, user_id);
    match oauth2.refresh_now(&hooks).await {
        Ok(_) => RefreshOutcome::Refreshed,
        Err(e @ Error::ReauthorizationRequired { .. }) => {
            resources::problem(services, user_id, provider, &e).await;
            RefreshOutcome::NeedsReconnect
        }
        Err(Error::NotConnected(_)) => RefreshOutcome::NotRefreshable,
        Err(e) => {
            tracing::warn!(provider = provider.name(), error = %e, "refresh now failed");
            RefreshOutcome::Failed(e)
        }
    }
}

/// How a disconnect ended.
#[derive(Debug)]
pub enum DisconnectOutcome {
    /// Revoked at the provider (or the provider offers no revocation) and
    /// deleted here.
    Removed {
        /// False when the provider has no way to revoke, or the tokens were
        /// already dead there.
        revoked: bool,
    },
    /// It is the person's only connection; nothing was done.
    LastConnection,
    /// There was no such connection.
    NotConnected,
    /// The provider could not be reached to revoke; the row is kept so
    /// that the person can try again.
    RevocationFailed(Error),
}

/// Disconnects user `user_id` from `provider`: revokes the grant at the
/// provider where it can, then deletes the row. Refuses to remove the
/// last connection, before anything is revoked.
pub async fn disconnect(
    services: &Services,
    user_id: UserId,
    provider: Provider,
) -> anyhow::Result<DisconnectOutcome> {
    let checked = crate::db::call(&services.pool, move |conn| {
        Ok::<_, QueryError>(account::check_removable(conn, user_id, provider))
    })
    .await?;
    match checked {
        Ok(()) => {}
        Err(RemoveError::LastConnection) => return Ok(DisconnectOutcome::LastConnection),
        Err(RemoveError::NotConnected) => return Ok(DisconnectOutcome::NotConnected),
        Err(RemoveError::Query(e)) => return Err(e.into()),
    }
    let revoked = match revoke(services, user_id, provider).await {
        Ok(revoked) => revoked,
        Err(e) if e.is_transient() => return Ok(DisconnectOutcome::RevocationFailed(e)),
        Err(e) => {
            // The provider no longer honours these tokens (or refuses to
            // revoke them): there is nothing left to protect there.
            tracing::info!(provider = provider.name(), error = %e, "revocation refused; removing the connection anyway");
            false
        }
    };
    let removed = crate::db::write(&services.pool, move |conn| {
        Ok::<_, QueryError>(account::remove_connection(conn, user_id, provider))
    })
    .await?;
    if provider == Provider::GitHub {
        services.repos_cache.forget_user(user_id);
    }
    match removed {
        Ok(()) => Ok(DisconnectOutcome::Removed { revoked }),
        Err(RemoveError::LastConnection) => Ok(DisconnectOutcome::LastConnection),
        Err(RemoveError::NotConnected) => Ok(DisconnectOutcome::NotConnected),
        Err(RemoveError::Query(e)) => Err(e.into()),
    }
}

/// Revokes user `user_id`'s grant at `provider`: GitHub's grant API,
/// RFC 7009 for OpenID Connect providers (Google included) that announce a
/// revocation endpoint, `oauth/invalidate_token` for Twitter. `false`
/// when the provider offers no revocation.
pub(crate) async fn revoke(
    services: &Services,
    user_id: UserId,
    provider: Provider,
) -> Result<bool, Error> {
    let client = resources::client(services, provider)
        .map_err(|_| Error::Config(format!("{} is not registered", provider.name())))?;
    match provider {
        Provider::Twitter => {
            let hooks = resources::hooks(services, user_id);
            let response = client.request(&twitter::revoke_request(), &hooks).await?;
            let status = response.status();
            if status.is_success() {
                Ok(true)
            } else {
                Err(Error::UnexpectedResponse {
                    status: status.as_u16(),
                    reason: "Twitter refused to invalidate the token".into(),
                    body: response.text().await.unwrap_or_default(),
                })
            }
        }
        Provider::GitHub | Provider::Google | Provider::Oidc(_) => {
            let cipher = services.cipher.clone();
            let stored = crate::db::call(&services.pool, move |conn| {
                connections::load_oauth2(conn, &cipher, user_id, provider)
            })
            .await
            .map_err(|e| Error::Storage(format!("{e:#}")))?
            .ok_or_else(|| Error::NotConnected(provider.name().to_owned()))?;
            if provider == Provider::GitHub {
                github::revoke(&services.http, client.config(), &stored.token.access_token).await?;
                Ok(true)
            } else {
                client.revoke_token(&Token::OAuth2(stored.token)).await
            }
        }
    }
}
