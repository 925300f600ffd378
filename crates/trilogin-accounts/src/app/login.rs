//! Logging in and connecting a provider: after the provider's callback
//! yields a token, find out who the person is there, then record the
//! login in one transaction.
//!
//! A person is recognised by the pair (provider, provider user id) and by
//! nothing else: accounts are never linked by e-mail address, because
//! anyone can claim an address at some provider.

use std::collections::BTreeMap;

use serde_json::Value;
use url::Url;

use super::services::Services;
use crate::crypto::Cipher;
use crate::db::connections::{self, NewConnection, NewToken, StoreError};
use crate::db::models::{NewUser, User};
use crate::db::{self, Conn, QueryError, QueryResult, users};
use crate::providers::{Profile, github, oidc, twitter};
use crate::{Provider, UserId};
use trilogin_oauth::session::LoginSession;
use trilogin_oauth::{self as oauth, ApiRequest, Client, OAuth, OAuth1Token, OAuth2Token, Token};

/// What a login did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginKind {
    /// Someone logged in with an identity the site knew.
    Returning,
    /// Someone logged in for the first time: a new account.
    NewAccount,
    /// A logged-in person connected this provider to their account (or
    /// connected it again).
    Connected,
    /// A logged-in person logged in with an identity that belongs to
    /// another account here: they have just proven control of both, so
    /// the site offers to merge them ([`super::merge`]). Nothing moved; the
    /// fresh token went to the identity's own account.
    OtherAccount {
        /// The account the identity belongs to.
        owner: UserId,
    },
}

/// The result of a recorded login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    /// The account now logged in.
    pub user: User,
    /// How the login went.
    pub kind: LoginKind,
}

/// Why a login was refused after the provider said yes. Nothing was
/// written; each variant's text is what the person reads.
#[derive(Debug, thiserror::Error)]
pub enum LoginRefused {
    /// The logged-in person has a different identity of this provider
    /// connected already.
    #[error(
        "Your account is already connected to a different {0} account. Disconnect it on the account page first."
    )]
    OtherIdentityConnected(Provider),
}

/// A login could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The login was refused (see [`LoginRefused`]).
    #[error(transparent)]
    Refused(#[from] LoginRefused),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<QueryError> for RecordError {
    fn from(error: QueryError) -> Self {
        Self::Store(StoreError::Query(error))
    }
}

impl db::TransactionError for RecordError {
    fn query_error(&self) -> Option<&QueryError> {
        match self {
            Self::Store(e) => e.query_error(),
            Self::Refused(_) => None,
        }
    }
}

/// A login that did not happen. Nothing was written; the person is sent
/// home with [`LoginError::message`], the cause goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// No client is registered for the provider.
    #[error("{0} is not available")]
    Unavailable(Provider),
    /// The provider, the network or the protocol checks failed.
    #[error("{provider}: {source}")]
    OAuth {
        /// Which provider.
        provider: Provider,
        /// What went wrong.
        source: oauth::Error,
    },
    /// The provider said yes, but the site refuses the connection.
    #[error(transparent)]
    Refused(#[from] LoginRefused),
    /// The database failed.
    #[error("cannot record the login: {0:#}")]
    Storage(anyhow::Error),
}

impl LoginError {
    fn oauth(provider: Provider) -> impl FnOnce(oauth::Error) -> Self {
        move |source| Self::OAuth { provider, source }
    }

    /// What the person reads on the home page.
    pub fn message(&self) -> String {
        match self {
            Self::Unavailable(p) => format!("Logging in with {p} is not set up on this site."),
            Self::OAuth { provider, source } => oauth_message(*provider, source),
            Self::Refused(refused) => refused.to_string(),
            Self::Storage(_) => {
                "Your login could not be saved. Nothing was changed; please try again.".to_owned()
            }
        }
    }
}

fn oauth_message(p: Provider, error: &oauth::Error) -> String {
    use oauth::Error as E;
    match error {
        E::AccessDenied { .. } => {
            format!("You cancelled the login at {p}. Nothing was changed.")
        }
        E::StateMismatch => {
            format!("That {p} login link has expired or was already used. Please log in again.")
        }
        E::Transport(e) if e.is_timeout() => {
            format!("{p} did not answer in time. Please try again in a moment.")
        }
        E::Transport(_) => format!("{p} could not be reached. Please try again in a moment."),
        E::UnexpectedResponse { status, .. } if *status >= 500 => format!(
            "{p} is having trouble right now (error {status}). Please try again in a moment."
        ),
        E::UnexpectedResponse { .. } => {
            format!("{p} sent an answer this site could not understand. Please try again.")
        }
        E::Provider {
            error,
            description: Some(description),
            ..
        } if !description.trim().is_empty() => format!(
            "{p} refused the login: {} ({error}). Please try again.",
            provider_words(description)
        ),
        E::Provider { error, .. } => format!("{p} refused the login ({error}). Please try again."),
        E::IssuerMismatch(_) | E::InvalidIdToken(_) | E::InvalidUserinfo(_) => format!(
            "{p}'s answer failed this site's security checks, so you were not logged in. Please try again."
        ),
        E::ReauthorizationRequired { .. } => {
            format!("{p} did not accept the new login. Please try again.")
        }
        E::RateLimited { until } => {
            super::problem::rate_limited(p.label(), *until, time::OffsetDateTime::now_utc())
        }
        _ => format!("Logging in with {p} is not possible right now. Please try again later."),
    }
}

/// A provider's own description of an error, as the page quotes it: one
/// line, and not a wall of text.
fn provider_words(description: &str) -> String {
    const LONGEST: usize = 200;
    let line = description.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(LONGEST) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

/// The callback address registered at the provider for `provider`:
/// `{app_url}/auth/{provider}/callback`.
pub fn callback_url(app_url: &Url, provider: Provider) -> String {
    let mut url = app_url.clone();
    url.set_path(&format!("/auth/{}/callback", provider.name()));
    url.set_query(None);
    url.to_string()
}

/// Starts a login: the provider's address to send the browser to. What the
/// callback must match is kept in `session`.
pub async fn start_login(
    oauth: &OAuth,
    provider: Provider,
    session: &dyn LoginSession,
    app_url: &Url,
) -> Result<Url, LoginError> {
    let client = oauth
        .client(provider.name())
        .ok_or(LoginError::Unavailable(provider))?;
    client
        .authorize_redirect(session, &callback_url(app_url, provider), &[])
        .await
        .map_err(LoginError::oauth(provider))
}

/// Finishes a login from the callback's parameters: checks them and gets
/// the token, fetches the profile, then records the login (see
/// [`record_login`]). `current_user` is who is logged in already.
pub async fn finish_login(
    services: &Services,
    provider: Provider,
    session: &dyn LoginSession,
    params: &BTreeMap<String, String>,
    current_user: Option<UserId>,
) -> Result<LoggedIn, LoginError> {
    let client = services
        .oauth
        .client(provider.name())
        .ok_or(LoginError::Unavailable(provider))?;
    let token = client
        .authorize_access_token(session, params)
        .await
        .map_err(LoginError::oauth(provider))?;
    let profile = fetch_profile(client, provider, &token)
        .await
        .map_err(LoginError::oauth(provider))?;
    let cipher = services.cipher.clone();
    let recorded = db::write(&services.pool, move |conn| {
        Ok::<_, RecordError>(record_login(
            conn,
            &cipher,
            provider,
            &profile,
            &token,
            current_user,
        ))
    })
    .await
    .map_err(LoginError::Storage)?;
    match recorded {
        Ok(logged_in) => Ok(logged_in),
        Err(RecordError::Refused(refused)) => Err(refused.into()),
        Err(RecordError::Store(e)) => Err(LoginError::Storage(e.into())),
    }
}

/// Who the person is at `provider`, asked with the token the login just
/// obtained (it is not stored yet, so no storage hooks are involved).
pub async fn fetch_profile(
    client: &Client,
    provider: Provider,
    token: &Token,
) -> oauth::Result<Profile> {
    let mismatch = || oauth::Error::Config(format!("{provider}: token of the wrong protocol"));
    match (provider, token, client) {
        (Provider::Twitter, Token::OAuth1(token), Client::OAuth1(c)) => {
            twitter_profile(c, token).await
        }
        (Provider::GitHub, Token::OAuth2(token), Client::OAuth2(c)) => {
            github_profile(c, token).await
        }
        (provider, Token::OAuth2(token), Client::Oidc(c)) if provider.is_oidc() => {
            oidc_profile(c, provider, token).await
        }
        _ => Err(mismatch()),
    }
}

/// `account/verify_credentials.json`, signed with the new token.
async fn twitter_profile(
    client: &oauth::oauth1::OAuth1Client,
    token: &OAuth1Token,
) -> oauth::Result<Profile> {
    let response = client
        .request(&twitter::credentials_request(), token)
        .await?;
    twitter::profile(&json_body(response).await?)
}

/// `/user`, and `/user/emails` when the address is private.
async fn github_profile(
    client: &oauth::OAuth2Client,
    token: &OAuth2Token,
) -> oauth::Result<Profile> {
    let user = send(client, &github::user_request(), token).await?;
    let mut profile = github::profile(&user)?;
    if profile.email.is_none() {
        // Without the `user:email` scope GitHub refuses this call; the
        // address is a nicety, the identity is the numeric id.
        match send(client, &github::emails_request(), token).await {
            Ok(emails) => {
                if let Some((email, verified)) = github::primary_email(&emails) {
                    profile.email = Some(email);
                    profile.email_verified = verified;
                }
            }
            Err(e) => tracing::warn!(error = %e, "GitHub e-mail addresses unavailable"),
        }
    }
    Ok(profile)
}

/// The ID token's claims (validated by the login), completed by
/// userinfo. A userinfo answer about another subject fails the login; one
/// that does not come is no reason to: the ID token already says who it is.
async fn oidc_profile(
    client: &oauth::OidcClient,
    provider: Provider,
    token: &OAuth2Token,
) -> oauth::Result<Profile> {
    let claims = token.id_token_claims.as_ref().ok_or_else(|| {
        oauth::Error::InvalidIdToken("the login brought no validated ID token claims".into())
    })?;
    let mut merged = claims.to_json();
    match client.userinfo(token).await {
        Ok(userinfo) => {
            if let Value::Object(merged) = &mut merged {
                merged.extend(userinfo.all);
            }
        }
        Err(e @ oauth::Error::InvalidUserinfo(_)) => return Err(e),
        Err(e) => tracing::warn!(error = %e, "userinfo failed; using the ID token claims"),
    }
    oidc::profile(provider, &merged)
}

async fn send(
    client: &oauth::OAuth2Client,
    request: &ApiRequest,
    token: &OAuth2Token,
) -> oauth::Result<Value> {
    json_body(client.request_with_token(request, token).await?).await
}

/// The JSON body of a 200 answer; anything else is an unexpected response.
async fn json_body(response: reqwest::Response) -> oauth::Result<Value> {
    let status = response.status().as_u16();
    let body = response.text().await?;
    if status != 200 {
        return Err(oauth::Error::UnexpectedResponse {
            status,
            reason: "the profile request failed".into(),
            body,
        });
    }
    serde_json::from_str(&body).map_err(|e| oauth::Error::UnexpectedResponse {
        status,
        reason: format!("the profile is not JSON: {e}"),
        body,
    })
}

/// Records a login with `provider` as `profile`, holding `token`, in one
/// transaction.
///
/// Not logged in (`current_user` is `None`): the owner of the identity, or
/// a new account. Logged in: the provider is connected to the current
/// account, unless the account has another identity of this provider (then
/// nothing changes), or the identity belongs to another account (then its
/// token is stored there and the login offers to merge the two). A stored
/// token of the identity is replaced (its refresh token kept when the new
/// token brings none) and its "needs reconnect" mark cleared.
pub fn record_login(
    conn: &mut Conn,
    cipher: &Cipher,
    provider: Provider,
    profile: &Profile,
    token: &Token,
    current_user: Option<UserId>,
) -> Result<LoggedIn, RecordError> {
    db::write_transaction(conn, |conn| {
        let identity = profile.provider_user_id.as_str();
        let owner = match connections::owner(conn, provider, identity)? {
            Some(id) => users::find_user(conn, id)?,
            None => None,
        };
        let current = match current_user {
            // A session of a deleted account counts as logged out.
            Some(id) => users::find_user(conn, id)?,
            None => None,
        };
        let (user, kind) = match (current, owner) {
            (None, Some(owner)) => (owner, LoginKind::Returning),
            (None, None) => (create_user(conn, profile)?, LoginKind::NewAccount),
            (Some(current), Some(owner)) if owner.id != current.id => {
                // Proof of control of both accounts, never an e-mail
                // match: the merge itself waits for the person's yes.
                save_token(conn, cipher, owner.id, provider, profile, token)?;
                return Ok(LoggedIn {
                    user: current,
                    kind: LoginKind::OtherAccount { owner: owner.id },
                });
            }
            (Some(current), Some(_)) => (current, LoginKind::Connected),
            (Some(current), None) => {
                if connections::has_other_identity(conn, current.id, provider, identity)? {
                    return Err(LoginRefused::OtherIdentityConnected(provider).into());
                }
                (current, LoginKind::Connected)
            }
        };
        save_token(conn, cipher, user.id, provider, profile, token)?;
        let user = fill_empty_profile(conn, user, profile)?;
        Ok(LoggedIn { user, kind })
    })
}

fn create_user(conn: &mut Conn, profile: &Profile) -> QueryResult<User> {
    users::insert_user(
        conn,
        &NewUser {
            display_name: &profile.display_name,
            email: profile.email.as_deref(),
            avatar_url: profile.avatar_url.as_deref(),
        },
    )
}

fn save_token(
    conn: &mut Conn,
    cipher: &Cipher,
    user_id: UserId,
    provider: Provider,
    profile: &Profile,
    token: &Token,
) -> Result<(), StoreError> {
    let provider_user_id = profile.provider_user_id.as_str();
    let new = |token| NewConnection {
        user_id,
        provider,
        provider_user_id,
        token,
    };
    match token {
        Token::OAuth1(token) => {
            let screen_name = profile.username.as_deref();
            connections::write(conn, cipher, &new(NewToken::OAuth1 { token, screen_name }))
        }
        Token::OAuth2(token) => {
            let mut token = token.clone();
            if token.refresh_token.is_none() {
                // Providers send a refresh token only at the first consent
                // (Google without `prompt=consent`): keep the one we have.
                token.refresh_token = connections::load_oauth2(conn, cipher, user_id, provider)?
                    .filter(|stored| stored.provider_user_id == provider_user_id)
                    .and_then(|stored| stored.token.refresh_token);
            }
            connections::write(conn, cipher, &new(NewToken::OAuth2(&token)))?;
            // GitHub names the account by its login; OpenID Connect
            // providers by e-mail, handle or subject.
            let label = if provider.is_oidc() {
                Some(oidc::account_label(profile))
            } else {
                profile
                    .username
                    .as_ref()
                    .map(|login| format!("@{login}"))
                    .or_else(|| profile.email.clone())
            };
            connections::set_account_label(conn, user_id, provider, label.as_deref())?;
            Ok(())
        }
    }
}

/// Fills the account's display name and avatar from `profile` where they
/// are empty; what the person already has is kept.
fn fill_empty_profile(conn: &mut Conn, user: User, profile: &Profile) -> QueryResult<User> {
    let name_empty = user.display_name.trim().is_empty();
    let avatar_empty = user.avatar_url.is_none() && profile.avatar_url.is_some();
    if !name_empty && !avatar_empty {
        return Ok(user);
    }
    let display_name = if name_empty {
        profile.display_name.as_str()
    } else {
        user.display_name.as_str()
    };
    let update = NewUser {
        display_name,
        email: user.email.as_deref(),
        avatar_url: user.avatar_url.as_deref().or(profile.avatar_url.as_deref()),
    };
    users::update_profile(conn, user.id, &update)?;
    Ok(users::find_user(conn, user.id)?.unwrap_or(user))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::db::fixtures::TestDb;
    use trilogin_oauth::OAuth2Token;
    use trilogin_oauth::secret::{AccessToken, RefreshToken};

    #[test]
    fn a_provider_refusal_quotes_its_description_on_one_short_line() {
        let refused = |description: Option<&str>| {
            oauth_message(
                Provider::Google,
                &oauth::Error::Provider {
                    error: "invalid_request".into(),
                    description: description.map(str::to_owned),
                    status: 400,
                    body: String::new(),
                },
            )
        };
        assert_eq!(
            refused(Some("The request\nwas   refused.")),
            "Google refused the login: The request was refused. (invalid_request). Please try again."
        );
        assert_eq!(
            refused(None),
            "Google refused the login (invalid_request). Please try again."
        );
        assert_eq!(refused(Some("  ")), refused(None));
        let long = refused(Some(&"é".repeat(500)));
        assert!(
            long.contains(&format!("{}… (invalid_request)", "é".repeat(200))),
            "{long}"
        );
    }

    fn profile(id: &str, name: &str) -> Profile {
        Profile {
            provider_user_id: id.into(),
            display_name: name.into(),
            username: None,
            email: Some("same@example.com".into()),
            email_verified: true,
            avatar_url: Some(format!("https://img.example/{id}.png")),
        }
    }

    fn token(access: &str, refresh: Option<&str>) -> Token {
        Token::OAuth2(OAuth2Token {
            issued_at: None,
            access_token: AccessToken::new(access),
            token_type: "bearer".into(),
            refresh_token: refresh.map(RefreshToken::new),
            expires_at: None,
            scope: None,
            id_token: None,
            id_token_claims: None,
            extra: BTreeMap::new(),
            dpop_key: None,
        })
    }

    fn count_users(db: &TestDb) -> i64 {
        crate::db::fixtures::count_rows(&mut db.conn(), "users")
    }

    fn login(
        db: &TestDb,
        provider: Provider,
        profile: &Profile,
        token: &Token,
        current_user: Option<UserId>,
    ) -> Result<LoggedIn, RecordError> {
        record_login(
            &mut db.conn(),
            &db.cipher,
            provider,
            profile,
            token,
            current_user,
        )
    }

    /// A first login with `provider` as `id`, named `name`, holding the
    /// access token `access` and no refresh token.
    fn first_login(
        db: &TestDb,
        provider: Provider,
        id: &str,
        name: &str,
        access: &str,
    ) -> LoggedIn {
        login(db, provider, &profile(id, name), &token(access, None), None).unwrap()
    }

    fn stored_token(
        db: &TestDb,
        user_id: UserId,
        provider: Provider,
    ) -> Option<connections::StoredOAuth2Token> {
        connections::load_oauth2(&mut db.conn(), &db.cipher, user_id, provider).unwrap()
    }

    #[test]
    fn the_same_identity_finds_the_same_account_and_keeps_its_refresh_token() {
        let db = TestDb::new();
        let gh = Provider::GitHub;
        let first = login(
            &db,
            gh,
            &profile("1", "Ada"),
            &token("a1", Some("r1")),
            None,
        )
        .unwrap();
        assert_eq!(first.kind, LoginKind::NewAccount);
        let again = login(&db, gh, &profile("1", "Ada"), &token("a2", None), None).unwrap();
        assert_eq!(again.kind, LoginKind::Returning);
        assert_eq!(again.user.id, first.user.id);
        let stored = stored_token(&db, first.user.id, Provider::GitHub).unwrap();
        assert_eq!(stored.token.access_token.secret(), "a2");
        assert_eq!(stored.token.refresh_token.unwrap().secret(), "r1");
        assert_eq!(count_users(&db), 1);
    }

    #[test]
    fn a_second_provider_is_connected_but_an_equal_email_never_links_accounts() {
        let db = TestDb::new();
        let ada = first_login(&db, Provider::GitHub, "1", "Ada", "a");
        let stranger = first_login(&db, Provider::Google, "g1", "Ada?", "b");
        assert_eq!(
            stranger.kind,
            LoginKind::NewAccount,
            "same e-mail, other account"
        );
        assert_ne!(stranger.user.id, ada.user.id);
        let connected = login(
            &db,
            Provider::Google,
            &profile("g2", "Ada G"),
            &token("c", None),
            Some(ada.user.id),
        )
        .unwrap();
        assert_eq!(connected.kind, LoginKind::Connected);
        assert_eq!(connected.user.id, ada.user.id);
        assert_eq!(
            connected.user.display_name, "Ada",
            "a name already set is kept"
        );
    }

    #[test]
    fn logging_in_as_another_accounts_identity_offers_a_merge_and_moves_nothing() {
        let db = TestDb::new();
        let ada = first_login(&db, Provider::GitHub, "1", "Ada", "a");
        let grace = first_login(&db, Provider::Google, "g", "Grace", "g");
        let offered = login(
            &db,
            Provider::GitHub,
            &profile("1", "Ada"),
            &token("fresh", None),
            Some(grace.user.id),
        )
        .unwrap();
        assert_eq!(offered.kind, LoginKind::OtherAccount { owner: ada.user.id });
        assert_eq!(offered.user.id, grace.user.id, "still logged in as Grace");
        let stored = stored_token(&db, ada.user.id, Provider::GitHub).unwrap();
        assert_eq!(
            stored.token.access_token.secret(),
            "fresh",
            "the identity's own account keeps its newest token"
        );
        assert!(stored_token(&db, grace.user.id, Provider::GitHub).is_none());
    }

    #[test]
    fn a_second_identity_of_a_connected_provider_is_refused() {
        let db = TestDb::new();
        let ada = first_login(&db, Provider::GitHub, "1", "Ada", "a");
        let err = login(
            &db,
            Provider::GitHub,
            &profile("2", "Alt"),
            &token("b", None),
            Some(ada.user.id),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                RecordError::Refused(LoginRefused::OtherIdentityConnected(_))
            ),
            "{err:?}"
        );
        assert_eq!(count_users(&db), 1);
        let stored = stored_token(&db, ada.user.id, Provider::GitHub).unwrap();
        assert_eq!(stored.provider_user_id, "1");
    }

    #[test]
    fn re_login_clears_the_needs_reconnect_mark() {
        let db = TestDb::new();
        let ada = login(
            &db,
            Provider::GitHub,
            &profile("1", "Ada"),
            &token("a", Some("r")),
            None,
        )
        .unwrap();
        connections::mark_needs_reconnect(&mut db.conn(), ada.user.id, Provider::GitHub).unwrap();
        login(
            &db,
            Provider::GitHub,
            &profile("1", "Ada"),
            &token("a2", Some("r2")),
            None,
        )
        .unwrap();
        let stored = stored_token(&db, ada.user.id, Provider::GitHub).unwrap();
        assert!(!stored.needs_reconnect);
    }
}
