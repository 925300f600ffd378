//! A person's account as the pages show it (who they are, each connection's
//! status), and the storage side of disconnecting.

use super::services::Services;
use crate::db::models::User;
use crate::db::{self, Conn, QueryError, connections, users};
use crate::{Provider, UserId};

pub use crate::db::connections::Connection;

/// The account and its connections, for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// The account.
    pub user: User,
    /// Its connections, in the site's provider order.
    pub connections: Vec<Connection>,
}

/// User `user_id`'s account and connections; `None` when the account no
/// longer exists (deleted while the session lived).
pub async fn overview(services: &Services, user_id: UserId) -> anyhow::Result<Option<Overview>> {
    db::call(&services.pool, move |conn| {
        let Some(user) = users::find_user(conn, user_id)? else {
            return Ok::<_, QueryError>(None);
        };
        let connections = connections::list(conn, user_id)?;
        Ok(Some(Overview { user, connections }))
    })
    .await
}

/// Every connection of user `user_id`, in the site's provider order.
pub async fn connections(services: &Services, user_id: UserId) -> anyhow::Result<Vec<Connection>> {
    db::call(&services.pool, move |conn| connections::list(conn, user_id)).await
}

/// Why a connection was not removed.
#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    /// There is no such connection (already removed).
    #[error("not connected")]
    NotConnected,
    /// It is the person's only way to log in.
    #[error("the last connection cannot be removed")]
    LastConnection,
    /// The database failed.
    #[error(transparent)]
    Query(#[from] QueryError),
}

impl db::TransactionError for RemoveError {
    fn query_error(&self) -> Option<&QueryError> {
        match self {
            Self::Query(e) => Some(e),
            Self::NotConnected | Self::LastConnection => None,
        }
    }
}

/// Checks that user `user_id` could remove `provider` now: it is
/// connected and is not their last connection.
pub fn check_removable(
    conn: &mut Conn,
    user_id: UserId,
    provider: Provider,
) -> Result<(), RemoveError> {
    if connections::find(conn, user_id, provider)?.is_none() {
        return Err(RemoveError::NotConnected);
    }
    if connections::count(conn, user_id)? <= 1 {
        return Err(RemoveError::LastConnection);
    }
    Ok(())
}

/// Deletes user `user_id`'s connection to `provider`, unless it is their
/// last one: without a connection nobody could log in to the account again.
/// Check and delete share one transaction, so two concurrent removals of a
/// person's last two connections cannot both succeed.
pub fn remove_connection(
    conn: &mut Conn,
    user_id: UserId,
    provider: Provider,
) -> Result<(), RemoveError> {
    db::write_transaction(conn, |conn| {
        check_removable(conn, user_id, provider)?;
        if connections::remove(conn, user_id, provider)? {
            Ok(())
        } else {
            Err(RemoveError::NotConnected)
        }
    })
}
