//! Token types: what a login yields and what storage keeps.
//!
//! These are plain data; parsing a provider's token response lives with the
//! protocol that receives it (`oauth2`, `oauth1`).

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use super::claims::IdTokenClaims;
use super::dpop::{self, DpopKey};
use super::secret::{AccessToken, IdToken, RefreshToken, TokenSecret};

/// An OAuth 2 bearer token (RFC 6749 §5.1), with the ID token when the
/// provider speaks OpenID Connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Token {
    /// The access token.
    pub access_token: AccessToken,
    /// `token_type`, `Bearer` when the provider leaves it out.
    pub token_type: String,
    /// The refresh token, when the provider issued one.
    pub refresh_token: Option<RefreshToken>,
    /// When the access token stops working: receipt time plus `expires_in`.
    /// `None` means the provider gave no lifetime (GitHub OAuth apps).
    pub expires_at: Option<OffsetDateTime>,
    /// When the token was received (for a stored token: when it was
    /// stored). With `expires_at` it gives the token's own lifetime, which
    /// bounds the refresh leeway.
    pub issued_at: Option<OffsetDateTime>,
    /// The granted scope, space-separated, when the provider said.
    pub scope: Option<String>,
    /// The OpenID Connect ID token, as received.
    pub id_token: Option<IdToken>,
    /// The claims of `id_token`, once the ID token check validated it
    /// (Authlib's `token['userinfo']`). `None` for a token without an ID
    /// token, one that no check validated, and one read back from storage,
    /// which keeps the ID token only.
    pub id_token_claims: Option<IdTokenClaims>,
    /// Every other field of the token response, for provider-specific use.
    pub extra: BTreeMap<String, serde_json::Value>,
    /// The DPoP key the token is bound to (RFC 9449), which every refresh
    /// and every request with the token must prove; `None` for a token
    /// that is not bound.
    pub dpop_key: Option<DpopKey>,
}

impl OAuth2Token {
    /// True when the token expires within `leeway` of `now` and should be
    /// refreshed before use. Tokens without a lifetime never need refresh.
    ///
    /// The leeway is at most half the token's own lifetime: with a 60 s
    /// leeway, a token that lives 30 s would otherwise need a refresh the
    /// moment it arrives, and every request would refresh.
    ///
    /// # Examples
    ///
    /// ```
    /// use time::{Duration, macros::datetime};
    /// use trilogin_oauth::OAuth2Token;
    /// use trilogin_oauth::secret::AccessToken;
    ///
    /// let now = datetime!(2026-01-01 12:00 UTC);
    /// let token = OAuth2Token {
    ///     issued_at: None,
    ///     access_token: AccessToken::new("gho_abc"),
    ///     token_type: "Bearer".into(),
    ///     refresh_token: None,
    ///     expires_at: Some(now + Duration::seconds(30)),
    ///     scope: None,
    ///     id_token: None,
    ///     id_token_claims: None,
    ///     extra: Default::default(),
    ///     dpop_key: None,
    /// };
    /// assert!(token.needs_refresh(now, Duration::seconds(60)));
    /// assert!(!token.needs_refresh(now, Duration::seconds(10)));
    /// ```
    #[must_use]
    pub fn needs_refresh(&self, now: OffsetDateTime, leeway: Duration) -> bool {
        self.expires_at
            .is_some_and(|at| at - self.effective_leeway(leeway) <= now)
    }

    /// `leeway`, capped at half the token's lifetime when that is known.
    #[must_use]
    pub fn effective_leeway(&self, leeway: Duration) -> Duration {
        match (self.issued_at, self.expires_at) {
            (Some(issued), Some(expires)) if expires > issued => leeway.min((expires - issued) / 2),
            _ => leeway,
        }
    }

    /// True when requests present the token with the `DPoP` scheme and a
    /// proof (RFC 9449 §7.1): it is bound to a key and the provider said
    /// `token_type=DPoP`.
    #[must_use]
    pub fn is_dpop_bound(&self) -> bool {
        self.dpop_key.is_some() && self.token_type.eq_ignore_ascii_case(dpop::TOKEN_TYPE)
    }

    /// True when the token carries a refresh token.
    #[must_use]
    pub fn is_refreshable(&self) -> bool {
        self.refresh_token.is_some()
    }
}

/// OAuth 1 token credentials (RFC 5849 §2.3), plus the fields Twitter adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth1Token {
    /// `oauth_token`.
    pub oauth_token: AccessToken,
    /// `oauth_token_secret`.
    pub oauth_token_secret: TokenSecret,
    /// Every other field of the access-token answer (`user_id`, `screen_name` ...).
    pub extra: BTreeMap<String, String>,
}

/// A stored token of either protocol, as the `fetch_token` hook returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one token per request, moved and never stored in bulk; a Box would cost an allocation in every storage implementation"
)]
pub enum Token {
    /// OAuth 1.0a token credentials.
    OAuth1(OAuth1Token),
    /// OAuth 2.0 bearer token.
    OAuth2(OAuth2Token),
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn token_expiring_at(at: Option<OffsetDateTime>) -> OAuth2Token {
        OAuth2Token {
            issued_at: None,
            access_token: AccessToken::new("a"),
            token_type: "Bearer".into(),
            refresh_token: Some(RefreshToken::new("r")),
            expires_at: at,
            scope: None,
            id_token: None,
            id_token_claims: None,
            extra: BTreeMap::new(),
            dpop_key: None,
        }
    }

    #[test]
    fn needs_refresh_inside_the_leeway_and_not_before() {
        let now = datetime!(2026-01-01 12:00:00 UTC);
        let leeway = Duration::seconds(60);
        let at = |s: i64| token_expiring_at(Some(now + Duration::seconds(s)));
        assert!(
            !at(61).needs_refresh(now, leeway),
            "61 s left is outside the leeway"
        );
        assert!(
            at(60).needs_refresh(now, leeway),
            "exactly at the leeway boundary refreshes"
        );
        assert!(at(59).needs_refresh(now, leeway));
        assert!(at(-5).needs_refresh(now, leeway), "already expired");
    }

    #[test]
    fn the_leeway_is_at_most_half_the_tokens_lifetime() {
        let issued = datetime!(2026-01-01 12:00:00 UTC);
        let leeway = Duration::seconds(60);
        let token = OAuth2Token {
            issued_at: Some(issued),
            ..token_expiring_at(Some(issued + Duration::seconds(30)))
        };
        assert_eq!(token.effective_leeway(leeway), Duration::seconds(15));
        let at = |s: i64| issued + Duration::seconds(s);
        assert!(
            !token.needs_refresh(at(0), leeway),
            "fresh from the provider"
        );
        assert!(!token.needs_refresh(at(14), leeway));
        assert!(token.needs_refresh(at(15), leeway), "half its life is left");
        assert!(token.needs_refresh(at(31), leeway), "already expired");

        let hour = OAuth2Token {
            issued_at: Some(issued),
            ..token_expiring_at(Some(issued + Duration::hours(1)))
        };
        assert_eq!(
            hour.effective_leeway(leeway),
            leeway,
            "a long life keeps the leeway"
        );
    }

    #[test]
    fn a_lifetime_that_makes_no_sense_leaves_the_leeway_alone() {
        let issued = datetime!(2026-01-01 12:00:00 UTC);
        let expired_before_issue = OAuth2Token {
            issued_at: Some(issued),
            ..token_expiring_at(Some(issued - Duration::seconds(5)))
        };
        let leeway = Duration::seconds(60);
        assert_eq!(expired_before_issue.effective_leeway(leeway), leeway);
        assert!(expired_before_issue.needs_refresh(issued, leeway));
    }

    #[test]
    fn a_token_without_lifetime_never_needs_refresh() {
        let now = datetime!(2026-01-01 12:00:00 UTC);
        assert!(!token_expiring_at(None).needs_refresh(now, Duration::seconds(60)));
    }
}
