//! Token revocation (RFC 7009), used when a person disconnects a provider.

use super::OAuth2Client;
use crate::error::{Error, Result};
use crate::token::OAuth2Token;

impl OAuth2Client {
    /// Revokes `token` at the provider's revocation endpoint: the refresh
    /// token when there is one (which ends the whole grant, RFC 7009 §2.1),
    /// else the access token. Returns `false` when the provider offers no
    /// revocation endpoint.
    ///
    /// # Errors
    ///
    /// [`Error::Provider`] when the provider answers with an OAuth error,
    /// [`Error::UnexpectedResponse`] for any other failure, [`Error::Transport`]
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
        let (status, _, body) = self.post_form(url, form, None).await?;
        // RFC 7009 §2.2: 200 whether or not the token was still valid.
        if status == 200 {
            return Ok(true);
        }
        let fields: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        match fields.get("error").and_then(|e| e.as_str()) {
            Some(error) => Err(Error::Provider {
                error: error.to_owned(),
                description: fields
                    .get("error_description")
                    .and_then(|d| d.as_str())
                    .map(str::to_owned),
                status,
                body,
            }),
            None => Err(Error::UnexpectedResponse {
                status,
                reason: "revocation failed".into(),
                body,
            }),
        }
    }
}
