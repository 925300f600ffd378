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
use super::{
    Conn, Database, DbConnection, DbPool, PoolSettings, build_pool, run_migrations,
    users as user_rows,
};
use crate::UserId;
use crate::crypto::{Cipher, SecretKey};

/// The PostgreSQL server tests may use (`TEST_DATABASE_URL`), if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// The backend the tests run on: PostgreSQL when `TEST_DATABASE_URL` names
/// a server, unless `TEST_BACKEND=sqlite` keeps them on SQLite (CI runs the
/// suite both ways); SQLite otherwise.
pub fn test_backend() -> &'static str {
    let pinned_to_sqlite = std::env::var("TEST_BACKEND").is_ok_and(|b| b == "sqlite");
    if postgres_server().is_some() && !pinned_to_sqlite {
        "postgresql"
    } else {
        "sqlite"
    }
}

/// Says one line on the terminal even when the test harness captures the
/// output of passing tests: a skipped test must be seen.
pub fn skip_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// For a test that only makes sense on PostgreSQL: the server's URL, or
/// `None` after saying in one line that the test was skipped. With
/// `CI=true` a missing server fails the test instead.
pub fn postgres_or_skip(test: &str) -> Option<String> {
    let server = postgres_server();
    if server.is_none() {
        assert!(
            std::env::var("CI").map_or(true, |ci| ci != "true"),
            "{test}: TEST_DATABASE_URL is not set, and CI=true requires PostgreSQL"
        );
        skip_line(format_args!(
            "{test} skipped: set TEST_DATABASE_URL to a PostgreSQL server to run it"
        ));
    }
    server
}

/// A database of one test's own, dropped with it: a SQLite file in `dir`,
/// or on PostgreSQL (see [`test_backend`]) a new database on the server.
pub struct ScratchDatabase {
    /// Where it is.
    pub database: Database,
    /// The server and the database's name, to drop it.
    postgres: Option<(String, String)>,
}

impl ScratchDatabase {
    /// A new, empty database for one test.
    pub fn new(dir: &std::path::Path) -> Self {
        if test_backend() == "sqlite" {
            return Self {
                database: Database::Sqlite(dir.join("app.db")),
                postgres: None,
            };
        }
        Self::on_postgres()
    }

    /// A new database on the server of `TEST_DATABASE_URL`, whichever
    /// backend the other tests use.
    pub fn on_postgres() -> Self {
        let server = postgres_server().expect("TEST_DATABASE_URL names a PostgreSQL server");
        let name = format!("trilogin_test_{}", hex::encode(rand::random::<[u8; 8]>()));
        let mut admin = diesel::PgConnection::establish(&server)
            .unwrap_or_else(|e| panic!("cannot reach TEST_DATABASE_URL: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let mut url = url::Url::parse(&server).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        Self {
            database: Database::Postgres(url.to_string()),
            postgres: Some((server, name)),
        }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres
            && let Ok(mut admin) = diesel::PgConnection::establish(server)
        {
            // FORCE: the test's pool may still hold connections.
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// A migrated database of its own, and a cipher.
pub struct TestDb {
    /// The pool on it.
    pub pool: DbPool,
    /// A cipher under a fixed test key.
    pub cipher: Cipher,
    /// The database, dropped after the pool.
    pub scratch: ScratchDatabase,
    /// The folder of a SQLite file; removed on drop.
    pub dir: tempfile::TempDir,
}

impl TestDb {
    /// A fresh, migrated database.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let scratch = ScratchDatabase::new(dir.path());
        let pool = build_pool(&scratch.database, &PoolSettings::default()).unwrap();
        run_migrations(&pool).unwrap();
        let cipher = Cipher::new(&SecretKey::new(vec![7u8; 32]).unwrap());
        Self {
            pool,
            cipher,
            scratch,
            dir,
        }
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

/// The sealed DPoP key column of the stored OAuth 2.0 connections, as
/// `(provider name, sealed value)`.
pub fn sealed_dpop_keys(conn: &mut Conn) -> Vec<(String, Option<String>)> {
    oauth2_tokens::table
        .select((oauth2_tokens::name, oauth2_tokens::dpop_key))
        .order(oauth2_tokens::id)
        .load(conn)
        .unwrap()
}

/// The sealed value of every pending login.
pub fn sealed_pending_logins(conn: &mut Conn) -> Vec<String> {
    pending_logins::table
        .select(pending_logins::value)
        .order(pending_logins::id)
        .load(conn)
        .unwrap()
}

/// How many rows `table` has: `sessions`, `pending_logins` or `users`.
pub fn count_rows(conn: &mut Conn, table: &str) -> i64 {
    match table {
        "sessions" => sessions::table.count().get_result(conn),
        "pending_logins" => pending_logins::table.count().get_result(conn),
        "users" => users::table.count().get_result(conn),
        "oauth1_tokens" => oauth1_tokens::table.count().get_result(conn),
        "oauth2_tokens" => oauth2_tokens::table.count().get_result(conn),
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
