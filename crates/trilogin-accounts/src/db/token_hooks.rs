//! [`DbTokenHooks`]: the client layer's `fetch_token` / `update_token` /
//! `claim_refresh` hooks over the token tables, for one person.
//!
//! Several app processes may share the database, so the guarantees rest on
//! the database, not on process memory:
//!
//! - `update_token` is a compare-and-swap: the `UPDATE` only matches while
//!   the row still holds the sealed access token that was read and opened
//!   as `old`. Sealing uses a fresh nonce, so that ciphertext names exactly
//!   one write of the row; a concurrent refresh changes it and the loser's
//!   `UPDATE` matches nothing.
//! - `claim_refresh` is a short lease in `refresh_lease_until`, taken by
//!   one conditional `UPDATE`, so one process refreshes and the others wait
//!   for its token instead of spending a rotating refresh token twice. The
//!   lease names its holder (a random id per running app): a process never waits for its
//!   own lease (its in-process single flight already serialises its
//!   requests), and a refresh that fails gives the lease back at once
//!   (`release_refresh`), so the next request retries without waiting.
//!
//! Neither step needs an explicit transaction: each decision is one
//! conditional `UPDATE`, atomic on any database Diesel speaks to. (Under
//! SQLite's WAL, a read-then-write transaction that loses a race fails with
//! `SQLITE_BUSY` instead of waiting, which would turn a lost race into an
//! error.)

use std::sync::Arc;

use async_trait::async_trait;
use diesel::prelude::*;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use super::connections::{
    self, SEALED_ACCESS_TOKEN, SEALED_ID_TOKEN, SEALED_REFRESH_TOKEN, StoreError, oauth2_row,
    open_oauth2_row, sealed_at,
};
use super::schema::oauth2_tokens;
use super::{Conn, DbPool, now, to_db_time};
use crate::crypto::Cipher;
use crate::{Provider, UserId};
use trilogin_oauth::secret::random_token;
use trilogin_oauth::{self as oauth, OAuth2Token, RefreshClaim, Token, TokenHooks, UpdateOutcome};

/// How long a claimed refresh keeps other processes waiting. Longer than a
/// token request may take (client timeouts are seconds), short enough that
/// a process that died mid-refresh does not lock the token out for long.
pub const REFRESH_LEASE: Duration = Duration::seconds(30);

/// The name under which a running app holds refresh leases: random, made
/// once per app at start-up.
pub fn new_lease_holder() -> Arc<str> {
    random_token(16).into()
}

/// Token storage of one logged-in person.
#[derive(Clone)]
pub struct DbTokenHooks {
    /// The pool the queries run on (off the async executor).
    pub pool: DbPool,
    /// Opens and seals the secret columns.
    pub cipher: Cipher,
    /// This app's name as a refresh lease holder ([`new_lease_holder`]).
    pub lease_holder: Arc<str>,
    /// Whose tokens these are.
    pub user_id: UserId,
}

impl std::fmt::Debug for DbTokenHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbTokenHooks")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl DbTokenHooks {
    /// The hooks of user `user_id`, for the app named `lease_holder`.
    pub fn new(pool: DbPool, cipher: Cipher, lease_holder: Arc<str>, user_id: UserId) -> Self {
        Self {
            pool,
            cipher,
            lease_holder,
            user_id,
        }
    }

    /// Runs `f`, which only reads, on the connection to `client_name`,
    /// which must be a provider the site supports.
    async fn read<T, F>(&self, client_name: &str, f: F) -> oauth::Result<T>
    where
        F: FnOnce(&mut Conn, &Cipher, UserId, Provider) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        super::call(&self.pool, self.bind(client_name, f)?)
            .await
            .map_err(storage_error)
    }

    /// Runs `f`, which writes, as [`read`](Self::read) runs a read, through
    /// [`super::write`].
    async fn write<T, F>(&self, client_name: &str, f: F) -> oauth::Result<T>
    where
        F: FnOnce(&mut Conn, &Cipher, UserId, Provider) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        super::write(&self.pool, self.bind(client_name, f)?)
            .await
            .map_err(storage_error)
    }

    /// `f` with this user, the cipher and the provider of `client_name`.
    fn bind<T, F>(
        &self,
        client_name: &str,
        f: F,
    ) -> oauth::Result<impl FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static>
    where
        F: FnOnce(&mut Conn, &Cipher, UserId, Provider) -> Result<T, StoreError> + Send + 'static,
    {
        let provider = Provider::from_name(client_name)
            .ok_or_else(|| oauth::Error::NotConnected(client_name.to_owned()))?;
        let (cipher, user_id) = (self.cipher.clone(), self.user_id);
        Ok(move |conn: &mut Conn| f(conn, &cipher, user_id, provider))
    }
}

#[async_trait]
impl TokenHooks for DbTokenHooks {
    async fn fetch_token(&self, client_name: &str) -> oauth::Result<Option<Token>> {
        self.read(client_name, |conn, cipher, user_id, provider| {
            connections::load_token(conn, cipher, user_id, provider)
        })
        .await
    }

    async fn update_token(
        &self,
        client_name: &str,
        new: &OAuth2Token,
        old: &OAuth2Token,
    ) -> oauth::Result<UpdateOutcome> {
        let (new, old) = (new.clone(), old.clone());
        let outcome = self
            .write(client_name, move |conn, cipher, user_id, provider| {
                swap_oauth2_token(conn, cipher, user_id, provider, &new, &old)
            })
            .await?;
        outcome.ok_or_else(|| oauth::Error::NotConnected(client_name.to_owned()))
    }

    async fn claim_refresh(
        &self,
        client_name: &str,
        old: &OAuth2Token,
    ) -> oauth::Result<RefreshClaim> {
        let (old, holder) = (old.clone(), self.lease_holder.clone());
        self.write(client_name, move |conn, cipher, user_id, provider| {
            let lease = Lease {
                holder: &holder,
                at: OffsetDateTime::now_utc(),
            };
            claim_oauth2_refresh(conn, cipher, user_id, provider, &old, lease)
        })
        .await
    }

    async fn release_refresh(&self, client_name: &str, _old: &OAuth2Token) -> oauth::Result<()> {
        let holder = self.lease_holder.clone();
        self.write(client_name, move |conn, _, user_id, provider| {
            Ok(release_oauth2_refresh(conn, user_id, provider, &holder)?)
        })
        .await
        .map(|_| ())
    }
}

fn storage_error(error: anyhow::Error) -> oauth::Error {
    oauth::Error::Storage(format!("{error:#}"))
}

/// Who asks for a refresh lease, and when.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    /// The asking app ([`new_lease_holder`]).
    pub holder: &'a str,
    /// The time of the request.
    pub at: OffsetDateTime,
}

/// True when the opened `current` is still the token `old`: same access
/// token and same refresh token (compared in constant time).
fn still_holds(current: &OAuth2Token, old: &OAuth2Token) -> bool {
    let refresh_same = match (&current.refresh_token, &old.refresh_token) {
        (Some(a), Some(b)) => a.matches(b.secret()),
        (None, None) => true,
        _ => false,
    };
    current.access_token.matches(old.access_token.secret()) && refresh_same
}

/// Replaces `old` by `new` if the row still holds `old`. `None` when the
/// connection is gone; `Superseded` with the stored token when another
/// refresh won. The refresh token is kept when `new` brings none; the
/// lease and any "needs reconnect" mark are cleared.
pub fn swap_oauth2_token(
    conn: &mut Conn,
    cipher: &Cipher,
    user_id: UserId,
    provider: Provider,
    new: &OAuth2Token,
    old: &OAuth2Token,
) -> Result<Option<UpdateOutcome>, StoreError> {
    let Some(row) = oauth2_row(conn, user_id, provider)? else {
        return Ok(None);
    };
    let (seen, stored_id_token) = (row.access_token.clone(), row.id_token.clone());
    let current = open_oauth2_row(cipher, provider, row)?;
    if !still_holds(&current.token, old) {
        return Ok(Some(UpdateOutcome::Superseded(current.token)));
    }
    let at = [provider.name(), current.provider_user_id.as_str()];
    let access_token = cipher.seal(
        &sealed_at(SEALED_ACCESS_TOKEN, &at),
        new.access_token.secret(),
    )?;
    let refresh_token = new
        .refresh_token
        .as_ref()
        .or(old.refresh_token.as_ref())
        .map(|t| cipher.seal(&sealed_at(SEALED_REFRESH_TOKEN, &at), t.secret()))
        .transpose()?;
    // A refresh answer without an ID token keeps the login's one.
    let id_token = match &new.id_token {
        Some(t) => Some(cipher.seal(&sealed_at(SEALED_ID_TOKEN, &at), t.secret())?),
        None => stored_id_token,
    };
    let at = now();
    let refreshed = RefreshedColumns {
        access_token: &access_token,
        refresh_token: refresh_token.as_deref(),
        token_type: &new.token_type,
        expires_at: new.expires_at.map(to_db_time),
        scope: new.scope.as_deref().or(old.scope.as_deref()),
        id_token: id_token.as_deref(),
        needs_reconnect: false,
        refreshed_at: Some(at),
        refresh_lease_until: None,
        refresh_lease_holder: None,
        updated_at: at,
    };
    if replace_if_unchanged(conn, user_id, provider, &seen, &refreshed)? {
        return Ok(Some(UpdateOutcome::Saved));
    }
    // Another process wrote between our read and our update: its token wins.
    match connections::load_oauth2(conn, cipher, user_id, provider)? {
        Some(winner) => Ok(Some(UpdateOutcome::Superseded(winner.token))),
        None => Ok(None),
    }
}

/// The columns a refresh rewrites, secrets sealed.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = oauth2_tokens)]
#[diesel(treat_none_as_null = true)]
struct RefreshedColumns<'a> {
    access_token: &'a str,
    refresh_token: Option<&'a str>,
    token_type: &'a str,
    expires_at: Option<PrimitiveDateTime>,
    scope: Option<&'a str>,
    id_token: Option<&'a str>,
    needs_reconnect: bool,
    refreshed_at: Option<PrimitiveDateTime>,
    refresh_lease_until: Option<PrimitiveDateTime>,
    refresh_lease_holder: Option<&'a str>,
    updated_at: PrimitiveDateTime,
}

/// The swap itself: writes `columns` only while the row's sealed access
/// token is still `seen`, the text read before deciding. False when
/// another write came in between.
fn replace_if_unchanged(
    conn: &mut Conn,
    user_id: UserId,
    provider: Provider,
    seen: &str,
    columns: &RefreshedColumns<'_>,
) -> QueryResult<bool> {
    diesel::update(
        oauth2_tokens::table
            .filter(oauth2_tokens::user_id.eq(user_id))
            .filter(oauth2_tokens::name.eq(provider.name()))
            .filter(oauth2_tokens::access_token.eq(seen)),
    )
    .set(columns)
    .execute(conn)
    .map(|n| n == 1)
}

/// Takes the refresh lease of user `user_id`'s `provider` token for
/// [`REFRESH_LEASE`], if the row still holds `old` and no other process
/// holds an unexpired lease; a lease of `lease.holder` itself is taken
/// again. `Busy` otherwise (also when `old` was already replaced: the caller
/// then fetches the new token).
pub fn claim_oauth2_refresh(
    conn: &mut Conn,
    cipher: &Cipher,
    user_id: UserId,
    provider: Provider,
    old: &OAuth2Token,
    lease: Lease<'_>,
) -> Result<RefreshClaim, StoreError> {
    let Some(row) = oauth2_row(conn, user_id, provider)? else {
        return Ok(RefreshClaim::Busy);
    };
    let seen = row.access_token.clone();
    let current = open_oauth2_row(cipher, provider, row)?;
    if !still_holds(&current.token, old) {
        return Ok(RefreshClaim::Busy);
    }
    let now = to_db_time(lease.at);
    let claimed = diesel::update(
        oauth2_tokens::table
            .filter(oauth2_tokens::user_id.eq(user_id))
            .filter(oauth2_tokens::name.eq(provider.name()))
            .filter(oauth2_tokens::access_token.eq(&seen))
            .filter(
                oauth2_tokens::refresh_lease_until
                    .is_null()
                    .or(oauth2_tokens::refresh_lease_until.lt(now))
                    .or(oauth2_tokens::refresh_lease_holder.eq(lease.holder)),
            ),
    )
    .set((
        oauth2_tokens::refresh_lease_until.eq(Some(to_db_time(lease.at + REFRESH_LEASE))),
        oauth2_tokens::refresh_lease_holder.eq(Some(lease.holder)),
    ))
    .execute(conn)?;
    Ok(if claimed == 1 {
        RefreshClaim::Granted
    } else {
        RefreshClaim::Busy
    })
}

/// Gives up `holder`'s refresh lease of user `user_id`'s `provider` token, if
/// it still holds it; true when it did.
pub fn release_oauth2_refresh(
    conn: &mut Conn,
    user_id: UserId,
    provider: Provider,
    holder: &str,
) -> QueryResult<bool> {
    diesel::update(
        oauth2_tokens::table
            .filter(oauth2_tokens::user_id.eq(user_id))
            .filter(oauth2_tokens::name.eq(provider.name()))
            .filter(oauth2_tokens::refresh_lease_holder.eq(holder)),
    )
    .set((
        oauth2_tokens::refresh_lease_until.eq(None::<PrimitiveDateTime>),
        oauth2_tokens::refresh_lease_holder.eq(None::<&str>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::db::connections::{NewConnection, NewToken};
    use crate::db::fixtures::{TestDb, add_user};
    use trilogin_oauth::secret::{AccessToken, IdToken, RefreshToken};

    struct Fixture {
        _db: TestDb,
        hooks: DbTokenHooks,
    }

    fn fixture() -> Fixture {
        let db = TestDb::new();
        let user = add_user(&mut db.conn(), "Ada");
        db.save(&NewConnection {
            user_id: user,
            provider: Provider::GitHub,
            provider_user_id: "1",
            token: NewToken::OAuth2(&token("a1", "r1")),
        });
        let hooks = DbTokenHooks::new(db.pool.clone(), db.cipher.clone(), new_lease_holder(), user);
        Fixture { _db: db, hooks }
    }

    fn token(access: &str, refresh: &str) -> OAuth2Token {
        OAuth2Token {
            issued_at: None,
            access_token: AccessToken::new(access),
            token_type: "bearer".into(),
            refresh_token: (!refresh.is_empty()).then(|| RefreshToken::new(refresh)),
            expires_at: Some(OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap()),
            scope: Some("read:user".into()),
            id_token: Some(IdToken::new("id-1")),
            id_token_claims: None,
            extra: BTreeMap::new(),
            dpop_key: None,
        }
    }

    fn stored(f: &Fixture) -> connections::StoredOAuth2Token {
        let mut conn = f.hooks.pool.get().unwrap();
        connections::load_oauth2(
            &mut conn,
            &f.hooks.cipher,
            f.hooks.user_id,
            Provider::GitHub,
        )
        .unwrap()
        .unwrap()
    }

    #[tokio::test]
    async fn fetch_token_opens_the_stored_row_and_knows_nothing_of_other_providers() {
        let f = fixture();
        let Some(Token::OAuth2(fetched)) = f.hooks.fetch_token("github").await.unwrap() else {
            panic!("no OAuth 2 token fetched");
        };
        assert!(fetched.issued_at.is_some(), "a stored token knows its age");
        let fetched = OAuth2Token {
            issued_at: None,
            ..fetched
        };
        assert_eq!(fetched, token("a1", "r1"));
        assert_eq!(f.hooks.fetch_token("google").await.unwrap(), None);
    }

    #[tokio::test]
    async fn update_token_replaces_the_token_it_was_given_and_stamps_the_refresh() {
        let f = fixture();
        let mut new = token("a2", "");
        new.id_token = None;
        let outcome = f
            .hooks
            .update_token("github", &new, &token("a1", "r1"))
            .await
            .unwrap();
        assert_eq!(outcome, UpdateOutcome::Saved);
        let row = stored(&f);
        assert_eq!(row.token.access_token.secret(), "a2");
        assert_eq!(
            row.token.refresh_token.as_ref().map(RefreshToken::secret),
            Some("r1"),
            "a refresh answer without refresh token keeps the old one"
        );
        assert_eq!(row.token.id_token, Some(IdToken::new("id-1")));
        assert!(row.refreshed_at.is_some());
    }

    #[tokio::test]
    async fn update_token_with_a_stale_old_token_returns_the_winner_and_writes_nothing() {
        let f = fixture();
        let old = token("a1", "r1");
        let winner = token("a2", "r2");
        assert_eq!(
            f.hooks.update_token("github", &winner, &old).await.unwrap(),
            UpdateOutcome::Saved
        );
        let loser = token("a3", "r3");
        let outcome = f.hooks.update_token("github", &loser, &old).await.unwrap();
        let UpdateOutcome::Superseded(superseding) = outcome else {
            panic!("the loser's token was saved: {outcome:?}");
        };
        assert_eq!(superseding.access_token, winner.access_token);
        assert_eq!(stored(&f).token.access_token.secret(), "a2");
    }

    #[tokio::test]
    async fn the_swap_misses_when_another_write_came_after_the_read() {
        let f = fixture();
        let mut conn = f.hooks.pool.get().unwrap();
        let seen: String = oauth2_tokens::table
            .select(oauth2_tokens::access_token)
            .first(&mut conn)
            .unwrap();
        // Another process rewrites the row, even with the same plaintext:
        // a new seal, so the stored text no longer matches what was read.
        let (cipher, user) = (&f.hooks.cipher, f.hooks.user_id);
        let same = token("a1", "r1");
        let again = NewConnection {
            user_id: user,
            provider: Provider::GitHub,
            provider_user_id: "1",
            token: NewToken::OAuth2(&same),
        };
        connections::save(&mut conn, cipher, &again).unwrap();
        let at = now();
        let columns = RefreshedColumns {
            access_token: "sealed-a2",
            refresh_token: None,
            token_type: "bearer",
            expires_at: None,
            scope: None,
            id_token: None,
            needs_reconnect: false,
            refreshed_at: Some(at),
            refresh_lease_until: None,
            refresh_lease_holder: None,
            updated_at: at,
        };
        assert!(!replace_if_unchanged(&mut conn, user, Provider::GitHub, &seen, &columns).unwrap());
        drop(conn);
        assert_eq!(stored(&f).token.access_token.secret(), "a1");
    }

    #[tokio::test]
    async fn one_refresh_lease_at_a_time_until_it_expires_or_the_token_is_saved() {
        let f = fixture();
        let old = token("a1", "r1");
        let mut conn = f.hooks.pool.get().unwrap();
        let (cipher, user) = (&f.hooks.cipher, f.hooks.user_id);
        let t0 = OffsetDateTime::now_utc();
        let claim = |conn: &mut Conn, at| {
            let lease = Lease {
                holder: "process-a",
                at,
            };
            claim_oauth2_refresh(conn, cipher, user, Provider::GitHub, &old, lease).unwrap()
        };
        let claim_as_b = |conn: &mut Conn, at| {
            let lease = Lease {
                holder: "process-b",
                at,
            };
            claim_oauth2_refresh(conn, cipher, user, Provider::GitHub, &old, lease).unwrap()
        };
        assert_eq!(claim(&mut conn, t0), RefreshClaim::Granted);
        assert_eq!(claim_as_b(&mut conn, t0), RefreshClaim::Busy);
        assert_eq!(
            claim_as_b(&mut conn, t0 + Duration::seconds(10)),
            RefreshClaim::Busy
        );
        assert_eq!(
            claim(&mut conn, t0 + Duration::seconds(10)),
            RefreshClaim::Granted,
            "a process never waits for its own lease"
        );
        assert_eq!(
            claim_as_b(&mut conn, t0 + Duration::seconds(11) + REFRESH_LEASE),
            RefreshClaim::Granted,
            "a lease whose holder died expires"
        );
        drop(conn);
        f.hooks
            .update_token("github", &token("a2", "r2"), &old)
            .await
            .unwrap();
        assert_eq!(
            f.hooks.claim_refresh("github", &old).await.unwrap(),
            RefreshClaim::Busy,
            "a replaced token is not refreshed again"
        );
        assert_eq!(
            f.hooks
                .claim_refresh("github", &token("a2", "r2"))
                .await
                .unwrap(),
            RefreshClaim::Granted,
            "saving the new token released the lease"
        );
    }

    #[tokio::test]
    async fn a_released_lease_is_free_at_once_for_every_process() {
        let f = fixture();
        let old = token("a1", "r1");
        let mut conn = f.hooks.pool.get().unwrap();
        let (cipher, user) = (&f.hooks.cipher, f.hooks.user_id);
        let at = OffsetDateTime::now_utc();
        let lease = |holder| Lease { holder, at };
        let granted =
            claim_oauth2_refresh(&mut conn, cipher, user, Provider::GitHub, &old, lease("a"));
        assert_eq!(granted.unwrap(), RefreshClaim::Granted);
        assert!(!release_oauth2_refresh(&mut conn, user, Provider::GitHub, "b").unwrap());
        let busy =
            claim_oauth2_refresh(&mut conn, cipher, user, Provider::GitHub, &old, lease("b"));
        assert_eq!(
            busy.unwrap(),
            RefreshClaim::Busy,
            "b cannot release a's lease"
        );
        assert!(release_oauth2_refresh(&mut conn, user, Provider::GitHub, "a").unwrap());
        let again =
            claim_oauth2_refresh(&mut conn, cipher, user, Provider::GitHub, &old, lease("b"));
        assert_eq!(again.unwrap(), RefreshClaim::Granted);
    }

    #[tokio::test]
    async fn updating_a_connection_that_is_gone_says_not_connected() {
        let f = fixture();
        let mut conn = f.hooks.pool.get().unwrap();
        connections::remove(&mut conn, f.hooks.user_id, Provider::GitHub).unwrap();
        drop(conn);
        let err = f
            .hooks
            .update_token("github", &token("a2", "r2"), &token("a1", "r1"))
            .await
            .unwrap_err();
        assert!(matches!(err, oauth::Error::NotConnected(_)), "{err:?}");
    }
}
