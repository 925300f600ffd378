//! The userinfo endpoint (OIDC Core §5.3).

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde_json::Value;

use super::OidcClient;
use crate::claims::UserInfo;
use crate::error::{Error, Result};
use crate::hooks::TokenHooks;
use crate::http::{ForProvider as _, required};
use crate::token::OAuth2Token;

impl OidcClient {
    /// GETs the userinfo endpoint with the access token (bearer, or DPoP
    /// with a proof), lets the userinfo
    /// compliance hook map the payload onto standard claims, and checks
    /// that its `sub` is the ID token's (OIDC Core §5.3.2): a userinfo
    /// answer about someone else must not become this person's profile.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUserinfo`] for an answer that is not a claims object,
    /// has no `sub`, or is about someone else; [`Error::ReauthorizationRequired`]
    /// for a 401; [`Error::UnexpectedResponse`] for another failure;
    /// [`Error::Config`] when no userinfo endpoint is known;
    /// [`Error::Transport`] and discovery's errors.
    #[tracing::instrument(skip_all, fields(client = %self.name()))]
    pub async fn userinfo(&self, token: &OAuth2Token) -> Result<UserInfo> {
        let url = self
            .endpoint(self.config().userinfo_endpoint.as_ref(), |m| {
                m.userinfo_endpoint.as_ref()
            })
            .await?;
        let url = required(url.as_ref(), "userinfo endpoint")?;
        let mut builder = self
            .oauth2
            .http()
            .get(url.clone())
            .header(ACCEPT, "application/json")
            .for_provider(self.config());
        if !token.is_dpop_bound() {
            builder = builder.header(
                AUTHORIZATION,
                format!("Bearer {}", token.access_token.secret()),
            );
        }
        let response = self
            .oauth2
            .execute_presenting(builder.build()?, Some(token))
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if status == StatusCode::UNAUTHORIZED {
            return Err(Error::ReauthorizationRequired {
                reason: "the userinfo endpoint refused the access token".into(),
            });
        }
        if status != StatusCode::OK {
            return Err(Error::UnexpectedResponse {
                status: status.as_u16(),
                reason: "the userinfo endpoint failed".into(),
                body,
            });
        }
        let payload: Value =
            serde_json::from_str(&body).map_err(|e| Error::UnexpectedResponse {
                status: status.as_u16(),
                reason: format!("userinfo is not JSON: {e}"),
                body: body.clone(),
            })?;
        let payload = match &self.config().compliance.userinfo {
            Some(hook) => hook(payload),
            None => payload,
        };
        let Value::Object(claims) = payload else {
            return Err(Error::InvalidUserinfo("not a JSON object".into()));
        };
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::InvalidUserinfo("no sub".into()))?
            .to_owned();
        if let Some(expected) = super::id_token::stored_subject(token)?
            && sub != expected
        {
            return Err(Error::InvalidUserinfo(format!(
                "sub {sub} is not the ID token's subject {expected}"
            )));
        }
        Ok(UserInfo { sub, all: claims })
    }

    /// [`userinfo`](Self::userinfo) with the person's token from `hooks`,
    /// refreshed first when it is about to expire, and once more if the
    /// endpoint answers 401, as for any resource request.
    ///
    /// # Errors
    ///
    /// As [`userinfo`](Self::userinfo) and
    /// [`OAuth2Client::token`](crate::OAuth2Client::token).
    #[tracing::instrument(skip_all, fields(client = %self.name()))]
    pub async fn userinfo_for(&self, hooks: &dyn TokenHooks) -> Result<UserInfo> {
        let token = self.oauth2.token(hooks).await?;
        match self.userinfo(&token).await {
            Err(Error::ReauthorizationRequired { .. }) if token.is_refreshable() => {
                let token = self.oauth2.refresh_once(hooks, &token).await?;
                self.userinfo(&token).await
            }
            other => other,
        }
    }
}
