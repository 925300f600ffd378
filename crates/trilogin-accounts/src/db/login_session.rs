//! [`DbLoginSession`]: the client layer's [`LoginSession`] over the
//! `pending_logins` table, for one browser.
//!
//! The browser is identified by its login binding, a random value kept in
//! its (server-side) session state; rows hold only its digest
//! ([`lookup_digest`]). The binding
//! survives the session key's renewal at login, so a login finished in one
//! tab leaves the others' pending logins intact. Values are sealed, bound
//! to their row (client and handle).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::models::NewPendingLogin;
use super::{DbPool, from_db_time, pending_logins, to_db_time, write};
use crate::crypto::{Cipher, SealedAt};
use trilogin_oauth::lookup_key::lookup_digest;
use trilogin_oauth::session::LoginSession;

/// Associated data of `pending_logins.value`.
const SEALED_PENDING_VALUE: &str = "pending_logins.value";

/// Pending logins of one browser, in the database.
#[derive(Clone)]
pub struct DbLoginSession {
    pool: DbPool,
    cipher: Cipher,
    binding: String,
}

impl std::fmt::Debug for DbLoginSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbLoginSession").finish_non_exhaustive()
    }
}

impl DbLoginSession {
    /// The pending logins of the browser whose session holds `binding`.
    pub fn new(pool: DbPool, cipher: Cipher, binding: &str) -> Self {
        Self {
            pool,
            cipher,
            binding: lookup_digest(binding),
        }
    }
}

fn sealed_at<'a>(row: &'a [&'a str; 2]) -> SealedAt<'a> {
    SealedAt::new(SEALED_PENDING_VALUE, row)
}

#[async_trait]
impl LoginSession for DbLoginSession {
    async fn save_pending(
        &self,
        client: &str,
        handle: &str,
        value: serde_json::Value,
        expires_at: OffsetDateTime,
        keep: usize,
    ) -> Result<(), String> {
        let sealed = self
            .cipher
            .seal(&sealed_at(&[client, handle]), &value.to_string())
            .map_err(|e| e.to_string())?;
        let (client, handle, binding) =
            (client.to_owned(), handle.to_owned(), self.binding.clone());
        write(&self.pool, move |conn| {
            let new = NewPendingLogin {
                client: &client,
                handle: &handle,
                binding: &binding,
                value: &sealed,
                expires_at: to_db_time(expires_at),
            };
            pending_logins::insert_pending(conn, &new, keep)
        })
        .await
        .map_err(|e| format!("cannot save the pending login: {e:#}"))
    }

    async fn take_pending(
        &self,
        client: &str,
        handle: &str,
        now: OffsetDateTime,
    ) -> Result<Option<serde_json::Value>, String> {
        let (c, h, binding) = (client.to_owned(), handle.to_owned(), self.binding.clone());
        let taken = write(&self.pool, move |conn| {
            pending_logins::take_pending(conn, &c, &h, &binding)
        })
        .await
        .map_err(|e| format!("cannot read the pending login: {e:#}"))?;
        let Some((sealed, expires_at)) = taken else {
            return Ok(None);
        };
        if from_db_time(expires_at) <= now {
            return Ok(None);
        }
        let json = self
            .cipher
            .open(&sealed_at(&[client, handle]), &sealed)
            .map_err(|e| format!("cannot open the pending login: {e}"))?;
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| format!("the pending login does not parse: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::db::fixtures::TestDb;

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[tokio::test]
    async fn a_pending_login_is_taken_once_and_only_by_its_browser() {
        let db = TestDb::new();
        let (pool, cipher) = (db.pool.clone(), db.cipher.clone());
        let mine = DbLoginSession::new(pool.clone(), cipher.clone(), "browser-a");
        let theirs = DbLoginSession::new(pool, cipher, "browser-b");
        let later = now() + Duration::minutes(10);
        let value = serde_json::json!({"verifier": "v"});
        mine.save_pending("github", "h1", value.clone(), later, 5)
            .await
            .unwrap();
        assert_eq!(
            theirs.take_pending("github", "h1", now()).await.unwrap(),
            None
        );
        assert_eq!(
            mine.take_pending("google", "h1", now()).await.unwrap(),
            None
        );
        assert_eq!(
            mine.take_pending("github", "h1", now()).await.unwrap(),
            Some(value)
        );
        assert_eq!(
            mine.take_pending("github", "h1", now()).await.unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn an_expired_pending_login_is_gone_and_the_cap_drops_the_oldest() {
        let db = TestDb::new();
        let (pool, cipher) = (db.pool.clone(), db.cipher.clone());
        let session = DbLoginSession::new(pool, cipher, "browser");
        let soon = now() + Duration::seconds(1);
        session
            .save_pending("github", "old", 0.into(), soon, 5)
            .await
            .unwrap();
        let after = now() + Duration::seconds(2);
        assert_eq!(
            session.take_pending("github", "old", after).await.unwrap(),
            None
        );
        let later = now() + Duration::minutes(10);
        for i in 0..4 {
            let handle = format!("h{i}");
            session
                .save_pending("github", &handle, i.into(), later, 3)
                .await
                .unwrap();
        }
        assert_eq!(
            session.take_pending("github", "h0", now()).await.unwrap(),
            None
        );
        for i in 1..4 {
            let taken = session
                .take_pending("github", &format!("h{i}"), now())
                .await;
            assert_eq!(taken.unwrap(), Some(i.into()));
        }
    }

    #[tokio::test]
    async fn the_value_is_sealed_and_bound_to_its_row() {
        use diesel::prelude::*;

        use crate::db::schema::pending_logins::dsl;

        let db = TestDb::new();
        let (pool, cipher) = (db.pool.clone(), db.cipher.clone());
        let session = DbLoginSession::new(pool.clone(), cipher, "browser");
        let later = now() + Duration::minutes(10);
        let secret = serde_json::json!({"verifier": "pkce-verifier-secret"});
        session
            .save_pending("github", "h1", secret.clone(), later, 5)
            .await
            .unwrap();
        session
            .save_pending("github", "h2", 2.into(), later, 5)
            .await
            .unwrap();
        let mut conn = pool.get().unwrap();
        let values: Vec<String> = dsl::pending_logins
            .select(dsl::value)
            .load(&mut conn)
            .unwrap();
        assert!(
            values
                .iter()
                .all(|v| v.starts_with("v2:") && !v.contains("pkce"))
        );
        // h1's sealed value copied into h2's row does not open there.
        diesel::update(dsl::pending_logins.filter(dsl::handle.eq("h2")))
            .set(dsl::value.eq(&values[0]))
            .execute(&mut conn)
            .unwrap();
        drop(conn);
        let moved = session.take_pending("github", "h2", now()).await;
        assert!(moved.unwrap_err().contains("cannot open"));
        assert_eq!(
            session.take_pending("github", "h1", now()).await.unwrap(),
            Some(secret)
        );
    }
}
