//! `TypedSession`: the only way handlers touch the session, through named
//! keys: the logged-in user, flash messages, the CSRF token, where to go
//! after a login, the login binding that ties pending logins (kept in
//! their own table) to this browser, an open offer to merge accounts, and
//! after a logout the providers that can sign the person out too.

use std::future::{Ready, ready};

use actix_session::{Session, SessionExt as _};
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use crate::error::AppError;
use trilogin_accounts::UserId;
use trilogin_oauth::lookup_key::ordered_token;
use trilogin_oauth::secret::random_token;

const USER_ID: &str = "user_id";
const FLASH: &str = "flash";
const CSRF_TOKEN: &str = "csrf_token";
const NEXT_PATH: &str = "next_path";
const LOGIN_BINDING: &str = "login_binding";
const MERGE_OFFER: &str = "merge_offer";
const SIGN_OUT_OFFERS: &str = "sign_out_offers";
const PENDING_SIGN_OUT: &str = "pending_sign_out";

/// How long an offer to merge accounts stays open after the login that
/// proved control of the other account: a merge needs a fresh proof.
pub const MERGE_OFFER_TTL: time::Duration = time::Duration::minutes(10);

/// An open offer to merge another account into the logged-in one, made by
/// a login with one of the other account's identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeOffer {
    /// The other account.
    pub other: UserId,
    /// When the login proved it (Unix seconds).
    pub made_at: i64,
}

impl MergeOffer {
    /// True while the offer is younger than [`MERGE_OFFER_TTL`] at `now`.
    pub fn is_open(&self, now: time::OffsetDateTime) -> bool {
        let age = now.unix_timestamp().saturating_sub(self.made_at);
        (0..MERGE_OFFER_TTL.whole_seconds()).contains(&age)
    }
}

/// An OpenID Connect provider that can sign the person out too, offered on
/// the page after logout: its name, and the ID token for `id_token_hint`
/// (the session state is sealed at rest like the token columns).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOutOffer {
    /// The provider's name.
    pub provider: String,
    /// The connection's ID token, when one is stored.
    pub id_token: Option<String>,
}

impl std::fmt::Debug for SignOutOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignOutOffer")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// A sign-out sent to a provider, waiting for the browser to come back
/// with its `state`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignOut {
    /// The provider's name.
    pub provider: String,
    /// The `state` sent; compared in constant time on return.
    pub state: String,
}

impl PendingSignOut {
    /// True when `returned` is the `state` this sign-out sent.
    pub fn state_matches(&self, returned: &str) -> bool {
        self.state.as_bytes().ct_eq(returned.as_bytes()).into()
    }
}

/// True when a stored session state has someone logged in: such a session
/// lives for `SESSION_TTL`, any other only as long as a pending login.
pub fn state_is_logged_in(state: &std::collections::HashMap<String, String>) -> bool {
    state.contains_key(USER_ID)
}

/// The account a stored session state is logged in to, if any: the store
/// records it beside the sealed state, so that deleting the account can
/// end its sessions in every browser.
pub fn state_user_id(state: &std::collections::HashMap<String, String>) -> Option<UserId> {
    state
        .get(USER_ID)
        .and_then(|json| serde_json::from_str(json).ok())
}

/// How a flash message is styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    /// Neutral news.
    Info,
    /// Something worked.
    Success,
    /// Something failed; the text says what to do.
    Error,
}

/// A one-time message shown on the next page the browser renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// Style of the message.
    pub kind: FlashKind,
    /// The message (escaped when rendered).
    pub text: String,
}

/// The current browser's session, with typed accessors.
#[derive(Clone)]
pub struct TypedSession(Session);

impl TypedSession {
    /// Wraps the session of a request.
    pub fn new(session: Session) -> Self {
        Self(session)
    }

    /// The logged-in user's id, if someone is logged in.
    pub fn user_id(&self) -> Result<Option<UserId>, AppError> {
        self.0.get(USER_ID).map_err(AppError::internal)
    }

    /// Records who is logged in. Call [`TypedSession::renew`] first at login.
    pub fn set_user_id(&self, user_id: UserId) -> Result<(), AppError> {
        self.0.insert(USER_ID, user_id).map_err(AppError::internal)
    }

    /// Gives the session a new key, keeping its state: done at login so a
    /// key planted before login (session fixation) is worth nothing after it.
    pub fn renew(&self) {
        self.0.renew();
    }

    /// Ends the session: state deleted server-side, cookie removed.
    pub fn purge(&self) {
        self.0.purge();
    }

    /// Queues a message for the next rendered page.
    pub fn flash(&self, kind: FlashKind, text: impl Into<String>) -> Result<(), AppError> {
        let mut flashes = self.peek_flashes();
        flashes.push(Flash {
            kind,
            text: text.into(),
        });
        self.0.insert(FLASH, flashes).map_err(AppError::internal)
    }

    /// Takes the queued messages; each is shown once.
    pub fn take_flashes(&self) -> Vec<Flash> {
        let flashes = self.peek_flashes();
        if !flashes.is_empty() {
            self.0.remove(FLASH);
        }
        flashes
    }

    fn peek_flashes(&self) -> Vec<Flash> {
        // A state that no longer parses (older format) is dropped, not fatal.
        self.0.get(FLASH).ok().flatten().unwrap_or_default()
    }

    /// This session's CSRF token for POST forms, created on first use.
    pub fn csrf_token(&self) -> Result<String, AppError> {
        if let Some(token) = self.0.get::<String>(CSRF_TOKEN).ok().flatten() {
            return Ok(token);
        }
        let token = random_token(32);
        self.0
            .insert(CSRF_TOKEN, &token)
            .map_err(AppError::internal)?;
        Ok(token)
    }

    /// True when `submitted` is this session's CSRF token (constant time).
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        match self.0.get::<String>(CSRF_TOKEN).ok().flatten() {
            Some(token) => token.as_bytes().ct_eq(submitted.as_bytes()).into(),
            None => false,
        }
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn verify_csrf(&self, submitted: &str) -> Result<(), AppError> {
        if self.csrf_matches(submitted) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "This form has expired. Please go back, reload the page and try again.".to_owned(),
            ))
        }
    }

    /// Remembers where to go after the login under way; `None` forgets an
    /// earlier one. Only pass a path checked by [`super::next::same_site_path`].
    pub fn set_next_path(&self, path: Option<&str>) -> Result<(), AppError> {
        match path {
            Some(path) => self.0.insert(NEXT_PATH, path).map_err(AppError::internal),
            None => {
                self.0.remove(NEXT_PATH);
                Ok(())
            }
        }
    }

    /// Takes where to go after the login, if the login asked for somewhere.
    pub fn take_next_path(&self) -> Option<String> {
        let path = self.0.get::<String>(NEXT_PATH).ok().flatten();
        self.0.remove(NEXT_PATH);
        path
    }

    /// The random value that binds this browser's pending logins to it,
    /// created (and so written to the session) on first use. It is kept
    /// across [`renew`](Self::renew), so a login finished in one tab does
    /// not orphan the logins pending in others.
    pub fn login_binding(&self) -> Result<String, AppError> {
        if let Some(binding) = self.existing_login_binding() {
            return Ok(binding);
        }
        let binding = ordered_token(32);
        self.0
            .insert(LOGIN_BINDING, &binding)
            .map_err(AppError::internal)?;
        Ok(binding)
    }

    /// The login binding, if a login was ever started in this session.
    pub fn existing_login_binding(&self) -> Option<String> {
        self.0.get::<String>(LOGIN_BINDING).ok().flatten()
    }

    /// Opens an offer to merge account `other` into the logged-in one.
    pub fn offer_merge(&self, other: UserId) -> Result<(), AppError> {
        let offer = MergeOffer {
            other,
            made_at: time::OffsetDateTime::now_utc().unix_timestamp(),
        };
        self.0
            .insert(MERGE_OFFER, offer)
            .map_err(AppError::internal)
    }

    /// The open merge offer, if there is one and it is still open.
    pub fn merge_offer(&self) -> Option<MergeOffer> {
        self.0
            .get::<MergeOffer>(MERGE_OFFER)
            .ok()
            .flatten()
            .filter(|offer| offer.is_open(time::OffsetDateTime::now_utc()))
    }

    /// Takes the merge offer (single use): the open one, if any.
    pub fn take_merge_offer(&self) -> Option<MergeOffer> {
        let offer = self.merge_offer();
        self.0.remove(MERGE_OFFER);
        offer
    }

    /// Keeps the providers that can sign the person out too, after logout.
    pub fn set_sign_out_offers(&self, offers: &[SignOutOffer]) -> Result<(), AppError> {
        self.0
            .insert(SIGN_OUT_OFFERS, offers)
            .map_err(AppError::internal)
    }

    /// The providers that can still sign the person out too.
    pub fn sign_out_offers(&self) -> Vec<SignOutOffer> {
        self.0
            .get(SIGN_OUT_OFFERS)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Takes the offer of `provider` (single use); the others stay.
    pub fn take_sign_out_offer(&self, provider: &str) -> Result<Option<SignOutOffer>, AppError> {
        let mut offers = self.sign_out_offers();
        let Some(i) = offers.iter().position(|o| o.provider == provider) else {
            return Ok(None);
        };
        let offer = offers.remove(i);
        self.set_sign_out_offers(&offers)?;
        Ok(Some(offer))
    }

    /// Remembers the sign-out just sent to a provider.
    pub fn set_pending_sign_out(&self, pending: &PendingSignOut) -> Result<(), AppError> {
        self.0
            .insert(PENDING_SIGN_OUT, pending)
            .map_err(AppError::internal)
    }

    /// Takes the sign-out waiting for its return, if any (single use).
    pub fn take_pending_sign_out(&self) -> Option<PendingSignOut> {
        // Removing marks the session changed: only when there is something
        // to remove, since every visit of the home page asks.
        match self.0.get::<PendingSignOut>(PENDING_SIGN_OUT) {
            Ok(None) => None,
            found => {
                self.0.remove(PENDING_SIGN_OUT);
                found.ok().flatten()
            }
        }
    }

    /// The underlying actix session.
    pub fn inner(&self) -> &Session {
        &self.0
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(Ok(Self(req.get_session())))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_merge_offer_is_open_for_ten_minutes_after_its_login() {
        let made = time::OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap();
        let offer = MergeOffer {
            other: UserId::new(2),
            made_at: made.unix_timestamp(),
        };
        assert!(offer.is_open(made));
        assert!(offer.is_open(made + time::Duration::minutes(9)));
        assert!(!offer.is_open(made + MERGE_OFFER_TTL));
        assert!(
            !offer.is_open(made - time::Duration::minutes(1)),
            "an offer from the future is not believed"
        );
        let extreme = MergeOffer {
            other: UserId::new(2),
            made_at: i64::MIN,
        };
        assert!(!extreme.is_open(made), "no overflow");
    }

    use actix_web::test::TestRequest;

    use super::*;

    fn session() -> TypedSession {
        TypedSession(TestRequest::default().to_http_request().get_session())
    }

    #[test]
    fn flash_messages_are_taken_once_in_order() {
        let session = session();
        session.flash(FlashKind::Success, "Logged in.").unwrap();
        session.flash(FlashKind::Error, "GitHub said no.").unwrap();
        let taken = session.take_flashes();
        assert_eq!(taken.len(), 2);
        assert_eq!(taken[0].text, "Logged in.");
        assert_eq!(taken[1].kind, FlashKind::Error);
        assert!(session.take_flashes().is_empty());
    }

    #[test]
    fn the_csrf_token_is_created_once_and_checked_exactly() {
        let session = session();
        assert!(!session.csrf_matches(""), "no token yet matches nothing");
        let token = session.csrf_token().unwrap();
        assert!(token.len() >= 43);
        assert_eq!(session.csrf_token().unwrap(), token);
        assert!(session.csrf_matches(&token));
        assert!(!session.csrf_matches(&token[1..]));
        assert!(session.verify_csrf("forged").is_err());
        assert!(session.verify_csrf(&token).is_ok());
    }

    #[test]
    fn the_user_id_round_trips() {
        let session = session();
        assert_eq!(session.user_id().unwrap(), None);
        session.set_user_id(UserId::new(42)).unwrap();
        assert_eq!(session.user_id().unwrap(), Some(UserId::new(42)));
    }

    #[test]
    fn the_login_binding_is_made_once_and_survives_renewal() {
        let session = session();
        assert_eq!(session.existing_login_binding(), None);
        let binding = session.login_binding().unwrap();
        assert!(binding.len() >= 43);
        session.renew();
        assert_eq!(session.login_binding().unwrap(), binding);
        assert_eq!(session.existing_login_binding(), Some(binding));
    }

    #[test]
    fn only_a_state_with_a_user_counts_as_logged_in() {
        let session = session();
        session.login_binding().unwrap();
        let state: std::collections::HashMap<_, _> = session.0.entries().clone();
        assert!(!state_is_logged_in(&state));
        session.set_user_id(UserId::new(7)).unwrap();
        assert!(state_is_logged_in(&session.0.entries().clone()));
    }

    mod properties {
        use actix_web::test::TestRequest;
        use proptest::prelude::*;

        use super::super::*;
        use trilogin_oauth::strategies::{json, tricky_text};

        /// Session state with any JSON under the keys the site reads.
        fn state() -> impl Strategy<Value = Vec<(String, serde_json::Value)>> {
            let key = prop_oneof![
                prop::sample::select(vec![USER_ID, FLASH, CSRF_TOKEN, NEXT_PATH])
                    .prop_map(str::to_owned),
                "oauth\\.pending\\.github\\.[0-9a-f]{0,4}",
                tricky_text(),
            ];
            prop::collection::vec((key, json()), 0..8)
        }

        proptest! {
            #[test]
            fn arbitrary_session_state_never_panics(state in state(), submitted in tricky_text()) {
                let session = TypedSession::new(TestRequest::default().to_http_request().get_session());
                for (key, value) in state {
                    prop_assert!(session.inner().insert(key, value).is_ok());
                }
                let _ = session.user_id();
                let _ = session.take_flashes();
                let _ = session.csrf_matches(&submitted);
                let _ = session.take_next_path();
                let _ = session.existing_login_binding();
                prop_assert!(session.login_binding().is_ok());
                prop_assert!(session.flash(FlashKind::Info, "still usable").is_ok());
            }
        }
    }
}
