//! Token revocation (RFC 7009), used when a person disconnects a provider.

use super::OAuth2Client;
use crate::error::Result;
use crate::token::OAuth2Token;

impl OAuth2Client {
    /// Revokes `token` at the provider's revocation endpoint: the refresh
    /// token when there is one (which ends the whole grant, RFC 7009 §2.1),
    /// else the access token, with a DPoP proof when the token is bound to a
    /// key. Returns `false` when the provider offers no revocation endpoint.
    ///
    /// # Errors
    ///
    /// [`Error::Provider`](crate::Error::Provider) when the provider answers with an OAuth error,
    /// [`Error::UnexpectedResponse`](crate::Error::UnexpectedResponse) for any other failure, [`Error::Transport`](crate::Error::Transport)
    /// when it cannot be reached; discovery's errors.
    #[tracing::instrument(skip_all, fields(client = %self.name()))]
    pub async fn revoke_token(&self, token: &OAuth2Token) -> Result<bool> {
        let endpoints = self.endpoints().await?;
        let Some(url) = &endpoints.revocation else {
            return Ok(false);
        };
        let (value, hint) = match &token.refresh_token {
            Some(refresh) => (refresh.secret(), "refresh_token"),
            None => (token.access_token.secret(), "access_token"),
        };
        let form = vec![
            ("token".to_owned(), value.to_owned()),
            ("token_type_hint".to_owned(), hint.to_owned()),
        ];
        let dpop = token.dpop_key.as_ref();
        let (status, _, body) = self.post_form(url, form, None, dpop).await?;
        // RFC 7009 §2.2: 200 whether or not the token was still valid.
        if status == 200 {
            return Ok(true);
        }
        Err(super::par::error_answer(status, body, "revocation failed"))
    }
}
