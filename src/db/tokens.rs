//! Saving and loading provider tokens, sealed at rest.
//!
//! Every secret column goes through [`Cipher`] with the column's name and
//! the row's identity `(name, provider_user_id)` as associated data (see
//! [`sealed_at`]); the `SEALED_*` constants are the column names. A stolen
//! database file alone yields no usable token, and a sealed token copied
//! into another person's row does not open.

use std::collections::BTreeMap;

use diesel::prelude::*;
use time::OffsetDateTime;

use super::models::{NewOAuth1Token, NewOAuth2Token, OAuth1TokenRow, OAuth2TokenRow};
use super::schema::{oauth1_tokens, oauth2_tokens};
use super::{from_db_time, now, to_db_time};
use crate::crypto::{Cipher, CryptoError, SealedAt};
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

/// Where a secret of the connection `(name, provider_user_id)` is sealed.
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

/// A stored OAuth 2.0 connection with its token opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOAuth2Token {
    /// Row id.
    pub id: i32,
    /// The owner.
    pub user_id: i32,
    /// Provider name.
    pub name: String,
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
    /// Row id.
    pub id: i32,
    /// The owner.
    pub user_id: i32,
    /// Provider name.
    pub name: String,
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

/// [`write_oauth2_token`] in a transaction of its own.
pub fn save_oauth2_token(
    conn: &mut SqliteConnection,
    cipher: &Cipher,
    user_id: i32,
    name: &str,
    provider_user_id: &str,
    token: &OAuth2Token,
) -> Result<(), StoreError> {
    conn.immediate_transaction(|conn| {
        write_oauth2_token(conn, cipher, user_id, name, provider_user_id, token)
    })
}

/// Stores `token` as user `user_id`'s connection to `name`, for the
/// identity `provider_user_id`. An earlier token of the same identity is
/// replaced (and the connection attached to `user_id`; the caller decides
/// who owns an identity, see [`super::users::find_by_identity`]); an
/// earlier connection of this user to another identity at `name` is removed.
///
/// Two statements: run it inside a write transaction
/// (`immediate_transaction`), as [`save_oauth2_token`] does.
pub fn write_oauth2_token(
    conn: &mut SqliteConnection,
    cipher: &Cipher,
    user_id: i32,
    name: &str,
    provider_user_id: &str,
    token: &OAuth2Token,
) -> Result<(), StoreError> {
    let row = [name, provider_user_id];
    let access_token = cipher.seal(
        &sealed_at(SEALED_ACCESS_TOKEN, &row),
        token.access_token.secret(),
    )?;
    let refresh_token = token
        .refresh_token
        .as_ref()
        .map(|t| cipher.seal(&sealed_at(SEALED_REFRESH_TOKEN, &row), t.secret()))
        .transpose()?;
    let id_token = token
        .id_token
        .as_ref()
        .map(|t| cipher.seal(&sealed_at(SEALED_ID_TOKEN, &row), t.secret()))
        .transpose()?;
    let new = NewOAuth2Token {
        user_id,
        name,
        provider_user_id,
        token_type: &token.token_type,
        access_token: &access_token,
        refresh_token: refresh_token.as_deref(),
        expires_at: token.expires_at.map(to_db_time),
        scope: token.scope.as_deref(),
        id_token: id_token.as_deref(),
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
    diesel::insert_into(oauth2_tokens::table)
        .values(&new)
        .on_conflict((oauth2_tokens::name, oauth2_tokens::provider_user_id))
        .do_update()
        .set(&new)
        .execute(conn)?;
    Ok(())
}

/// User `user_id`'s connection to `name`, with its token opened.
pub fn load_oauth2_token(
    conn: &mut SqliteConnection,
    cipher: &Cipher,
    user_id: i32,
    name: &str,
) -> Result<Option<StoredOAuth2Token>, StoreError> {
    let row = oauth2_tokens::table
        .filter(oauth2_tokens::user_id.eq(user_id))
        .filter(oauth2_tokens::name.eq(name))
        .select(OAuth2TokenRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|row| open_oauth2_row(cipher, row)).transpose()?)
}

/// Opens the secret columns of a stored OAuth 2.0 row.
pub fn open_oauth2_row(
    cipher: &Cipher,
    row: OAuth2TokenRow,
) -> Result<StoredOAuth2Token, CryptoError> {
    let at = [row.name.as_str(), row.provider_user_id.as_str()];
    let open = |column, sealed: &str| cipher.open(&sealed_at(column, &at), sealed);
    let token = OAuth2Token {
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
    };
    Ok(StoredOAuth2Token {
        id: row.id,
        user_id: row.user_id,
        name: row.name,
        provider_user_id: row.provider_user_id,
        token,
        needs_reconnect: row.needs_reconnect,
        refreshed_at: row.refreshed_at.map(from_db_time),
        updated_at: from_db_time(row.updated_at),
    })
}

/// Removes user `user_id`'s connection to `name`; true when there was one.
pub fn delete_oauth2_token(
    conn: &mut SqliteConnection,
    user_id: i32,
    name: &str,
) -> QueryResult<bool> {
    diesel::delete(
        oauth2_tokens::table
            .filter(oauth2_tokens::user_id.eq(user_id))
            .filter(oauth2_tokens::name.eq(name)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// Flags user `user_id`'s connection to `name` as needing a new login
/// (the provider refused a refresh). Nothing is deleted.
pub fn mark_oauth2_needs_reconnect(
    conn: &mut SqliteConnection,
    user_id: i32,
    name: &str,
) -> QueryResult<bool> {
    diesel::update(
        oauth2_tokens::table
            .filter(oauth2_tokens::user_id.eq(user_id))
            .filter(oauth2_tokens::name.eq(name)),
    )
    .set((
        oauth2_tokens::needs_reconnect.eq(true),
        oauth2_tokens::updated_at.eq(now()),
    ))
    .execute(conn)
    .map(|n| n > 0)
}

/// Records how the provider names user `user_id`'s account at `name`
/// (`@login`, an e-mail address), for the pages to show.
pub fn set_oauth2_account_label(
    conn: &mut SqliteConnection,
    user_id: i32,
    name: &str,
    label: Option<&str>,
) -> QueryResult<bool> {
    diesel::update(
        oauth2_tokens::table
            .filter(oauth2_tokens::user_id.eq(user_id))
            .filter(oauth2_tokens::name.eq(name)),
    )
    .set(oauth2_tokens::account_label.eq(label))
    .execute(conn)
    .map(|n| n > 0)
}

/// Every OAuth 2.0 connection of user `user_id`, secrets still sealed
/// (for pages that show status, not tokens).
pub fn oauth2_rows_for_user(
    conn: &mut SqliteConnection,
    user_id: i32,
) -> QueryResult<Vec<OAuth2TokenRow>> {
    oauth2_tokens::table
        .filter(oauth2_tokens::user_id.eq(user_id))
        .order(oauth2_tokens::name)
        .select(OAuth2TokenRow::as_select())
        .load(conn)
}

/// [`write_oauth1_token`] in a transaction of its own.
pub fn save_oauth1_token(
    conn: &mut SqliteConnection,
    cipher: &Cipher,
    user_id: i32,
    name: &str,
    provider_user_id: &str,
    screen_name: Option<&str>,
    token: &OAuth1Token,
) -> Result<(), StoreError> {
    conn.immediate_transaction(|conn| {
        write_oauth1_token(
            conn,
            cipher,
            user_id,
            name,
            provider_user_id,
            screen_name,
            token,
        )
    })
}

/// Stores OAuth 1.0a `token` as user `user_id`'s connection to `name`,
/// with the same replacement rules as [`write_oauth2_token`]; run it inside
/// a write transaction.
pub fn write_oauth1_token(
    conn: &mut SqliteConnection,
    cipher: &Cipher,
    user_id: i32,
    name: &str,
    provider_user_id: &str,
    screen_name: Option<&str>,
    token: &OAuth1Token,
) -> Result<(), StoreError> {
    let row = [name, provider_user_id];
    let oauth_token = cipher.seal(
        &sealed_at(SEALED_OAUTH1_TOKEN, &row),
        token.oauth_token.secret(),
    )?;
    let oauth_token_secret = cipher.seal(
        &sealed_at(SEALED_OAUTH1_TOKEN_SECRET, &row),
        token.oauth_token_secret.secret(),
    )?;
    let new = NewOAuth1Token {
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
    diesel::insert_into(oauth1_tokens::table)
        .values(&new)
        .on_conflict((oauth1_tokens::name, oauth1_tokens::provider_user_id))
        .do_update()
        .set(&new)
        .execute(conn)?;
    Ok(())
}

/// User `user_id`'s OAuth 1.0a connection to `name`, with its token opened.
pub fn load_oauth1_token(
    conn: &mut SqliteConnection,
    cipher: &Cipher,
    user_id: i32,
    name: &str,
) -> Result<Option<StoredOAuth1Token>, StoreError> {
    let row = oauth1_tokens::table
        .filter(oauth1_tokens::user_id.eq(user_id))
        .filter(oauth1_tokens::name.eq(name))
        .select(OAuth1TokenRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|row| open_oauth1_row(cipher, row)).transpose()?)
}

/// Opens the secret columns of a stored OAuth 1.0a row.
pub fn open_oauth1_row(
    cipher: &Cipher,
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
        id: row.id,
        user_id: row.user_id,
        name: row.name,
        provider_user_id: row.provider_user_id,
        screen_name: row.screen_name,
        token,
        needs_reconnect: row.needs_reconnect,
        updated_at: from_db_time(row.updated_at),
    })
}

/// Removes user `user_id`'s OAuth 1.0a connection to `name`; true when there was one.
pub fn delete_oauth1_token(
    conn: &mut SqliteConnection,
    user_id: i32,
    name: &str,
) -> QueryResult<bool> {
    diesel::delete(
        oauth1_tokens::table
            .filter(oauth1_tokens::user_id.eq(user_id))
            .filter(oauth1_tokens::name.eq(name)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// Flags user `user_id`'s OAuth 1.0a connection to `name` as needing a new login.
pub fn mark_oauth1_needs_reconnect(
    conn: &mut SqliteConnection,
    user_id: i32,
    name: &str,
) -> QueryResult<bool> {
    diesel::update(
        oauth1_tokens::table
            .filter(oauth1_tokens::user_id.eq(user_id))
            .filter(oauth1_tokens::name.eq(name)),
    )
    .set((
        oauth1_tokens::needs_reconnect.eq(true),
        oauth1_tokens::updated_at.eq(now()),
    ))
    .execute(conn)
    .map(|n| n > 0)
}

/// Every OAuth 1.0a connection of user `user_id`, secrets still sealed.
pub fn oauth1_rows_for_user(
    conn: &mut SqliteConnection,
    user_id: i32,
) -> QueryResult<Vec<OAuth1TokenRow>> {
    oauth1_tokens::table
        .filter(oauth1_tokens::user_id.eq(user_id))
        .order(oauth1_tokens::name)
        .select(OAuth1TokenRow::as_select())
        .load(conn)
}
