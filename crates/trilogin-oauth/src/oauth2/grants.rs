//! The grants that need no browser (RFC 6749 §4.3, §4.4), as Authlib's
//! `fetch_token(username=..., password=...)` and
//! `fetch_token(grant_type="client_credentials")`: a token for a trusted
//! first-party script, or for the client itself.
//!
//! The password grant is deprecated for new deployments (OAuth 2.0
//! Security BCP, RFC 9700 §2.4); it is here for the providers and tutorials
//! that still use it. The site itself never asks for a password.

use time::OffsetDateTime;

use super::{Grant, OAuth2Client};
use crate::dpop::DpopKey;
use crate::error::Result;
use crate::http::required;
use crate::token::OAuth2Token;

impl OAuth2Client {
    /// A token for the resource owner `username` with their `password`
    /// (RFC 6749 §4.3), with the client's authentication and
    /// `access_token_params`. `scope` replaces the configured scope.
    ///
    /// # Errors
    ///
    /// [`Error::Provider`](crate::Error::Provider) when the provider refuses
    /// (`invalid_grant` for a wrong password, `unsupported_grant_type`);
    /// the errors of any token endpoint call.
    #[tracing::instrument(skip_all, fields(client = %self.name()))]
    pub async fn fetch_token_with_password(
        &self,
        username: &str,
        password: &str,
        scope: Option<&str>,
    ) -> Result<OAuth2Token> {
        let form = vec![
            ("grant_type".to_owned(), "password".to_owned()),
            ("username".to_owned(), username.to_owned()),
            ("password".to_owned(), password.to_owned()),
        ];
        self.direct_grant(form, scope, Grant::Password).await
    }

    /// A token for the client itself (RFC 6749 §4.4), with the client's
    /// authentication and `access_token_params`. `scope` replaces the
    /// configured scope. Such a token has no refresh token (§4.4.3): ask
    /// for a new one when it expires.
    ///
    /// # Errors
    ///
    /// [`Error::Provider`](crate::Error::Provider) when the provider refuses
    /// (`invalid_client`, `unauthorized_client`); the errors of any token
    /// endpoint call.
    #[tracing::instrument(skip_all, fields(client = %self.name()))]
    pub async fn fetch_token_with_client_credentials(
        &self,
        scope: Option<&str>,
    ) -> Result<OAuth2Token> {
        let form = vec![("grant_type".to_owned(), "client_credentials".to_owned())];
        self.direct_grant(form, scope, Grant::ClientCredentials)
            .await
    }

    async fn direct_grant(
        &self,
        mut form: Vec<(String, String)>,
        scope: Option<&str>,
        grant: Grant<'_>,
    ) -> Result<OAuth2Token> {
        if let Some(scope) = scope.or(self.config.scope.as_deref()) {
            form.push(("scope".to_owned(), scope.to_owned()));
        }
        form.extend(
            self.config
                .access_token_params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        let endpoints = self.endpoints().await?;
        let url = required(endpoints.token.as_ref(), "token endpoint")?;
        // Bound to a key of its own when the provider binds tokens, as a
        // login's are.
        let dpop_key = self
            .dpop_alg(&endpoints)?
            .map(DpopKey::generate)
            .transpose()?;
        let now = OffsetDateTime::now_utc();
        let hooks = (None, self.config.compliance.access_token_response.as_ref());
        let mut token = self
            .token_request(url, form, hooks, dpop_key.as_ref(), now)
            .await?;
        self.bind_token(&mut token, dpop_key)?;
        self.check_token(&mut token, grant, now).await?;
        Ok(token)
    }
}
