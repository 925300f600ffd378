//! The SQLite database: schema, pragmas, and tokens sealed at rest.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use time::OffsetDateTime;
use trilogin::config::SecretKey;
use trilogin::crypto::Cipher;
use trilogin::db::models::NewUser;
use trilogin::db::tokens::{self, StoreError};
use trilogin::db::users;
use trilogin_oauth::secret::{AccessToken, IdToken, RefreshToken, TokenSecret};
use trilogin_oauth::{OAuth1Token, OAuth2Token};

use trilogin_testing::spawn_app;

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

#[derive(QueryableByName)]
struct RawOAuth2Row {
    #[diesel(sql_type = Text)]
    access_token: String,
    #[diesel(sql_type = Text)]
    refresh_token: String,
    #[diesel(sql_type = Text)]
    id_token: String,
}

fn github_token() -> OAuth2Token {
    OAuth2Token {
        access_token: AccessToken::new("ghu_plaintextAccessToken123"),
        token_type: "bearer".into(),
        refresh_token: Some(RefreshToken::new("ghr_plaintextRefreshToken456")),
        expires_at: Some(OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap()),
        scope: Some("read:user".into()),
        id_token: Some(IdToken::new("eyJplaintext.id.token")),
        id_token_claims: None,
        extra: BTreeMap::new(),
    }
}

fn new_user(conn: &mut SqliteConnection, name: &str) -> i32 {
    users::insert_user(
        conn,
        &NewUser {
            display_name: name,
            email: None,
            avatar_url: None,
        },
    )
    .unwrap()
    .id
}

#[tokio::test]
async fn a_fresh_database_gets_every_table() {
    let app = spawn_app().await;
    let mut conn = app.db();
    let tables: Vec<String> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .load::<Name>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|t| t.name)
    .collect();
    for table in ["oauth1_tokens", "oauth2_tokens", "sessions", "users"] {
        assert!(
            tables.contains(&table.to_owned()),
            "{table} missing from {tables:?}"
        );
    }
    assert!(app.dir.path().join("app.db").exists());
}

#[tokio::test]
async fn every_connection_uses_wal_foreign_keys_and_a_busy_timeout() {
    let app = spawn_app().await;
    let mut conn = app.db();
    let mode: Vec<Name> = diesel::sql_query("SELECT journal_mode AS name FROM pragma_journal_mode")
        .load(&mut conn)
        .unwrap();
    assert_eq!(mode[0].name, "wal");
    let pragma = |conn: &mut SqliteConnection, name: &str| -> i64 {
        diesel::sql_query(format!("SELECT {name} AS value FROM pragma_{name}"))
            .get_result::<Number>(conn)
            .unwrap()
            .value
    };
    assert_eq!(pragma(&mut conn, "foreign_keys"), 1);
    let busy: Timeout = diesel::sql_query("PRAGMA busy_timeout")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(busy.timeout, 5000);
    assert_eq!(pragma(&mut conn, "synchronous"), 1, "NORMAL");
}

#[tokio::test]
async fn a_saved_token_is_not_stored_in_plaintext_and_loads_back() {
    let app = spawn_app().await;
    let mut conn = app.db();
    let cipher = &app.state.services.cipher;
    let user_id = new_user(&mut conn, "Octo Cat");
    let token = github_token();
    tokens::save_oauth2_token(&mut conn, cipher, user_id, "github", "583231", &token).unwrap();

    let raw: RawOAuth2Row = diesel::sql_query(
        "SELECT access_token, refresh_token, id_token FROM oauth2_tokens WHERE user_id = ?",
    )
    .bind::<diesel::sql_types::Integer, _>(user_id)
    .get_result(&mut conn)
    .unwrap();
    for (column, plaintext) in [
        (&raw.access_token, "plaintextAccessToken"),
        (&raw.refresh_token, "plaintextRefreshToken"),
        (&raw.id_token, "eyJplaintext"),
    ] {
        assert!(column.starts_with("v2:"), "{column}");
        assert!(!column.contains(plaintext), "{column} holds the plaintext");
    }
    // Nor is it anywhere in the file.
    drop(conn);
    let file = std::fs::read(app.dir.path().join("app.db")).unwrap();
    let wal = std::fs::read(app.dir.path().join("app.db-wal")).unwrap_or_default();
    for bytes in [&file, &wal] {
        assert!(
            !bytes.windows(20).any(|w| w == b"plaintextAccessToken"),
            "plaintext token found in the database files"
        );
    }

    let mut conn = app.db();
    let stored = tokens::load_oauth2_token(&mut conn, cipher, user_id, "github")
        .unwrap()
        .expect("stored token");
    assert_eq!(stored.token, token);
    assert_eq!(stored.provider_user_id, "583231");
    assert!(!stored.needs_reconnect);
}

#[tokio::test]
async fn a_token_opened_with_another_key_fails_cleanly() {
    let app = spawn_app().await;
    let mut conn = app.db();
    let user_id = new_user(&mut conn, "Octo Cat");
    tokens::save_oauth2_token(
        &mut conn,
        &app.state.services.cipher,
        user_id,
        "github",
        "1",
        &github_token(),
    )
    .unwrap();
    let other =
        Cipher::new(&SecretKey::new("another key that is long enough!!".as_bytes()).unwrap());
    match tokens::load_oauth2_token(&mut conn, &other, user_id, "github") {
        Err(StoreError::Crypto(_)) => {}
        other => panic!("expected a crypto error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_sealed_token_copied_into_another_persons_row_does_not_open_there() {
    use trilogin::db::schema::{oauth1_tokens, oauth2_tokens};

    let app = spawn_app().await;
    let mut conn = app.db();
    let cipher = &app.state.services.cipher;
    let victim = new_user(&mut conn, "Victim");
    let attacker = new_user(&mut conn, "Attacker");
    let victims = OAuth2Token {
        access_token: AccessToken::new("gho_victims_token"),
        ..github_token()
    };
    tokens::save_oauth2_token(&mut conn, cipher, victim, "github", "1", &victims).unwrap();
    tokens::save_oauth2_token(&mut conn, cipher, attacker, "github", "2", &github_token()).unwrap();
    let twitter = OAuth1Token {
        oauth_token: AccessToken::new("12-victim"),
        oauth_token_secret: TokenSecret::new("victim-secret"),
        extra: BTreeMap::new(),
    };
    tokens::save_oauth1_token(&mut conn, cipher, victim, "twitter", "12", None, &twitter).unwrap();
    tokens::save_oauth1_token(&mut conn, cipher, attacker, "twitter", "13", None, &twitter)
        .unwrap();

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

    let moved = tokens::load_oauth2_token(&mut conn, cipher, attacker, "github");
    assert!(matches!(moved, Err(StoreError::Crypto(_))), "{moved:?}");
    let moved = tokens::load_oauth1_token(&mut conn, cipher, attacker, "twitter");
    assert!(matches!(moved, Err(StoreError::Crypto(_))), "{moved:?}");
    let kept = tokens::load_oauth2_token(&mut conn, cipher, victim, "github").unwrap();
    assert_eq!(
        kept.unwrap().token,
        victims,
        "the victim's own row still opens"
    );
}

#[tokio::test]
async fn saving_again_replaces_the_token_and_clears_stale_fields() {
    let app = spawn_app().await;
    let mut conn = app.db();
    let cipher = &app.state.services.cipher;
    let user_id = new_user(&mut conn, "Octo Cat");
    tokens::save_oauth2_token(&mut conn, cipher, user_id, "github", "1", &github_token()).unwrap();
    tokens::mark_oauth2_needs_reconnect(&mut conn, user_id, "github").unwrap();
    let plain = OAuth2Token {
        access_token: AccessToken::new("gho_second"),
        refresh_token: None,
        expires_at: None,
        id_token: None,
        ..github_token()
    };
    tokens::save_oauth2_token(&mut conn, cipher, user_id, "github", "1", &plain).unwrap();
    let stored = tokens::load_oauth2_token(&mut conn, cipher, user_id, "github")
        .unwrap()
        .unwrap();
    assert_eq!(stored.token, plain);
    assert!(!stored.needs_reconnect, "a new token reconnects");
    assert_eq!(
        tokens::oauth2_rows_for_user(&mut conn, user_id)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_returning_identity_is_found_and_deleting_a_user_deletes_their_tokens() {
    let app = spawn_app().await;
    let mut conn = app.db();
    let cipher = &app.state.services.cipher;
    let user_id = new_user(&mut conn, "Jack");
    let token = OAuth1Token {
        oauth_token: AccessToken::new("12-plaintextOAuthToken"),
        oauth_token_secret: TokenSecret::new("plaintextTokenSecret"),
        extra: BTreeMap::new(),
    };
    tokens::save_oauth1_token(
        &mut conn,
        cipher,
        user_id,
        "twitter",
        "12",
        Some("jack"),
        &token,
    )
    .unwrap();
    tokens::save_oauth2_token(&mut conn, cipher, user_id, "github", "7", &github_token()).unwrap();

    let found = users::find_by_identity(&mut conn, "twitter", "12").unwrap();
    assert_eq!(found.map(|u| u.id), Some(user_id));
    assert!(
        users::find_by_identity(&mut conn, "twitter", "13")
            .unwrap()
            .is_none()
    );
    assert!(
        users::find_by_identity(&mut conn, "github", "12")
            .unwrap()
            .is_none()
    );

    let stored = tokens::load_oauth1_token(&mut conn, cipher, user_id, "twitter")
        .unwrap()
        .unwrap();
    assert_eq!(stored.token.oauth_token, token.oauth_token);
    assert_eq!(stored.token.oauth_token_secret, token.oauth_token_secret);
    assert_eq!(stored.screen_name.as_deref(), Some("jack"));

    assert!(users::delete_user(&mut conn, user_id).unwrap());
    assert!(
        tokens::load_oauth1_token(&mut conn, cipher, user_id, "twitter")
            .unwrap()
            .is_none()
    );
    assert!(
        tokens::oauth2_rows_for_user(&mut conn, user_id)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn deleting_a_connection_removes_only_that_provider() {
    let app = spawn_app().await;
    let mut conn = app.db();
    let cipher = &app.state.services.cipher;
    let user_id = new_user(&mut conn, "Ada");
    tokens::save_oauth2_token(&mut conn, cipher, user_id, "github", "1", &github_token()).unwrap();
    tokens::save_oauth2_token(&mut conn, cipher, user_id, "google", "g-1", &github_token())
        .unwrap();
    assert!(tokens::delete_oauth2_token(&mut conn, user_id, "github").unwrap());
    assert!(!tokens::delete_oauth2_token(&mut conn, user_id, "github").unwrap());
    assert!(
        tokens::load_oauth2_token(&mut conn, cipher, user_id, "google")
            .unwrap()
            .is_some()
    );
}
