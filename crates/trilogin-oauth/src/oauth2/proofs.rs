//! How the OAuth 2 client uses DPoP (RFC 9449): when a login binds its
//! tokens to a key, which requests carry a proof, the `DPoP` scheme on
//! resource requests, and the one retry with a server's nonce.

use reqwest::header::{AUTHORIZATION, HeaderValue};
use time::OffsetDateTime;

use super::{Endpoints, OAuth2Client};
use crate::config::DpopMode;
use crate::dpop::{self, DpopAlg, DpopKey, ProofFor};
use crate::error::{Error, Result};
use crate::token::OAuth2Token;

impl OAuth2Client {
    /// The algorithm of the key a new login binds its tokens to, or `None`
    /// when this login does not use DPoP: per `dpop` and the provider's
    /// `dpop_signing_alg_values_supported`.
    pub(super) fn dpop_alg(&self, endpoints: &Endpoints) -> Result<Option<DpopAlg>> {
        let supported = endpoints
            .metadata
            .as_ref()
            .and_then(|m| m.dpop_signing_alg_values_supported.as_deref());
        match self.config.dpop {
            DpopMode::Off => Ok(None),
            DpopMode::Auto => Ok(supported.and_then(|s| DpopAlg::choose(Some(s)))),
            DpopMode::Required => DpopAlg::choose(supported).map(Some).ok_or_else(|| {
                Error::Config(format!(
                    "{}: DPoP is required, but the provider takes neither ES256 nor EdDSA proofs",
                    self.name
                ))
            }),
        }
    }

    /// Gives `token`, just received with a proof by `key`, that key. A
    /// DPoP token without a key could never be used; with `dpop=required`,
    /// a token the provider did not bind is refused too: it would travel
    /// as a plain bearer token.
    pub(super) fn bind_token(&self, token: &mut OAuth2Token, key: Option<DpopKey>) -> Result<()> {
        let bound = token.token_type.eq_ignore_ascii_case(dpop::TOKEN_TYPE);
        let refused = match &key {
            None if bound => Some("a DPoP token to a request without a proof".to_owned()),
            Some(_) if !bound && self.config.dpop == DpopMode::Required => Some(format!(
                "a {} token where DPoP is required",
                token.token_type
            )),
            _ => None,
        };
        if let Some(what) = refused {
            return Err(Error::UnexpectedResponse {
                status: 200,
                reason: format!("the provider issued {what}"),
                body: String::new(),
            });
        }
        token.dpop_key = key;
        Ok(())
    }

    /// `request` with a fresh proof by `key` in its `DPoP` header, with the
    /// server's latest nonce and, for a resource request, `ath` of
    /// `access_token`; unchanged without a key.
    pub(super) fn with_proof(
        &self,
        mut request: reqwest::Request,
        key: Option<&DpopKey>,
        access_token: Option<&str>,
    ) -> Result<reqwest::Request> {
        let Some(key) = key else { return Ok(request) };
        let nonce = self.dpop_nonces.get(request.url());
        let target = ProofFor {
            method: request.method().as_str(),
            url: request.url(),
            access_token,
            nonce: nonce.as_deref(),
        };
        let proof = dpop::proof(key, target, OffsetDateTime::now_utc())?;
        let mut value = HeaderValue::from_str(&proof)
            .map_err(|e| Error::Config(format!("bad DPoP proof header: {e}")))?;
        value.set_sensitive(true);
        request.headers_mut().insert("DPoP", value);
        Ok(request)
    }

    /// Sends a resource request. With a token bound to a DPoP key, it goes
    /// as `Authorization: DPoP <token>` with a proof (RFC 9449 §7.1), and
    /// once more with the server's nonce when the server asks for one;
    /// without, `request` goes as it is.
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] when the provider cannot be reached;
    /// [`Error::Config`] when a proof cannot be made or the request's body
    /// cannot be sent twice.
    pub(crate) async fn execute_presenting(
        &self,
        request: reqwest::Request,
        token: Option<&OAuth2Token>,
    ) -> Result<reqwest::Response> {
        let Some(token) = token.filter(|t| t.is_dpop_bound()) else {
            return Ok(self.http.execute(request).await?);
        };
        let access_token = token.access_token.secret();
        let mut retried = false;
        loop {
            let mut attempt = request.try_clone().ok_or_else(|| {
                Error::Config("a streamed body cannot go with a DPoP proof".into())
            })?;
            let mut scheme =
                HeaderValue::from_str(&format!("DPoP {access_token}")).map_err(|_| {
                    Error::UnexpectedResponse {
                        status: 0,
                        reason: "the access token cannot travel in a header".into(),
                        body: String::new(),
                    }
                })?;
            scheme.set_sensitive(true);
            attempt.headers_mut().insert(AUTHORIZATION, scheme);
            let attempt = self.with_proof(attempt, token.dpop_key.as_ref(), Some(access_token))?;
            let response = self.http.execute(attempt).await?;
            let fresh_nonce = self.dpop_nonces.remember(request.url(), response.headers());
            let status = response.status().as_u16();
            if fresh_nonce && !retried && dpop::asks_for_nonce(status, response.headers(), None) {
                retried = true;
                continue;
            }
            return Ok(response);
        }
    }
}
