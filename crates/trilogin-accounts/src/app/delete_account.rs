//! Deleting an account: each connection's access is revoked at its
//! provider where it can be, then the account, its connections and its
//! sessions in every browser are deleted in one transaction.

use super::account;
use super::connections::revoke;
use super::services::Services;
use crate::db::{self, QueryError, sessions, users};
use crate::{Provider, UserId};

/// What deleting an account did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Deleted {
    /// Providers that could not be reached to revoke this site's access.
    /// Their tokens are deleted here all the same: the person asked for
    /// the account to go, and nothing here can use them any more.
    pub not_revoked: Vec<Provider>,
}

/// Deletes user `user_id`: revokes every connection at its provider, then
/// deletes the account with its connections and sessions.
pub async fn delete_account(services: &Services, user_id: UserId) -> anyhow::Result<Deleted> {
    let mut deleted = Deleted::default();
    for connection in account::connections(services, user_id).await? {
        let provider = connection.provider;
        match revoke(services, user_id, provider).await {
            Ok(_) => {}
            Err(e) if e.is_transient() => {
                tracing::warn!(provider = provider.name(), error = %e, "cannot revoke while deleting an account");
                deleted.not_revoked.push(provider);
            }
            // Refused: the tokens are already dead there.
            Err(e) => {
                tracing::info!(provider = provider.name(), error = %e, "revocation refused while deleting an account");
            }
        }
    }
    db::write(&services.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            sessions::delete_sessions_of(conn, user_id)?;
            users::delete_user(conn, user_id)?;
            Ok::<_, QueryError>(())
        })
    })
    .await?;
    services.repos_cache.forget_user(user_id);
    tracing::info!(%user_id, "account deleted");
    Ok(deleted)
}
