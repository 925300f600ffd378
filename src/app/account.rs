//! A person's connections: what the account page and the dashboard show
//! about each (who they are at the provider, scopes, expiry, last refresh,
//! whether it needs a new login), and the storage side of disconnecting.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::db::from_db_time;
use crate::db::schema::{oauth1_tokens, oauth2_tokens};
use crate::db::tokens::{
    delete_oauth1_token, delete_oauth2_token, oauth1_rows_for_user, oauth2_rows_for_user,
};
use crate::providers::Provider;

/// One connection's status; no secret is ever part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The provider.
    pub provider: Provider,
    /// The person's id at the provider.
    pub provider_user_id: String,
    /// How the provider names the account (`@handle`, or Google's e-mail
    /// address), when known.
    pub label: Option<String>,
    /// Granted scope (OAuth 2).
    pub scope: Option<String>,
    /// When the access token expires (OAuth 2; `None` when it does not say).
    pub expires_at: Option<OffsetDateTime>,
    /// When the token was last refreshed.
    pub refreshed_at: Option<OffsetDateTime>,
    /// True when an OAuth 2 token has a refresh token.
    pub refreshable: bool,
    /// True when the provider refused the tokens: a new login is needed.
    pub needs_reconnect: bool,
    /// When the connection was made.
    pub connected_at: OffsetDateTime,
}

impl Connection {
    /// The account as the pages name it: the provider's label, else its id.
    pub fn identity(&self) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| self.provider_user_id.clone())
    }
}

/// Every connection of user `user_id`, in the site's provider order.
/// Rows of providers the site no longer supports are left out.
pub fn connections(conn: &mut SqliteConnection, user_id: i32) -> QueryResult<Vec<Connection>> {
    let mut all: Vec<Connection> = oauth1_rows_for_user(conn, user_id)?
        .into_iter()
        .filter_map(|row| {
            Some(Connection {
                provider: Provider::from_name(&row.name)?,
                provider_user_id: row.provider_user_id,
                label: row.screen_name.map(|s| format!("@{s}")),
                scope: None,
                expires_at: None,
                refreshed_at: None,
                refreshable: false,
                needs_reconnect: row.needs_reconnect,
                connected_at: from_db_time(row.created_at),
            })
        })
        .collect();
    all.extend(
        oauth2_rows_for_user(conn, user_id)?
            .into_iter()
            .filter_map(|row| {
                Some(Connection {
                    provider: Provider::from_name(&row.name)?,
                    provider_user_id: row.provider_user_id,
                    label: row.account_label,
                    scope: row.scope,
                    expires_at: row.expires_at.map(from_db_time),
                    refreshed_at: row.refreshed_at.map(from_db_time),
                    refreshable: row.refresh_token.is_some(),
                    needs_reconnect: row.needs_reconnect,
                    connected_at: from_db_time(row.created_at),
                })
            }),
    );
    all.sort_by_key(|c| c.provider);
    Ok(all)
}

/// User `user_id`'s connection to `provider`, if any.
pub fn connection(
    conn: &mut SqliteConnection,
    user_id: i32,
    provider: Provider,
) -> QueryResult<Option<Connection>> {
    Ok(connections(conn, user_id)?
        .into_iter()
        .find(|c| c.provider == provider))
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
    Query(#[from] diesel::result::Error),
}

/// Counts user `user_id`'s connections of either protocol.
fn count_connections(conn: &mut SqliteConnection, user_id: i32) -> QueryResult<i64> {
    let oauth1: i64 = oauth1_tokens::table
        .filter(oauth1_tokens::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    let oauth2: i64 = oauth2_tokens::table
        .filter(oauth2_tokens::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    Ok(oauth1 + oauth2)
}

/// Checks that user `user_id` could remove `provider` now: it is
/// connected and is not their last connection.
pub fn check_removable(
    conn: &mut SqliteConnection,
    user_id: i32,
    provider: Provider,
) -> Result<(), RemoveError> {
    if connection(conn, user_id, provider)?.is_none() {
        return Err(RemoveError::NotConnected);
    }
    if count_connections(conn, user_id)? <= 1 {
        return Err(RemoveError::LastConnection);
    }
    Ok(())
}

/// Deletes user `user_id`'s connection to `provider`, unless it is their
/// last one: without a connection nobody could log in to the account again.
/// Check and delete share one transaction, so two concurrent removals of a
/// person's last two connections cannot both succeed.
pub fn remove_connection(
    conn: &mut SqliteConnection,
    user_id: i32,
    provider: Provider,
) -> Result<(), RemoveError> {
    conn.immediate_transaction(|conn| {
        check_removable(conn, user_id, provider)?;
        let removed = match provider {
            Provider::Twitter => delete_oauth1_token(conn, user_id, provider.name())?,
            Provider::GitHub | Provider::Google => {
                delete_oauth2_token(conn, user_id, provider.name())?
            }
        };
        if removed {
            Ok(())
        } else {
            Err(RemoveError::NotConnected)
        }
    })
}
