//! Pushed authorization requests ([RFC 9126]): the whole authorization
//! request goes to the provider first, over an authenticated back channel,
//! and the browser carries only `client_id` and the `request_uri` it gets.
//!
//! [RFC 9126]: https://www.rfc-editor.org/rfc/rfc9126

use url::Url;

use super::{Endpoints, OAuth2Client};
use crate::config::ParMode;
use crate::error::{Error, Result};
use crate::http::configured_or_discovered;

impl OAuth2Client {
    /// Where this login pushes its request, or `None` to send it in the
    /// browser's URL: per `par`, the configured or discovered
    /// `pushed_authorization_request_endpoint`, and the provider's
    /// `require_pushed_authorization_requests`.
    pub(super) fn par_endpoint(&self, endpoints: &Endpoints) -> Result<Option<Url>> {
        let metadata = endpoints.metadata.as_deref();
        let endpoint = configured_or_discovered(
            self.config.pushed_authorization_request_endpoint.as_ref(),
            metadata.and_then(|m| m.pushed_authorization_request_endpoint.as_ref()),
            self.config.allow_insecure_http,
        )?;
        let provider_requires = metadata.is_some_and(|m| m.require_pushed_authorization_requests);
        match (self.config.par, endpoint) {
            (ParMode::Off, _) => Ok(None),
            (_, Some(endpoint)) => Ok(Some(endpoint)),
            (ParMode::Required, None) => Err(Error::Config(format!(
                "{}: PAR is required, but the provider has no pushed authorization request endpoint",
                self.name
            ))),
            (ParMode::Auto, None) if provider_requires => Err(Error::Config(format!(
                "{}: the provider requires pushed authorization requests but names no endpoint",
                self.name
            ))),
            (ParMode::Auto, None) => Ok(None),
        }
    }

    /// Pushes the authorization request `params` to `endpoint` with the
    /// client's authentication (RFC 9126 §2.1) and returns the
    /// `request_uri` that stands for it (§2.2).
    pub(super) async fn push(
        &self,
        endpoint: &Url,
        params: Vec<(String, String)>,
    ) -> Result<String> {
        let (status, _, body) = self.post_form(endpoint, params, None, None).await?;
        let fields: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let request_uri = fields.get("request_uri").and_then(|u| u.as_str());
        match request_uri {
            Some(uri) if matches!(status, 200 | 201) && !uri.is_empty() => Ok(uri.to_owned()),
            _ => Err(error_answer(
                status,
                body,
                "the pushed authorization request failed",
            )),
        }
    }
}

/// The error of an answer that failed: the provider's OAuth error
/// (RFC 6749 §5.2) when its body carries one, else `reason`.
pub(super) fn error_answer(status: u16, body: String, reason: &str) -> Error {
    let fields: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    match fields.get("error").and_then(|e| e.as_str()) {
        Some(error) => Error::Provider {
            error: error.to_owned(),
            description: fields
                .get("error_description")
                .and_then(|d| d.as_str())
                .map(str::to_owned),
            status,
            body,
        },
        None => Error::UnexpectedResponse {
            status,
            reason: reason.into(),
            body,
        },
    }
}
