//! A person's connections to providers: one store over the two token
//! tables, keyed by [`UserId`] and [`Provider`].
//!
//! Twitter's OAuth 1.0a tokens live in `oauth1_tokens`, the OAuth 2.0 ones
//! in `oauth2_tokens`; [`Provider::is_oauth1`] picks the table, so callers
//! never do. Each `(provider, provider_user_id)` identity belongs to one
//! account, and an account has at most one identity per provider.
//!
//! Every secret column goes through [`Cipher`] with the column's name and
//! the row's identity `(provider, provider_user_id)` as associated data (see
//! [`sealed_at`]); the `SEALED_*` constants are the column names. A stolen
//! database file alone yields no usable token, and a sealed token copied
//! into another person's row does not open.

use std::collections::BTreeMap;

use diesel::prelude::*;
use time::OffsetDateTime;

use super::models::{NewOAuth1Token, NewOAuth2Token, OAuth1TokenRow, OAuth2TokenRow};
use super::schema::{oauth1_tokens, oauth2_tokens};
use super::{Conn, from_db_time, now, to_db_time};
use crate::crypto::{Cipher, CryptoError, SealedAt};
use crate::{Provider, UserId};
use trilogin_oauth::dpop::DpopKey;
use trilogin_oauth::secret::{AccessToken, IdToken, RefreshToken, TokenSecret};
use trilogin_oauth::{OAuth1Token, OAuth2Token};

/// Associated data of `oauth1_tokens.oauth_token`.
pub const SEALED_OAUTH1_TOKEN: &str = "oauth1_tokens.oauth_token";
/// Associated data of `oauth1_tokens.oauth_token_secret`.
pub const SEALED_OAUTH1_TOKEN_SECRET: &str = "oauth1_tokens.oauth_token_secret";
/// Associated data of `oauth2_tokens.access_token`.
pub const SEALED_ACCESS_TOKEN: &str = "oauth2_tokens.access_token";
/// Associated data of `oauth2_tokens.refresh_token`.
pub const SEALED_REFRESH_TOKEN: &str = "oauth2_tokens.refresh_token";
/// Associated data of `oauth2_tokens.id_token`.
pub const SEALED_ID_TOKEN: &str = "oauth2_tokens.id_token";
/// Associated data of `oauth2_tokens.dpop_key`.
pub const SEALED_DPOP_KEY: &str = "oauth2_tokens.dpop_key";

/// Where a secret of the connection `[provider name, provider_user_id]` is sealed.
pub fn sealed_at<'a>(column: &'a str, row: &'a [&'a str; 2]) -> SealedAt<'a> {
    SealedAt::new(column, row)
}

/// A token could not be stored or read back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    /// A secret column does not open: `SECRET_KEY` changed or the row was
    /// tampered with. The person must log in again.
    #[error("stored token cannot be opened: {0}")]
    Crypto(#[from] CryptoError),
}

/// A connection to store: whose, to which provider and identity, with which
/// token.
#[derive(Debug, Clone, Copy)]
pub struct NewConnection<'a> {
    /// The account it belongs to.
    pub user_id: UserId,
    /// The provider.
    pub provider: Provider,
    /// The person's id at the provider.
    pub provider_user_id: &'a str,
    /// The token, of the provider's protocol.
    pub token: NewToken<'a>,
}

/// The token of a [`NewConnection`].
#[derive(Debug, Clone, Copy)]
pub enum NewToken<'a> {
    /// An OAuth 1.0a token, with the person's handle when known.
    OAuth1 {
        /// The token and its secret.
        token: &'a OAuth1Token,
        /// The person's handle (`screen_name`).
        screen_name: Option<&'a str>,
    },
    /// An OAuth 2.0 token (`extra` is not stored).
    OAuth2(&'a OAuth2Token),
}

/// One connection's status, for pages; no secret is ever part of it.
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
    /// `token_type` (OAuth 2): `Bearer`, or `DPoP` for a key-bound token.
    pub token_type: Option<String>,
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

impl super::TransactionError for StoreError {
    fn query_error(&self) -> Option<&diesel::result::Error> {
        match self {
            Self::Query(e) => Some(e),
            Self::Crypto(_) => None,
        }
    }
}

/// A stored OAuth 2.0 connection with its token opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOAuth2Token {
    /// The owner.
    pub user_id: UserId,
    /// The provider.
    pub provider: Provider,
    /// The person's id at the provider.
    pub provider_user_id: String,
    /// The token (`extra` is not stored and comes back empty).
    pub token: OAuth2Token,
    /// A refresh was refused; the person must log in again.
    pub needs_reconnect: bool,
    /// When the token was last refreshed.
    pub refreshed_at: Option<OffsetDateTime>,
    /// When the row last changed.
    pub updated_at: OffsetDateTime,
}

/// A stored OAuth 1.0a connection with its token opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOAuth1Token {
    /// The owner.
    pub user_id: UserId,
    /// The provider.
    pub provider: Provider,
    /// The person's id at the provider.
    pub provider_user_id: String,
    /// The person's handle, when known.
    pub screen_name: Option<String>,
    /// The token; `extra` holds `user_id` and, when known, `screen_name`.
    pub token: OAuth1Token,
    /// The provider no longer accepts the token.
    pub needs_reconnect: bool,
    /// When the row last changed.
    pub updated_at: OffsetDateTime,
}

/// [`write`] in a transaction of its own.
pub fn save(conn: &mut Conn, cipher: &Cipher, new: &NewConnection<'_>) -> Result<(), StoreError> {
    super::write_transaction(conn, |conn| write(conn, cipher, new))
}

/// Stores `new.token` as `new.user_id`'s connection to `new.provider`, for
/// the identity `new.provider_user_id`. An earlier token of the same
/// identity is replaced (and the connection attached to `new.user_id`; the
/// caller decides who owns an identity, see [`owner`]), its "needs
/// reconnect" mark cleared; an earlier connection of this user to another
/// identity at the provider is removed.
///
/// Two statements: run it inside a write transaction, as [`save`] does.
pub fn write(conn: &mut Conn, cipher: &Cipher, new: &NewConnection<'_>) -> Result<(), StoreError> {
    let (user_id, name, provider_user_id) =
        (new.user_id, new.provider.name(), new.provider_user_id);
    let row = [name, provider_user_id];
    let seal = |column, value: &str| cipher.seal(&sealed_at(column, &row), value);
    match new.token {
        NewToken::OAuth1 { token, screen_name } => {
            let oauth_token = seal(SEALED_OAUTH1_TOKEN, token.oauth_token.secret())?;
            let oauth_token_secret = seal(
                SEALED_OAUTH1_TOKEN_SECRET,
                token.oauth_token_secret.secret(),
            )?;
            let columns = NewOAuth1Token {
                user_id,
                name,
                provider_user_id,
                screen_name,
                oauth_token: &oauth_token,
                oauth_token_secret: &oauth_token_secret,
                needs_reconnect: false,
                updated_at: now(),
            };
            diesel::delete(
                oauth1_tokens::table
                    .filter(oauth1_tokens::user_id.eq(user_id))
                    .filter(oauth1_tokens::name.eq(name))
                    .filter(oauth1_tokens::provider_user_id.ne(provider_user_id)),
            )
            .execute(conn)?;
            crate::on_each_backend!(conn, |c| diesel::insert_into(oauth1_tokens::table)
                .values(&columns)
                .on_conflict((oauth1_tokens::name, oauth1_tokens::provider_user_id))
                .do_update()
                .set(&columns)
                .execute(c))?;
        }
        NewToken::OAuth2(token) => {
            let access_token = seal(SEALED_ACCESS_TOKEN, token.access_token.secret())?;
            let refresh_token = token
                .refresh_token
                .as_ref()
                .map(|t| seal(SEALED_REFRESH_TOKEN, t.secret()))
                .transpose()?;
            let id_token = token
                .id_token
                .as_ref()
                .map(|t| seal(SEALED_ID_TOKEN, t.secret()))
                .transpose()?;
            let dpop_key = token
                .dpop_key
                .as_ref()
                .map(|k| seal(SEALED_DPOP_KEY, &k.export_secret()))
                .transpose()?;
            let columns = NewOAuth2Token {
                user_id,
                name,
                provider_user_id,
                token_type: &token.token_type,
                access_token: &access_token,
                refresh_token: refresh_token.as_deref(),
                expires_at: token.expires_at.map(to_db_time),
                scope: token.scope.as_deref(),
                id_token: id_token.as_deref(),
                dpop_key: dpop_key.as_deref(),
                needs_reconnect: false,
                refresh_lease_until: None,
                updated_at: now(),
            };
            diesel::delete(
                oauth2_tokens::table
                    .filter(oauth2_tokens::user_id.eq(user_id))
                    .filter(oauth2_tokens::name.eq(name))
                    .filter(oauth2_tokens::provider_user_id.ne(provider_user_id)),
            )
            .execute(conn)?;
            crate::on_each_backend!(conn, |c| diesel::insert_into(oauth2_tokens::table)
                .values(&columns)
                .on_conflict((oauth2_tokens::name, oauth2_tokens::provider_user_id))
                .do_update()
                .set(&columns)
                .execute(c))?;
        }
    }
    Ok(())
}

/// User `user_id`'s OAuth 2.0 connection to `provider`, with its token opened.
pub fn load_oauth2(
    conn: &mut Conn,
    cipher: &Cipher,
    user_id: UserId,
    provider: Provider,
) -> Result<Option<StoredOAuth2Token>, StoreError> {
    let row = oauth2_row(conn, user_id, provider)?;
    Ok(row
        .map(|row| open_oauth2_row(cipher, provider, row))
        .transpose()?)
}

/// User `user_id`'s OAuth 1.0a connection to `provider`, with its token opened.
pub fn load_oauth1(
    conn: &mut Conn,
    cipher: &Cipher,
    user_id: UserId,
    provider: Provider,
) -> Result<Option<StoredOAuth1Token>, StoreError> {
    let row = oauth1_tokens::table
        .filter(oauth1_tokens::user_id.eq(user_id))
        .filter(oauth1_tokens::name.eq(provider.name()))
        .select(OAuth1TokenRow::as_select())
        .get_result(conn)
        .optional()?;
    Ok(row
        .map(|row| open_oauth1_row(cipher, provider, row))
        .transpose()?)
}

/// User `user_id`'s token at `provider`, of either protocol, opened.
pub fn load_token(
    conn: &mut Conn,
    cipher: &Cipher,
    user_id: UserId,
    provider: Provider,
) -> Result<Option<trilogin_oauth::Token>, StoreError> {
    use trilogin_oauth::Token;
    Ok(if provider.is_oauth1() {
        load_oauth1(conn, cipher, user_id, provider)?.map(|s| Token::OAuth1(s.token))
    } else {
        load_oauth2(conn, cipher, user_id, provider)?.map(|s| Token::OAuth2(s.token))
    })
}

/// The row of user `user_id`'s OAuth 2.0 connection to `provider`, secrets
/// sealed.
pub(crate) fn oauth2_row(
    conn: &mut Conn,
    user_id: UserId,
    provider: Provider,
) -> QueryResult<Option<OAuth2TokenRow>> {
    oauth2_tokens::table
        .filter(oauth2_tokens::user_id.eq(user_id))
        .filter(oauth2_tokens::name.eq(provider.name()))
        .select(OAuth2TokenRow::as_select())
        .get_result(conn)
        .optional()
}

/// Opens the secret columns of a stored OAuth 2.0 row of `provider`.
pub(crate) fn open_oauth2_row(
    cipher: &Cipher,
    provider: Provider,
    row: OAuth2TokenRow,
) -> Result<StoredOAuth2Token, CryptoError> {
    let at = [row.name.as_str(), row.provider_user_id.as_str()];
    let open = |column, sealed: &str| cipher.open(&sealed_at(column, &at), sealed);
    let token = OAuth2Token {
        // A token row is written when its token arrives (login or
        // refresh), so its last write is when the token was issued.
        issued_at: Some(from_db_time(row.updated_at)),
        access_token: AccessToken::new(open(SEALED_ACCESS_TOKEN, &row.access_token)?),
        token_type: row.token_type,
        refresh_token: row
            .refresh_token
            .map(|t| open(SEALED_REFRESH_TOKEN, &t).map(RefreshToken::new))
            .transpose()?,
        expires_at: row.expires_at.map(from_db_time),
        scope: row.scope,
        id_token: row
            .id_token
            .map(|t| open(SEALED_ID_TOKEN, &t).map(IdToken::new))
            .transpose()?,
        // Claims are checked at login and not stored: the ID token is.
        id_token_claims: None,
        extra: BTreeMap::new(),
        dpop_key: row
            .dpop_key
            .map(|k| open(SEALED_DPOP_KEY, &k))
            .transpose()?
            .map(|k| DpopKey::import_secret(&k))
            .transpose()
            .map_err(|_| CryptoError::Malformed)?,
    };
    Ok(StoredOAuth2Token {
        user_id: row.user_id,
        provider,
        provider_user_id: row.provider_user_id,
        token,
        needs_reconnect: row.needs_reconnect,
        refreshed_at: row.refreshed_at.map(from_db_time),
        updated_at: from_db_time(row.updated_at),
    })
}

/// Opens the secret columns of a stored OAuth 1.0a row of `provider`.
fn open_oauth1_row(
    cipher: &Cipher,
    provider: Provider,
    row: OAuth1TokenRow,
) -> Result<StoredOAuth1Token, CryptoError> {
    let mut extra = BTreeMap::from([("user_id".to_owned(), row.provider_user_id.clone())]);
    if let Some(screen_name) = &row.screen_name {
        extra.insert("screen_name".to_owned(), screen_name.clone());
    }
    let at = [row.name.as_str(), row.provider_user_id.as_str()];
    let open = |column, sealed: &str| cipher.open(&sealed_at(column, &at), sealed);
    let token = OAuth1Token {
        oauth_token: AccessToken::new(open(SEALED_OAUTH1_TOKEN, &row.oauth_token)?),
        oauth_token_secret: TokenSecret::new(open(
            SEALED_OAUTH1_TOKEN_SECRET,
            &row.oauth_token_secret,
        )?),
        extra,
    };
    Ok(StoredOAuth1Token {
        user_id: row.user_id,
        provider,
        provider_user_id: row.provider_user_id,
        screen_name: row.screen_name,
        token,
        needs_reconnect: row.needs_reconnect,
        updated_at: from_db_time(row.updated_at),
    })
}

/// Removes user `user_id`'s connection to `provider`; true when there was one.
pub fn remove(conn: &mut Conn, user_id: UserId, provider: Provider) -> QueryResult<bool> {
    let name = provider.name();
    let removed = if provider.is_oauth1() {
        diesel::delete(
            oauth1_tokens::table
                .filter(oauth1_tokens::user_id.eq(user_id))
                .filter(oauth1_tokens::name.eq(name)),
        )
        .execute(conn)?
    } else {
        diesel::delete(
            oauth2_tokens::table
                .filter(oauth2_tokens::user_id.eq(user_id))
                .filter(oauth2_tokens::name.eq(name)),
        )
        .execute(conn)?
    };
    Ok(removed > 0)
}

/// Moves every connection of user `from` to user `into`; how many moved.
/// The caller has checked that the two share no provider, which the
/// unique key `(user_id, name)` would refuse.
pub fn move_all(conn: &mut Conn, from: UserId, into: UserId) -> QueryResult<usize> {
    let oauth1 = diesel::update(oauth1_tokens::table.filter(oauth1_tokens::user_id.eq(from)))
        .set(oauth1_tokens::user_id.eq(into))
        .execute(conn)?;
    let oauth2 = diesel::update(oauth2_tokens::table.filter(oauth2_tokens::user_id.eq(from)))
        .set(oauth2_tokens::user_id.eq(into))
        .execute(conn)?;
    Ok(oauth1 + oauth2)
}

/// Flags user `user_id`'s connection to `provider` as needing a new login
/// (the provider refused its tokens). Nothing is deleted.
pub fn mark_needs_reconnect(
    conn: &mut Conn,
    user_id: UserId,
    provider: Provider,
) -> QueryResult<bool> {
    let name = provider.name();
    let marked = if provider.is_oauth1() {
        diesel::update(
            oauth1_tokens::table
                .filter(oauth1_tokens::user_id.eq(user_id))
                .filter(oauth1_tokens::name.eq(name)),
        )
        .set((
            oauth1_tokens::needs_reconnect.eq(true),
            oauth1_tokens::updated_at.eq(now()),
        ))
        .execute(conn)?
    } else {
        diesel::update(
            oauth2_tokens::table
                .filter(oauth2_tokens::user_id.eq(user_id))
                .filter(oauth2_tokens::name.eq(name)),
        )
        .set((
            oauth2_tokens::needs_reconnect.eq(true),
            oauth2_tokens::updated_at.eq(now()),
        ))
        .execute(conn)?
    };
    Ok(marked > 0)
}

/// Records how the provider names user `user_id`'s account at OAuth 2.0
/// `provider` (`@login`, an e-mail address), for the pages to show.
pub fn set_account_label(
    conn: &mut Conn,
    user_id: UserId,
    provider: Provider,
    label: Option<&str>,
) -> QueryResult<bool> {
    diesel::update(
        oauth2_tokens::table
            .filter(oauth2_tokens::user_id.eq(user_id))
            .filter(oauth2_tokens::name.eq(provider.name())),
    )
    .set(oauth2_tokens::account_label.eq(label))
    .execute(conn)
    .map(|n| n > 0)
}

/// Every connection of user `user_id`, in the site's provider order. Rows
/// of providers the site no longer supports are left out.
pub fn list(conn: &mut Conn, user_id: UserId) -> QueryResult<Vec<Connection>> {
    let oauth1 = oauth1_tokens::table
        .filter(oauth1_tokens::user_id.eq(user_id))
        .select(OAuth1TokenRow::as_select())
        .load(conn)?
        .into_iter()
        .filter_map(|row| {
            Some(Connection {
                provider: Provider::from_name(&row.name)?,
                provider_user_id: row.provider_user_id,
                label: row.screen_name.map(|s| format!("@{s}")),
                scope: None,
                token_type: None,
                expires_at: None,
                refreshed_at: None,
                refreshable: false,
                needs_reconnect: row.needs_reconnect,
                connected_at: from_db_time(row.created_at),
            })
        });
    let oauth2 = oauth2_tokens::table
        .filter(oauth2_tokens::user_id.eq(user_id))
        .select(OAuth2TokenRow::as_select())
        .load(conn)?
        .into_iter()
        .filter_map(|row| {
            Some(Connection {
                provider: Provider::from_name(&row.name)?,
                provider_user_id: row.provider_user_id,
                label: row.account_label,
                scope: row.scope,
                token_type: Some(row.token_type),
                expires_at: row.expires_at.map(from_db_time),
                refreshed_at: row.refreshed_at.map(from_db_time),
                refreshable: row.refresh_token.is_some(),
                needs_reconnect: row.needs_reconnect,
                connected_at: from_db_time(row.created_at),
            })
        });
    let mut all: Vec<Connection> = oauth1.chain(oauth2).collect();
    all.sort_by_key(|c| c.provider);
    Ok(all)
}

/// User `user_id`'s connection to `provider`, if any.
pub fn find(
    conn: &mut Conn,
    user_id: UserId,
    provider: Provider,
) -> QueryResult<Option<Connection>> {
    Ok(list(conn, user_id)?
        .into_iter()
        .find(|c| c.provider == provider))
}

/// How many connections user `user_id` has, of either protocol, counting
/// only providers this site has: a connection of a provider dropped from
/// `OIDC_PROVIDERS` can log nobody in, so it must not let the last usable
/// one go.
pub fn count(conn: &mut Conn, user_id: UserId) -> QueryResult<i64> {
    Ok(i64::try_from(list(conn, user_id)?.len()).unwrap_or(i64::MAX))
}

/// True when user `user_id` has an identity at `provider` other than
/// `provider_user_id` connected.
pub fn has_other_identity(
    conn: &mut Conn,
    user_id: UserId,
    provider: Provider,
    provider_user_id: &str,
) -> QueryResult<bool> {
    let name = provider.name();
    let others: i64 = if provider.is_oauth1() {
        oauth1_tokens::table
            .filter(oauth1_tokens::user_id.eq(user_id))
            .filter(oauth1_tokens::name.eq(name))
            .filter(oauth1_tokens::provider_user_id.ne(provider_user_id))
            .count()
            .get_result(conn)?
    } else {
        oauth2_tokens::table
            .filter(oauth2_tokens::user_id.eq(user_id))
            .filter(oauth2_tokens::name.eq(name))
            .filter(oauth2_tokens::provider_user_id.ne(provider_user_id))
            .count()
            .get_result(conn)?
    };
    Ok(others > 0)
}

/// The account that holds the identity `provider_user_id` at `provider`.
pub fn owner(
    conn: &mut Conn,
    provider: Provider,
    provider_user_id: &str,
) -> QueryResult<Option<UserId>> {
    let name = provider.name();
    if provider.is_oauth1() {
        oauth1_tokens::table
            .filter(oauth1_tokens::name.eq(name))
            .filter(oauth1_tokens::provider_user_id.eq(provider_user_id))
            .select(oauth1_tokens::user_id)
            .get_result(conn)
            .optional()
    } else {
        oauth2_tokens::table
            .filter(oauth2_tokens::name.eq(name))
            .filter(oauth2_tokens::provider_user_id.eq(provider_user_id))
            .select(oauth2_tokens::user_id)
            .get_result(conn)
            .optional()
    }
}
