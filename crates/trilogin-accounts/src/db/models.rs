//! Row types (`Queryable`) and insert types (`NewX<'a>`, `Insertable`).
//!
//! Secret columns hold sealed text (see [`crate::crypto`]); the typed,
//! opened tokens are built in [`super::tokens`].

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::schema::{oauth1_tokens, oauth2_tokens, pending_logins, sessions, users};
use crate::UserId;

/// A person who has logged in at least once.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct User {
    /// Primary key.
    pub id: UserId,
    /// The name shown on pages, from the first provider's profile.
    pub display_name: String,
    /// E-mail address as a provider reported it; never used to match accounts.
    pub email: Option<String>,
    /// Profile picture URL.
    pub avatar_url: Option<String>,
    /// When the account was created (UTC).
    pub created_at: PrimitiveDateTime,
    /// When the profile last changed (UTC).
    pub updated_at: PrimitiveDateTime,
}

/// A user to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// See [`User::display_name`].
    pub display_name: &'a str,
    /// See [`User::email`].
    pub email: Option<&'a str>,
    /// See [`User::avatar_url`].
    pub avatar_url: Option<&'a str>,
}

/// A stored OAuth 1.0a connection, secrets still sealed.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Associations)]
#[diesel(belongs_to(User))]
#[diesel(table_name = oauth1_tokens)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct OAuth1TokenRow {
    /// Primary key.
    pub id: i32,
    /// The owner.
    pub user_id: UserId,
    /// The provider's registry name (`twitter`).
    pub name: String,
    /// The person's id at the provider.
    pub provider_user_id: String,
    /// The person's handle at the provider, when known.
    pub screen_name: Option<String>,
    /// Sealed `oauth_token`.
    pub oauth_token: String,
    /// Sealed `oauth_token_secret`.
    pub oauth_token_secret: String,
    /// The provider no longer accepts the token; the person must log in again.
    pub needs_reconnect: bool,
    /// When the connection was made (UTC).
    pub created_at: PrimitiveDateTime,
    /// When the token last changed (UTC).
    pub updated_at: PrimitiveDateTime,
}

/// An OAuth 1.0a connection to insert; secret fields are already sealed.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = oauth1_tokens)]
pub struct NewOAuth1Token<'a> {
    /// See [`OAuth1TokenRow::user_id`].
    pub user_id: UserId,
    /// See [`OAuth1TokenRow::name`].
    pub name: &'a str,
    /// See [`OAuth1TokenRow::provider_user_id`].
    pub provider_user_id: &'a str,
    /// See [`OAuth1TokenRow::screen_name`].
    pub screen_name: Option<&'a str>,
    /// Sealed `oauth_token`.
    pub oauth_token: &'a str,
    /// Sealed `oauth_token_secret`.
    pub oauth_token_secret: &'a str,
    /// See [`OAuth1TokenRow::needs_reconnect`].
    pub needs_reconnect: bool,
    /// Set on every write.
    pub updated_at: PrimitiveDateTime,
}

/// A stored OAuth 2.0 / OpenID Connect connection, secrets still sealed.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Associations)]
#[diesel(belongs_to(User))]
#[diesel(table_name = oauth2_tokens)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct OAuth2TokenRow {
    /// Primary key.
    pub id: i32,
    /// The owner.
    pub user_id: UserId,
    /// The provider's registry name (`github`, `google`).
    pub name: String,
    /// The person's id at the provider (GitHub's numeric id, Google's `sub`).
    pub provider_user_id: String,
    /// `token_type`, usually `Bearer`.
    pub token_type: String,
    /// Sealed access token.
    pub access_token: String,
    /// Sealed refresh token.
    pub refresh_token: Option<String>,
    /// When the access token expires (UTC).
    pub expires_at: Option<PrimitiveDateTime>,
    /// Granted scope.
    pub scope: Option<String>,
    /// Sealed ID token.
    pub id_token: Option<String>,
    /// A refresh was refused; the person must log in again.
    pub needs_reconnect: bool,
    /// When the token was last refreshed (UTC).
    pub refreshed_at: Option<PrimitiveDateTime>,
    /// Until when a process holds the right to refresh this token (UTC).
    pub refresh_lease_until: Option<PrimitiveDateTime>,
    /// When the connection was made (UTC).
    pub created_at: PrimitiveDateTime,
    /// When the token last changed (UTC).
    pub updated_at: PrimitiveDateTime,
    /// How the provider names the account (`@login`, an e-mail address).
    pub account_label: Option<String>,
    /// Sealed DPoP private key the tokens are bound to.
    pub dpop_key: Option<String>,
}

/// An OAuth 2.0 connection to insert; secret fields are already sealed.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = oauth2_tokens)]
// Absent optional values must overwrite what an earlier token stored.
#[diesel(treat_none_as_null = true)]
pub struct NewOAuth2Token<'a> {
    /// See [`OAuth2TokenRow::user_id`].
    pub user_id: UserId,
    /// See [`OAuth2TokenRow::name`].
    pub name: &'a str,
    /// See [`OAuth2TokenRow::provider_user_id`].
    pub provider_user_id: &'a str,
    /// See [`OAuth2TokenRow::token_type`].
    pub token_type: &'a str,
    /// Sealed access token.
    pub access_token: &'a str,
    /// Sealed refresh token.
    pub refresh_token: Option<&'a str>,
    /// See [`OAuth2TokenRow::expires_at`].
    pub expires_at: Option<PrimitiveDateTime>,
    /// See [`OAuth2TokenRow::scope`].
    pub scope: Option<&'a str>,
    /// Sealed ID token.
    pub id_token: Option<&'a str>,
    /// Sealed DPoP private key.
    pub dpop_key: Option<&'a str>,
    /// See [`OAuth2TokenRow::needs_reconnect`].
    pub needs_reconnect: bool,
    /// See [`OAuth2TokenRow::refresh_lease_until`]; a new token clears it.
    pub refresh_lease_until: Option<PrimitiveDateTime>,
    /// Set on every write.
    pub updated_at: PrimitiveDateTime,
}

/// A server-side session.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sessions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SessionRow {
    /// Digest of the session key the browser holds (its time of making,
    /// then its SHA-256 in hex; see `trilogin_oauth::lookup_key`).
    pub id: String,
    /// The session state, a JSON object of JSON-encoded values, sealed.
    pub state: String,
    /// When the session ends unless used again (UTC).
    pub expires_at: PrimitiveDateTime,
    /// When the session started (UTC).
    pub created_at: PrimitiveDateTime,
    /// When the state last changed (UTC).
    pub updated_at: PrimitiveDateTime,
    /// How far each use moves `expires_at` (seconds).
    pub ttl_seconds: i32,
    /// The account logged in, if any (see [`NewSession::user_id`]).
    pub user_id: Option<i32>,
}

/// A session to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    /// See [`SessionRow::id`].
    pub id: &'a str,
    /// See [`SessionRow::state`].
    pub state: &'a str,
    /// See [`SessionRow::expires_at`].
    pub expires_at: PrimitiveDateTime,
    /// See [`SessionRow::ttl_seconds`].
    pub ttl_seconds: i32,
    /// The account logged in, so that deleting it ends this session.
    pub user_id: Option<i32>,
}

/// A login that was started and waits for its callback.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = pending_logins)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct PendingLoginRow {
    /// Row id; a higher id was started later.
    pub id: i32,
    /// The OAuth client (provider) name.
    pub client: String,
    /// Digest of the state or OAuth 1 request token (see
    /// `trilogin_oauth::lookup_key`).
    pub handle: String,
    /// Digest of the login binding of the browser that started it.
    pub binding: String,
    /// What the callback must match, sealed.
    pub value: String,
    /// When the login can no longer be finished (UTC).
    pub expires_at: PrimitiveDateTime,
}

/// A pending login to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pending_logins)]
pub struct NewPendingLogin<'a> {
    /// See [`PendingLoginRow::client`].
    pub client: &'a str,
    /// See [`PendingLoginRow::handle`].
    pub handle: &'a str,
    /// See [`PendingLoginRow::binding`].
    pub binding: &'a str,
    /// See [`PendingLoginRow::value`].
    pub value: &'a str,
    /// See [`PendingLoginRow::expires_at`].
    pub expires_at: PrimitiveDateTime,
}
