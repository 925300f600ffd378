//! The UserInfo endpoint (OIDC Core §5.3).

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde_json::{Map, Value};

use crate::oauth::error::{Error, Result};
use crate::oauth::oauth2::OAuth2Client;
use crate::oauth::token::OAuth2Token;

impl OAuth2Client {
    /// GETs the userinfo endpoint with the bearer token, lets the userinfo
    /// compliance hook map the payload onto standard claims, and checks
    /// that its `sub` is the ID token's (OIDC Core §5.3.2): a userinfo
    /// answer about someone else must not become this person's profile.
    pub async fn userinfo(&self, token: &OAuth2Token) -> Result<Map<String, Value>> {
        let endpoints = self.endpoints().await?;
        let url = endpoints
            .userinfo
            .as_ref()
            .ok_or_else(|| Error::Config("no userinfo endpoint configured or discovered".into()))?;
        let response = self
            .http()
            .get(url.clone())
            .header(ACCEPT, "application/json")
            .header(
                AUTHORIZATION,
                format!("Bearer {}", token.access_token.secret()),
            )
            .timeout(self.config().timeout)
            .send()
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
            .ok_or_else(|| Error::InvalidUserinfo("no sub".into()))?;
        if let Some(expected) = id_token_subject(token)?
            && sub != expected
        {
            return Err(Error::InvalidUserinfo(format!(
                "sub {sub} is not the ID token's subject {expected}"
            )));
        }
        Ok(claims)
    }
}

/// The `sub` of the token's ID token. The ID token was validated when the
/// token was received, so its payload is read here without checking the
/// signature again (its `exp` may well have passed by now).
fn id_token_subject(token: &OAuth2Token) -> Result<Option<String>> {
    if let Some(sub) = token
        .extra
        .get(crate::oauth::oauth2::USERINFO_KEY)
        .and_then(|claims| claims.get("sub"))
        .and_then(Value::as_str)
    {
        return Ok(Some(sub.to_owned()));
    }
    let Some(id_token) = &token.id_token else {
        return Ok(None);
    };
    let unreadable = || Error::InvalidIdToken("the stored ID token is unreadable".into());
    let payload = id_token.secret().split('.').nth(1).ok_or_else(unreadable)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| unreadable())?;
    let claims: Value = serde_json::from_slice(&bytes).map_err(|_| unreadable())?;
    claims
        .get("sub")
        .and_then(Value::as_str)
        .map(|s| Some(s.to_owned()))
        .ok_or_else(unreadable)
}
