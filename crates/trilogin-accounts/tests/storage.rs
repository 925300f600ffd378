//! The database: schema, pragmas, and tokens sealed at rest.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test set-up helpers fail loudly"
)]

use std::collections::BTreeMap;
use std::sync::Barrier;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use time::OffsetDateTime;
use trilogin_accounts::crypto::{Cipher, SecretKey};
use trilogin_accounts::db::connections::{self as store, NewConnection, NewToken, StoreError};
use trilogin_accounts::db::fixtures::{ScratchDatabase, TestDb, add_user, postgres_or_skip};
use trilogin_accounts::db::users;
use trilogin_accounts::db::{
    AnyConnection, Database, DbPool, PoolSettings, QueryResult, build_pool, run_migrations,
    write_transaction,
};
use trilogin_accounts::{Provider, UserId};
use trilogin_oauth::secret::{AccessToken, IdToken, RefreshToken, TokenSecret};
use trilogin_oauth::{OAuth1Token, OAuth2Token};

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

#[derive(QueryableByName)]
struct Timeout {
    #[diesel(sql_type = BigInt)]
    timeout: i64,
}

fn github_token() -> OAuth2Token {
    OAuth2Token {
        issued_at: None,
        access_token: AccessToken::new("ghu_plaintextAccessToken123"),
        token_type: "bearer".into(),
        refresh_token: Some(RefreshToken::new("ghr_plaintextRefreshToken456")),
        expires_at: Some(OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap()),
        scope: Some("read:user".into()),
        id_token: Some(IdToken::new("eyJplaintext.id.token")),
        id_token_claims: None,
        extra: BTreeMap::new(),
        dpop_key: None,
    }
}

/// `token` without the issue time storage gives it, to compare with
/// the token that was saved.
fn without_issue_time(token: OAuth2Token) -> OAuth2Token {
    OAuth2Token {
        issued_at: None,
        ..token
    }
}

fn save_oauth2(db: &TestDb, user_id: UserId, provider: Provider, id: &str, token: &OAuth2Token) {
    db.save(&NewConnection {
        user_id,
        provider,
        provider_user_id: id,
        token: NewToken::OAuth2(token),
    });
}

fn save_twitter(
    db: &TestDb,
    user_id: UserId,
    id: &str,
    screen_name: Option<&str>,
    token: &OAuth1Token,
) {
    db.save(&NewConnection {
        user_id,
        provider: Provider::Twitter,
        provider_user_id: id,
        token: NewToken::OAuth1 { token, screen_name },
    });
}

#[test]
fn a_fresh_database_gets_every_table() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let listing = match db.scratch.database {
        Database::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Database::Postgres(_) => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
        }
    };
    let tables: Vec<String> = diesel::sql_query(listing)
        .load::<Name>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    for table in [
        "oauth1_tokens",
        "oauth2_tokens",
        "pending_logins",
        "sessions",
        "users",
    ] {
        assert!(
            tables.contains(&table.to_owned()),
            "{table} missing from {tables:?}"
        );
    }
    if let Database::Sqlite(file) = &db.scratch.database {
        assert!(file.exists());
    }
}

#[test]
fn processes_starting_at_once_on_one_postgres_database_migrate_it_once() {
    let test = "processes_starting_at_once_on_one_postgres_database_migrate_it_once";
    if postgres_or_skip(test).is_none() {
        return;
    }
    let scratch = ScratchDatabase::on_postgres();
    let starts = 4;
    let pools: Vec<DbPool> = (0..starts)
        .map(|_| build_pool(&scratch.database, &PoolSettings::default()).unwrap())
        .collect();
    let barrier = Barrier::new(starts);
    let results: Vec<_> = std::thread::scope(|scope| {
        let started: Vec<_> = pools
            .iter()
            .map(|pool| {
                scope.spawn(|| {
                    barrier.wait();
                    run_migrations(pool).map_err(|e| e.to_string())
                })
            })
            .collect();
        started.into_iter().map(|s| s.join().unwrap()).collect()
    });
    for result in results {
        assert_eq!(result, Ok(()));
    }
    let applied: Number =
        diesel::sql_query("SELECT count(*) AS value FROM __diesel_schema_migrations")
            .get_result(&mut *pools[0].get().unwrap())
            .unwrap();
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(
        usize::try_from(applied.value).unwrap(),
        migrations,
        "each PostgreSQL migration applied once"
    );
}

#[test]
fn write_transactions_that_keep_colliding_on_one_row_all_succeed_in_the_end() {
    use trilogin_accounts::db::schema::users;
    let db = TestDb::new();
    let user_id = add_user(&mut db.conn(), "");
    let writers = 8;
    let barrier = Barrier::new(writers);
    // Each reads the row and writes what it read plus one mark: on
    // PostgreSQL (SERIALIZABLE) all but one of each round fail and run again.
    let results: Vec<QueryResult<()>> = std::thread::scope(|scope| {
        let started: Vec<_> = (0..writers)
            .map(|_| {
                scope.spawn(|| {
                    let mut conn = db.conn();
                    barrier.wait();
                    write_transaction(&mut conn, |conn| {
                        let marks: String = users::table
                            .find(user_id.get())
                            .select(users::display_name)
                            .first(conn)?;
                        diesel::update(users::table.find(user_id.get()))
                            .set(users::display_name.eq(format!("{marks}x")))
                            .execute(conn)?;
                        Ok(())
                    })
                })
            })
            .collect();
        started.into_iter().map(|s| s.join().unwrap()).collect()
    });
    for result in &results {
        assert!(result.is_ok(), "{result:?}");
    }
    let marks: String = users::table
        .find(user_id.get())
        .select(users::display_name)
        .first(&mut *db.conn())
        .unwrap();
    assert_eq!(marks.len(), writers, "no write was lost: {marks:?}");
}

#[test]
fn every_connection_is_set_up_for_its_backend() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let AnyConnection::Sqlite(sqlite) = &mut *conn else {
        let show = |conn: &mut AnyConnection, name: &str| -> String {
            diesel::sql_query(format!("SELECT current_setting('{name}') AS name"))
                .get_result::<Name>(conn)
                .unwrap()
                .name
        };
        assert_eq!(show(&mut conn, "statement_timeout"), "30s");
        assert_eq!(show(&mut conn, "TimeZone"), "UTC");
        return;
    };
    let mode: Vec<Name> = diesel::sql_query("SELECT journal_mode AS name FROM pragma_journal_mode")
        .load(sqlite)
        .unwrap();
    assert_eq!(mode[0].name, "wal");
    let pragma = |conn: &mut diesel::SqliteConnection, name: &str| -> i64 {
        diesel::sql_query(format!("SELECT {name} AS value FROM pragma_{name}"))
            .get_result::<Number>(conn)
            .unwrap()
            .value
    };
    assert_eq!(pragma(sqlite, "foreign_keys"), 1);
    let busy: Timeout = diesel::sql_query("PRAGMA busy_timeout")
        .get_result(sqlite)
        .unwrap();
    assert_eq!(busy.timeout, 5000);
    assert_eq!(pragma(sqlite, "synchronous"), 1, "NORMAL");
}

#[test]
fn a_saved_token_is_not_stored_in_plaintext_and_loads_back() {
    use trilogin_accounts::db::schema::oauth2_tokens;

    let db = TestDb::new();
    let (cipher, mut conn) = (&db.cipher, db.conn());
    let user_id = add_user(&mut conn, "Octo Cat");
    let token = github_token();
    save_oauth2(&db, user_id, Provider::GitHub, "583231", &token);

    let raw: (String, Option<String>, Option<String>) = oauth2_tokens::table
        .filter(oauth2_tokens::user_id.eq(user_id))
        .select((
            oauth2_tokens::access_token,
            oauth2_tokens::refresh_token,
            oauth2_tokens::id_token,
        ))
        .first(&mut conn)
        .unwrap();
    let (refresh, id) = (raw.1.unwrap(), raw.2.unwrap());
    for (column, plaintext) in [
        (&raw.0, "plaintextAccessToken"),
        (&refresh, "plaintextRefreshToken"),
        (&id, "eyJplaintext"),
    ] {
        assert!(column.starts_with("v2:"), "{column}");
        assert!(!column.contains(plaintext), "{column} holds the plaintext");
    }
    // Nor is it anywhere in the file.
    drop(conn);
    if let Database::Sqlite(path) = &db.scratch.database {
        let file = std::fs::read(path).unwrap();
        let wal = std::fs::read(path.with_extension("db-wal")).unwrap_or_default();
        for bytes in [&file, &wal] {
            assert!(
                !bytes.windows(20).any(|w| w == b"plaintextAccessToken"),
                "plaintext token found in the database files"
            );
        }
    }

    let mut conn = db.conn();
    let stored = store::load_oauth2(&mut conn, cipher, user_id, Provider::GitHub)
        .unwrap()
        .expect("stored token");
    // A stored token was issued when it was stored.
    let issued_at = stored
        .token
        .issued_at
        .expect("the time the token was stored");
    assert!((time::OffsetDateTime::now_utc() - issued_at).abs() < time::Duration::minutes(1));
    assert_eq!(without_issue_time(stored.token), token);
    assert_eq!(stored.provider_user_id, "583231");
    assert!(!stored.needs_reconnect);
}

#[test]
fn a_token_opened_with_another_key_fails_cleanly() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "Octo Cat");
    save_oauth2(&db, user_id, Provider::GitHub, "1", &github_token());
    let other =
        Cipher::new(&SecretKey::new("another key that is long enough!!".as_bytes()).unwrap());
    match store::load_oauth2(&mut conn, &other, user_id, Provider::GitHub) {
        Err(StoreError::Crypto(_)) => {}
        other => panic!("expected a crypto error, got {other:?}"),
    }
}

#[test]
fn a_sealed_token_copied_into_another_persons_row_does_not_open_there() {
    use trilogin_accounts::db::schema::{oauth1_tokens, oauth2_tokens};

    let db = TestDb::new();
    let (cipher, mut conn) = (&db.cipher, db.conn());
    let victim = add_user(&mut conn, "Victim");
    let attacker = add_user(&mut conn, "Attacker");
    let victims = OAuth2Token {
        issued_at: None,
        access_token: AccessToken::new("gho_victims_token"),
        ..github_token()
    };
    save_oauth2(&db, victim, Provider::GitHub, "1", &victims);
    save_oauth2(&db, attacker, Provider::GitHub, "2", &github_token());
    let twitter = OAuth1Token {
        oauth_token: AccessToken::new("12-victim"),
        oauth_token_secret: TokenSecret::new("victim-secret"),
        extra: BTreeMap::new(),
    };
    save_twitter(&db, victim, "12", None, &twitter);
    save_twitter(&db, attacker, "13", None, &twitter);

    // Someone who can write to the database moves the victim's sealed
    // values into the attacker's rows.
    let (access, refresh): (String, Option<String>) = oauth2_tokens::table
        .filter(oauth2_tokens::user_id.eq(victim))
        .select((oauth2_tokens::access_token, oauth2_tokens::refresh_token))
        .first(&mut conn)
        .unwrap();
    diesel::update(oauth2_tokens::table.filter(oauth2_tokens::user_id.eq(attacker)))
        .set((
            oauth2_tokens::access_token.eq(&access),
            oauth2_tokens::refresh_token.eq(&refresh),
        ))
        .execute(&mut conn)
        .unwrap();
    let secret: String = oauth1_tokens::table
        .filter(oauth1_tokens::user_id.eq(victim))
        .select(oauth1_tokens::oauth_token_secret)
        .first(&mut conn)
        .unwrap();
    diesel::update(oauth1_tokens::table.filter(oauth1_tokens::user_id.eq(attacker)))
        .set(oauth1_tokens::oauth_token_secret.eq(&secret))
        .execute(&mut conn)
        .unwrap();

    let moved = store::load_oauth2(&mut conn, cipher, attacker, Provider::GitHub);
    assert!(matches!(moved, Err(StoreError::Crypto(_))), "{moved:?}");
    let moved = store::load_oauth1(&mut conn, cipher, attacker, Provider::Twitter);
    assert!(matches!(moved, Err(StoreError::Crypto(_))), "{moved:?}");
    let kept = store::load_oauth2(&mut conn, cipher, victim, Provider::GitHub).unwrap();
    assert_eq!(
        without_issue_time(kept.unwrap().token),
        victims,
        "the victim's own row still opens"
    );
}

#[test]
fn saving_again_replaces_the_token_and_clears_stale_fields() {
    let db = TestDb::new();
    let (cipher, mut conn) = (&db.cipher, db.conn());
    let user_id = add_user(&mut conn, "Octo Cat");
    save_oauth2(&db, user_id, Provider::GitHub, "1", &github_token());
    store::mark_needs_reconnect(&mut conn, user_id, Provider::GitHub).unwrap();
    let plain = OAuth2Token {
        issued_at: None,
        access_token: AccessToken::new("gho_second"),
        refresh_token: None,
        expires_at: None,
        id_token: None,
        ..github_token()
    };
    save_oauth2(&db, user_id, Provider::GitHub, "1", &plain);
    let stored = store::load_oauth2(&mut conn, cipher, user_id, Provider::GitHub)
        .unwrap()
        .unwrap();
    assert_eq!(without_issue_time(stored.token), plain);
    assert!(!stored.needs_reconnect, "a new token reconnects");
    assert_eq!(store::list(&mut conn, user_id).unwrap().len(), 1);
}

#[test]
fn a_returning_identity_is_found_and_deleting_a_user_deletes_their_tokens() {
    let db = TestDb::new();
    let (cipher, mut conn) = (&db.cipher, db.conn());
    let user_id = add_user(&mut conn, "Jack");
    let token = OAuth1Token {
        oauth_token: AccessToken::new("12-plaintextOAuthToken"),
        oauth_token_secret: TokenSecret::new("plaintextTokenSecret"),
        extra: BTreeMap::new(),
    };
    save_twitter(&db, user_id, "12", Some("jack"), &token);
    save_oauth2(&db, user_id, Provider::GitHub, "7", &github_token());

    let found = store::owner(&mut conn, Provider::Twitter, "12").unwrap();
    assert_eq!(found, Some(user_id));
    assert!(
        store::owner(&mut conn, Provider::Twitter, "13")
            .unwrap()
            .is_none()
    );
    assert!(
        store::owner(&mut conn, Provider::GitHub, "12")
            .unwrap()
            .is_none()
    );

    let stored = store::load_oauth1(&mut conn, cipher, user_id, Provider::Twitter)
        .unwrap()
        .unwrap();
    assert_eq!(stored.token.oauth_token, token.oauth_token);
    assert_eq!(stored.token.oauth_token_secret, token.oauth_token_secret);
    assert_eq!(stored.screen_name.as_deref(), Some("jack"));

    assert!(users::delete_user(&mut conn, user_id).unwrap());
    assert!(
        store::load_oauth1(&mut conn, cipher, user_id, Provider::Twitter)
            .unwrap()
            .is_none()
    );
    assert!(store::list(&mut conn, user_id).unwrap().is_empty());
}

#[test]
fn deleting_a_connection_removes_only_that_provider() {
    let db = TestDb::new();
    let (cipher, mut conn) = (&db.cipher, db.conn());
    let user_id = add_user(&mut conn, "Ada");
    save_oauth2(&db, user_id, Provider::GitHub, "1", &github_token());
    save_oauth2(&db, user_id, Provider::Google, "g-1", &github_token());
    assert!(store::remove(&mut conn, user_id, Provider::GitHub).unwrap());
    assert!(!store::remove(&mut conn, user_id, Provider::GitHub).unwrap());
    assert!(
        store::load_oauth2(&mut conn, cipher, user_id, Provider::Google)
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_connection_of_a_provider_the_site_no_longer_has_is_not_a_way_to_log_in() {
    use trilogin_accounts::app::account::{RemoveError, remove_connection};
    use trilogin_accounts::db::schema::oauth2_tokens;

    let db = TestDb::new();
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "Ada");
    let retired = Provider::register_oidc("storage_retired", "Retired").unwrap();
    save_oauth2(&db, user_id, Provider::GitHub, "1", &github_token());
    save_oauth2(&db, user_id, retired, "r-1", &github_token());
    // A provider dropped from OIDC_PROVIDERS: no process knows its name.
    diesel::update(oauth2_tokens::table.filter(oauth2_tokens::name.eq("storage_retired")))
        .set(oauth2_tokens::name.eq("never_configured"))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(store::list(&mut conn, user_id).unwrap().len(), 1);
    assert_eq!(store::count(&mut conn, user_id).unwrap(), 1);
    assert!(matches!(
        remove_connection(&mut conn, user_id, Provider::GitHub),
        Err(RemoveError::LastConnection)
    ));
}

#[test]
fn a_dpop_key_is_sealed_in_its_token_row_kept_by_a_refresh_and_deleted_with_the_row() {
    use trilogin_accounts::db::schema::oauth2_tokens;
    use trilogin_accounts::db::token_hooks::swap_oauth2_token;
    use trilogin_oauth::UpdateOutcome;
    use trilogin_oauth::dpop::{DpopAlg, DpopKey};

    let db = TestDb::new();
    let (cipher, mut conn) = (&db.cipher, db.conn());
    let user_id = add_user(&mut conn, "Ada");
    let key = DpopKey::generate(DpopAlg::Es256).unwrap();
    let token = OAuth2Token {
        token_type: "DPoP".into(),
        dpop_key: Some(key.clone()),
        ..github_token()
    };
    save_oauth2(&db, user_id, Provider::Google, "sub-1", &token);

    let sealed: Option<String> = oauth2_tokens::table
        .filter(oauth2_tokens::user_id.eq(user_id))
        .select(oauth2_tokens::dpop_key)
        .first(&mut conn)
        .unwrap();
    let sealed = sealed.unwrap();
    let exported = key.export_secret();
    assert!(sealed.starts_with("v2:"), "{sealed}");
    assert!(!sealed.contains(&exported[6..30]), "the key is sealed");
    let stored = store::load_oauth2(&mut conn, cipher, user_id, Provider::Google)
        .unwrap()
        .unwrap();
    assert_eq!(stored.token.dpop_key.as_ref(), Some(&key));
    assert_eq!(stored.token.token_type, "DPoP");

    // A refresh answer comes back bound to the same key; the row keeps it.
    let refreshed = OAuth2Token {
        access_token: AccessToken::new("at-2"),
        ..stored.token.clone()
    };
    let outcome = swap_oauth2_token(
        &mut conn,
        cipher,
        user_id,
        Provider::Google,
        &refreshed,
        &stored.token,
    )
    .unwrap();
    assert_eq!(outcome, Some(UpdateOutcome::Saved));
    let after = store::load_oauth2(&mut conn, cipher, user_id, Provider::Google)
        .unwrap()
        .unwrap();
    assert_eq!(after.token.access_token.secret(), "at-2");
    assert_eq!(after.token.dpop_key, Some(key));

    assert!(store::remove(&mut conn, user_id, Provider::Google).unwrap());
    let keys: Vec<Option<String>> = oauth2_tokens::table
        .select(oauth2_tokens::dpop_key)
        .load(&mut conn)
        .unwrap();
    assert!(keys.is_empty());
}
