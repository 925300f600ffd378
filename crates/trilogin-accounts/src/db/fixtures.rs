//! What tests read and write behind the app's back (cargo feature
//! `fixtures`): a fresh database, rows as they are stored, and the changes
//! time or an intruder would make (expiring sessions, moving sealed values,
//! dropping a table). Nothing here runs in the site.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "fixtures fail loudly: a test that cannot set up has nothing to check"
)]

use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::connections::{self, NewConnection};
use super::models::{NewUser, User};
use super::schema::{oauth1_tokens, oauth2_tokens, pending_logins, sessions, users};
use super::{Conn, DbConnection, DbPool, build_pool, run_migrations, users as user_rows};
use crate::UserId;
use crate::crypto::{Cipher, SecretKey};

/// A migrated database in a temporary folder, and a cipher.
pub struct TestDb {
    /// The folder holding the file; removed on drop.
    pub dir: tempfile::TempDir,
    /// The pool on it.
    pub pool: DbPool,
    /// A cipher under a fixed test key.
    pub cipher: Cipher,
}

impl TestDb {
    /// A fresh, migrated database.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pool = build_pool(&dir.path().join("test.db").to_string_lossy()).unwrap();
        run_migrations(&pool).unwrap();
        let cipher = Cipher::new(&SecretKey::new(vec![7u8; 32]).unwrap());
        Self { dir, pool, cipher }
    }

    /// A connection from the pool.
    pub fn conn(&self) -> DbConnection {
        self.pool.get().unwrap()
    }

    /// Stores `new`.
    pub fn save(&self, new: &NewConnection<'_>) {
        connections::save(&mut self.conn(), &self.cipher, new).unwrap();
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

/// A new account named `display_name`, with no e-mail address or avatar.
pub fn add_user(conn: &mut Conn, display_name: &str) -> UserId {
    user_rows::insert_user(
        conn,
        &NewUser {
            display_name,
            email: None,
            avatar_url: None,
        },
    )
    .unwrap()
    .id
}

/// Every account, oldest first.
pub fn all_users(conn: &mut Conn) -> Vec<User> {
    users::table
        .order(users::id)
        .select(User::as_select())
        .load(conn)
        .unwrap()
}

/// `(account, provider name, provider user id)` of every stored connection,
/// sorted.
pub fn all_identities(conn: &mut Conn) -> Vec<(UserId, String, String)> {
    let mut rows: Vec<(UserId, String, String)> = oauth2_tokens::table
        .select((
            oauth2_tokens::user_id,
            oauth2_tokens::name,
            oauth2_tokens::provider_user_id,
        ))
        .load(conn)
        .unwrap();
    rows.extend(
        oauth1_tokens::table
            .select((
                oauth1_tokens::user_id,
                oauth1_tokens::name,
                oauth1_tokens::provider_user_id,
            ))
            .load::<(UserId, String, String)>(conn)
            .unwrap(),
    );
    rows.sort();
    rows
}

/// The sealed access token column of the stored OAuth 2.0 connections,
/// as `(account, provider name, sealed value)`.
pub fn sealed_access_tokens(conn: &mut Conn) -> Vec<(UserId, String, String)> {
    oauth2_tokens::table
        .select((
            oauth2_tokens::user_id,
            oauth2_tokens::name,
            oauth2_tokens::access_token,
        ))
        .order(oauth2_tokens::id)
        .load(conn)
        .unwrap()
}

/// How many rows `table` has: `sessions`, `pending_logins` or `users`.
pub fn count_rows(conn: &mut Conn, table: &str) -> i64 {
    match table {
        "sessions" => sessions::table.count().get_result(conn),
        "pending_logins" => pending_logins::table.count().get_result(conn),
        "users" => users::table.count().get_result(conn),
        other => panic!("no fixture counts {other}"),
    }
    .unwrap()
}

/// `(id, sealed state, expiry)` of every session row, by id.
pub fn session_rows(conn: &mut Conn) -> Vec<(String, String, PrimitiveDateTime)> {
    sessions::table
        .select((sessions::id, sessions::state, sessions::expires_at))
        .order(sessions::id)
        .load(conn)
        .unwrap()
}

/// Sets the expiry of every session to `at`, as if time had passed.
pub fn set_session_expiry(conn: &mut Conn, at: PrimitiveDateTime) {
    diesel::update(sessions::table)
        .set(sessions::expires_at.eq(at))
        .execute(conn)
        .unwrap();
}

/// Writes `state` as it stands into the row of session `id`, or into every
/// session row when `id` is `None`: a copied sealed value, or a clear state
/// of an earlier release.
pub fn set_session_state(conn: &mut Conn, id: Option<&str>, state: &str) {
    match id {
        Some(id) => diesel::update(sessions::table.find(id))
            .set(sessions::state.eq(state))
            .execute(conn),
        None => diesel::update(sessions::table)
            .set(sessions::state.eq(state))
            .execute(conn),
    }
    .unwrap();
}

/// Drops the sessions table, so that every request that needs it fails.
pub fn drop_sessions_table(conn: &mut Conn) {
    conn.batch_execute("DROP TABLE sessions").unwrap();
}
