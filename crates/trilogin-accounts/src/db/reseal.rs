//! The one-time upgrade of values sealed before rows were bound: `v1:`
//! token columns (sealed for their column alone) and session states stored
//! in clear are sealed again, bound to their row, at start-up.
//!
//! After this runs, nothing at run time opens a `v1:` value or reads a
//! clear state: a value copied between rows fails, whatever its age.

use diesel::prelude::*;

use super::Conn;
use super::connections::{
    SEALED_ACCESS_TOKEN, SEALED_ID_TOKEN, SEALED_OAUTH1_TOKEN, SEALED_OAUTH1_TOKEN_SECRET,
    SEALED_REFRESH_TOKEN, StoreError, sealed_at,
};
use super::schema::{oauth1_tokens, oauth2_tokens, sessions};
use super::sessions::SEALED_STATE;
use crate::crypto::{Cipher, SealedAt};

/// How many rows an upgrade rewrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Token rows (OAuth 1 and 2).
    pub tokens: usize,
    /// Session rows.
    pub sessions: usize,
}

/// Seals every `v1:` token column and every clear session state again,
/// bound to its row, in one write transaction.
pub fn reseal_legacy(conn: &mut Conn, cipher: &Cipher) -> Result<Resealed, StoreError> {
    super::write_transaction(conn, |conn| {
        let tokens = reseal_oauth2(conn, cipher)? + reseal_oauth1(conn, cipher)?;
        let sessions = seal_clear_sessions(conn, cipher)?;
        Ok(Resealed { tokens, sessions })
    })
}

/// `sealed` again for `column` of row `at`, if it is a `v1:` value.
fn upgrade(
    cipher: &Cipher,
    column: &str,
    at: &[&str; 2],
    sealed: &str,
) -> Result<Option<String>, StoreError> {
    if !Cipher::is_v1(sealed) {
        return Ok(None);
    }
    let plain = cipher.open_v1(column, sealed)?;
    Ok(Some(cipher.seal(&sealed_at(column, at), &plain)?))
}

type OAuth2Secrets = (i32, String, String, String, Option<String>, Option<String>);

fn reseal_oauth2(conn: &mut Conn, cipher: &Cipher) -> Result<usize, StoreError> {
    let rows: Vec<OAuth2Secrets> = oauth2_tokens::table
        .select((
            oauth2_tokens::id,
            oauth2_tokens::name,
            oauth2_tokens::provider_user_id,
            oauth2_tokens::access_token,
            oauth2_tokens::refresh_token,
            oauth2_tokens::id_token,
        ))
        .load(conn)?;
    let mut count = 0;
    for (id, name, provider_user_id, access, refresh, id_token) in rows {
        let at = [name.as_str(), provider_user_id.as_str()];
        let access = upgrade(cipher, SEALED_ACCESS_TOKEN, &at, &access)?;
        let refresh = match &refresh {
            Some(t) => upgrade(cipher, SEALED_REFRESH_TOKEN, &at, t)?.map(Some),
            None => None,
        };
        let id_token = match &id_token {
            Some(t) => upgrade(cipher, SEALED_ID_TOKEN, &at, t)?.map(Some),
            None => None,
        };
        if access.is_none() && refresh.is_none() && id_token.is_none() {
            continue;
        }
        let row = oauth2_tokens::table.find(id);
        if let Some(access) = access {
            diesel::update(row)
                .set(oauth2_tokens::access_token.eq(access))
                .execute(conn)?;
        }
        if let Some(refresh) = refresh {
            diesel::update(row)
                .set(oauth2_tokens::refresh_token.eq(refresh))
                .execute(conn)?;
        }
        if let Some(id_token) = id_token {
            diesel::update(row)
                .set(oauth2_tokens::id_token.eq(id_token))
                .execute(conn)?;
        }
        count += 1;
    }
    Ok(count)
}

fn reseal_oauth1(conn: &mut Conn, cipher: &Cipher) -> Result<usize, StoreError> {
    let rows: Vec<(i32, String, String, String, String)> = oauth1_tokens::table
        .select((
            oauth1_tokens::id,
            oauth1_tokens::name,
            oauth1_tokens::provider_user_id,
            oauth1_tokens::oauth_token,
            oauth1_tokens::oauth_token_secret,
        ))
        .load(conn)?;
    let mut count = 0;
    for (id, name, provider_user_id, token, secret) in rows {
        let at = [name.as_str(), provider_user_id.as_str()];
        let token = upgrade(cipher, SEALED_OAUTH1_TOKEN, &at, &token)?;
        let secret = upgrade(cipher, SEALED_OAUTH1_TOKEN_SECRET, &at, &secret)?;
        if token.is_none() && secret.is_none() {
            continue;
        }
        let row = oauth1_tokens::table.find(id);
        if let Some(token) = token {
            diesel::update(row)
                .set(oauth1_tokens::oauth_token.eq(token))
                .execute(conn)?;
        }
        if let Some(secret) = secret {
            diesel::update(row)
                .set(oauth1_tokens::oauth_token_secret.eq(secret))
                .execute(conn)?;
        }
        count += 1;
    }
    Ok(count)
}

/// Session states written before sessions were sealed are JSON objects.
fn seal_clear_sessions(conn: &mut Conn, cipher: &Cipher) -> Result<usize, StoreError> {
    let clear: Vec<(String, String)> = sessions::table
        .filter(sessions::state.like("{%"))
        .select((sessions::id, sessions::state))
        .load(conn)?;
    for (id, state) in &clear {
        let sealed = cipher.seal(&SealedAt::new(SEALED_STATE, &[id]), state)?;
        diesel::update(sessions::table.find(id))
            .set(sessions::state.eq(sealed))
            .execute(conn)?;
    }
    Ok(clear.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;
    use crate::db::connections::{self, NewConnection, NewToken};
    use crate::db::fixtures::{TestDb, add_user};
    use trilogin_oauth::OAuth2Token;
    use trilogin_oauth::secret::{AccessToken, IdToken, RefreshToken};

    #[test]
    fn v1_tokens_and_clear_sessions_are_sealed_again_bound_to_their_rows() {
        let db = TestDb::new();
        let (cipher, mut conn) = (&db.cipher, db.conn());
        let user = add_user(&mut conn, "Ada");
        let token = OAuth2Token {
            issued_at: None,
            access_token: AccessToken::new("gho_old"),
            token_type: "bearer".into(),
            refresh_token: Some(RefreshToken::new("ghr_old")),
            expires_at: None,
            scope: None,
            id_token: Some(IdToken::new("eyJ.old")),
            id_token_claims: None,
            extra: Default::default(),
            dpop_key: None,
        };
        db.save(&NewConnection {
            user_id: user,
            provider: Provider::GitHub,
            provider_user_id: "1",
            token: NewToken::OAuth2(&token),
        });
        // As a release before row binding stored them.
        diesel::update(oauth2_tokens::table)
            .set((
                oauth2_tokens::access_token.eq(cipher.seal_v1(SEALED_ACCESS_TOKEN, "gho_old")),
                oauth2_tokens::refresh_token.eq(cipher.seal_v1(SEALED_REFRESH_TOKEN, "ghr_old")),
                oauth2_tokens::id_token.eq(cipher.seal_v1(SEALED_ID_TOKEN, "eyJ.old")),
            ))
            .execute(&mut conn)
            .unwrap();
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq("s1"),
                sessions::state.eq(r#"{"user_id":"1"}"#),
                sessions::expires_at.eq(crate::db::now()),
            ))
            .execute(&mut conn)
            .unwrap();
        assert!(connections::load_oauth2(&mut conn, cipher, user, Provider::GitHub).is_err());

        let resealed = reseal_legacy(&mut conn, cipher).unwrap();
        assert_eq!(
            resealed,
            Resealed {
                tokens: 1,
                sessions: 1
            }
        );
        let stored = connections::load_oauth2(&mut conn, cipher, user, Provider::GitHub)
            .unwrap()
            .unwrap();
        let stored = OAuth2Token {
            issued_at: None,
            ..stored.token
        };
        assert_eq!(stored, token);
        let state: String = sessions::table
            .select(sessions::state)
            .first(&mut conn)
            .unwrap();
        let at = SealedAt::new(SEALED_STATE, &["s1"]);
        assert_eq!(cipher.open(&at, &state).unwrap(), r#"{"user_id":"1"}"#);
        assert_eq!(
            reseal_legacy(&mut conn, cipher).unwrap(),
            Resealed::default()
        );
    }
}
