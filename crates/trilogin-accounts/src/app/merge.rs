//! Merging two accounts of one person. It is offered only after the
//! person, logged in to one account, has just logged in with an identity
//! of the other ([`LoginKind::OtherAccount`](super::login::LoginKind)):
//! proof of control of both. Never on a matching e-mail address, which
//! proves nothing.
//!
//! The merge moves every connection of the other account to the current
//! one and deletes the other account with its sessions, in one
//! transaction. Two accounts that both hold a connection to the same
//! provider are not merged: the person disconnects one of them first.

use diesel::QueryResult;

use super::services::Services;
use crate::db::connections::{self, Connection};
use crate::db::models::{NewUser, User};
use crate::db::{self, Conn, QueryError, sessions, users};
use crate::{Provider, UserId};

/// One side of a merge, as the confirmation page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    /// The account.
    pub user: User,
    /// Its connections, in the site's provider order.
    pub connections: Vec<Connection>,
}

/// What merging `from` into `into` would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The account the person is logged in to; it is kept.
    pub into: Side,
    /// The other account; it is deleted once its connections moved.
    pub from: Side,
    /// The display name the merged account keeps.
    pub display_name: String,
    /// The e-mail address it keeps, if any.
    pub email: Option<String>,
    /// Providers both accounts are connected to: while there are any, the
    /// accounts cannot be merged.
    pub conflicts: Vec<Provider>,
}

/// Why a merge did not happen. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum MergeRefused {
    /// One of the accounts no longer exists (deleted, or merged already).
    #[error("That account no longer exists, so there is nothing to merge.")]
    Gone,
    /// Both accounts hold a connection to these providers.
    #[error("Both accounts are connected to {}. Disconnect it from one of them first, then log in with the other account again.", names(.0))]
    Conflict(Vec<Provider>),
    /// The database failed.
    #[error(transparent)]
    Query(#[from] QueryError),
}

impl db::TransactionError for MergeRefused {
    fn query_error(&self) -> Option<&QueryError> {
        match self {
            Self::Query(e) => Some(e),
            Self::Gone | Self::Conflict(_) => None,
        }
    }
}

fn names(providers: &[Provider]) -> String {
    providers
        .iter()
        .map(|p| p.label())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// What merging user `from` into user `into` would do; `None` when either
/// account no longer exists.
pub async fn preview(
    services: &Services,
    into: UserId,
    from: UserId,
) -> anyhow::Result<Option<Preview>> {
    db::call(&services.pool, move |conn| read_preview(conn, into, from)).await
}

fn read_preview(conn: &mut Conn, into: UserId, from: UserId) -> QueryResult<Option<Preview>> {
    let (Some(into_user), Some(from_user)) =
        (users::find_user(conn, into)?, users::find_user(conn, from)?)
    else {
        return Ok(None);
    };
    let into = Side {
        user: into_user,
        connections: connections::list(conn, into)?,
    };
    let from = Side {
        user: from_user,
        connections: connections::list(conn, from)?,
    };
    let conflicts = into
        .connections
        .iter()
        .map(|c| c.provider)
        .filter(|p| from.connections.iter().any(|c| c.provider == *p))
        .collect();
    let display_name = if into.user.display_name.trim().is_empty() {
        from.user.display_name.clone()
    } else {
        into.user.display_name.clone()
    };
    let email = into.user.email.clone().or_else(|| from.user.email.clone());
    Ok(Some(Preview {
        into,
        from,
        display_name,
        email,
        conflicts,
    }))
}

/// Merges user `from` into user `into`, as [`preview`] described it, in
/// one transaction: the check for conflicts, the move of every
/// connection, the profile fields `into` lacks, and the deletion of
/// `from` and its sessions. Returns the merged account's connections.
pub async fn merge(
    services: &Services,
    into: UserId,
    from: UserId,
) -> anyhow::Result<Result<Vec<Connection>, MergeRefused>> {
    let merged = db::write(&services.pool, move |conn| {
        Ok::<_, QueryError>(db::write_transaction(conn, |conn| {
            merge_in(conn, into, from)
        }))
    })
    .await?;
    if merged.is_ok() {
        services.repos_cache.forget_user(from);
        tracing::info!(%into, %from, "accounts merged");
    }
    Ok(merged)
}

fn merge_in(conn: &mut Conn, into: UserId, from: UserId) -> Result<Vec<Connection>, MergeRefused> {
    if into == from {
        return Err(MergeRefused::Gone);
    }
    let preview = read_preview(conn, into, from)?.ok_or(MergeRefused::Gone)?;
    if !preview.conflicts.is_empty() {
        return Err(MergeRefused::Conflict(preview.conflicts));
    }
    connections::move_all(conn, from, into)?;
    users::update_profile(
        conn,
        into,
        &NewUser {
            display_name: &preview.display_name,
            email: preview.email.as_deref(),
            avatar_url: preview.into.user.avatar_url.as_deref().or(preview
                .from
                .user
                .avatar_url
                .as_deref()),
        },
    )?;
    sessions::delete_sessions_of(conn, from)?;
    users::delete_user(conn, from)?;
    Ok(connections::list(conn, into)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::connections::{NewConnection, NewToken};
    use crate::db::fixtures::{TestDb, add_user};
    use trilogin_oauth::OAuth1Token;
    use trilogin_oauth::secret::{AccessToken, TokenSecret};

    fn connect(db: &TestDb, user_id: UserId, provider: Provider, id: &str) {
        let oauth1 = OAuth1Token {
            oauth_token: AccessToken::new("t"),
            oauth_token_secret: TokenSecret::new("s"),
            extra: std::collections::BTreeMap::new(),
        };
        let oauth2 = trilogin_oauth::OAuth2Token {
            issued_at: None,
            access_token: AccessToken::new("a"),
            token_type: "bearer".into(),
            refresh_token: None,
            expires_at: None,
            scope: None,
            id_token: None,
            id_token_claims: None,
            extra: std::collections::BTreeMap::new(),
            dpop_key: None,
        };
        let token = if provider.is_oauth1() {
            NewToken::OAuth1 {
                token: &oauth1,
                screen_name: None,
            }
        } else {
            NewToken::OAuth2(&oauth2)
        };
        db.save(&NewConnection {
            user_id,
            provider,
            provider_user_id: id,
            token,
        });
    }

    fn providers(connections: &[Connection]) -> Vec<Provider> {
        connections.iter().map(|c| c.provider).collect()
    }

    #[test]
    fn a_merge_moves_every_connection_and_deletes_the_other_account() {
        let db = TestDb::new();
        let mut conn = db.conn();
        let kept = add_user(&mut conn, "Ada");
        let other = add_user(&mut conn, "Ada L.");
        connect(&db, kept, Provider::Twitter, "t1");
        connect(&db, other, Provider::GitHub, "g1");
        connect(&db, other, Provider::Google, "o1");
        let merged = write(&mut conn, kept, other).unwrap();
        assert_eq!(
            providers(&merged),
            [Provider::Twitter, Provider::GitHub, Provider::Google]
        );
        assert!(users::find_user(&mut conn, other).unwrap().is_none());
        assert_eq!(
            users::find_user(&mut conn, kept)
                .unwrap()
                .unwrap()
                .display_name,
            "Ada",
            "the account logged in to keeps its name"
        );
    }

    #[test]
    fn accounts_sharing_a_provider_are_not_merged_and_nothing_moves() {
        let db = TestDb::new();
        let mut conn = db.conn();
        let kept = add_user(&mut conn, "Ada");
        let other = add_user(&mut conn, "Ada L.");
        connect(&db, kept, Provider::Google, "o1");
        connect(&db, other, Provider::GitHub, "g1");
        connect(&db, other, Provider::Google, "o2");
        let Err(MergeRefused::Conflict(conflicts)) = write(&mut conn, kept, other) else {
            panic!("a shared provider must stop the merge");
        };
        assert_eq!(conflicts, [Provider::Google]);
        assert_eq!(
            providers(&connections::list(&mut conn, other).unwrap()),
            [Provider::GitHub, Provider::Google]
        );
    }

    #[test]
    fn a_merge_with_a_gone_account_or_itself_is_refused() {
        let db = TestDb::new();
        let mut conn = db.conn();
        let kept = add_user(&mut conn, "Ada");
        assert!(matches!(
            write(&mut conn, kept, UserId::new(999)),
            Err(MergeRefused::Gone)
        ));
        assert!(matches!(
            write(&mut conn, kept, kept),
            Err(MergeRefused::Gone)
        ));
    }

    fn write(conn: &mut Conn, into: UserId, from: UserId) -> Result<Vec<Connection>, MergeRefused> {
        db::write_transaction(conn, |conn| merge_in(conn, into, from))
    }
}
