//! Authenticating a signed request the way Twitter does, in this order:
//! well-formed parameters, known consumer, fresh timestamp, known token,
//! valid signature, unused nonce.
//!
//! The nonce is recorded only after the signature is valid, so requests
//! nobody could sign cannot fill the replay cache or burn someone's nonces.

use actix_web::HttpRequest;
use actix_web::http::header;

use super::errors::TwitterError;
use super::nonces::NonceCache;
use super::signature::{self, VerificationKeys};
use super::signed_request::{MalformedRequest, RawRequest, SignedRequest};
use super::state::AccessGrant;
use super::{DemoTwitter, now};
use crate::{TWITTER_CLIENT_ID, TWITTER_CLIENT_SECRET};

/// Which token credential a request must be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// None: the client asks for temporary credentials (RFC 5849 §2.1).
    ConsumerOnly,
    /// Temporary credentials, to exchange them (§2.3).
    RequestToken,
    /// Token credentials: the API (§3).
    AccessToken,
}

/// A request whose signature, timestamp and nonce passed.
#[derive(Debug)]
pub struct Authenticated {
    /// The request's parameters.
    pub request: SignedRequest,
    /// For [`Credential::AccessToken`]: the token and its grant.
    pub access: Option<(String, AccessGrant)>,
}

/// The checks of a signed request that need no stored state, in Twitter's
/// order: well-formed protocol parameters, the known consumer, a timestamp
/// within the window around `now` (seconds since the epoch). This is where
/// a request's `Authorization` header, query and body are first read.
pub fn read_request(raw: &RawRequest<'_>, now: i64) -> Result<SignedRequest, TwitterError> {
    let request = raw.parse().map_err(|error| {
        tracing::debug!(%error, "demo Twitter: malformed OAuth request");
        match error {
            MalformedRequest::Missing(_) | MalformedRequest::BadHeader => {
                TwitterError::BadAuthenticationData
            }
            _ => TwitterError::CouldNotAuthenticate,
        }
    })?;
    if request.consumer_key != TWITTER_CLIENT_ID
        || !NonceCache::timestamp_is_fresh(request.timestamp, now)
    {
        return Err(TwitterError::CouldNotAuthenticate);
    }
    Ok(request)
}

impl DemoTwitter {
    /// Authenticates `req` with `body`, signed with `credential`.
    pub(super) fn authenticate(
        &self,
        req: &HttpRequest,
        body: &[u8],
        credential: Credential,
    ) -> Result<Authenticated, TwitterError> {
        let header_text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
        let raw = RawRequest {
            method: req.method().as_str(),
            query: req.query_string(),
            authorization: header_text(header::AUTHORIZATION),
            content_type: header_text(header::CONTENT_TYPE),
            body,
        };
        let now = now();
        let request = read_request(&raw, now)?;

        let (token_secret, access) = match credential {
            Credential::ConsumerOnly => (String::new(), None),
            Credential::RequestToken => {
                let token = request
                    .token
                    .as_deref()
                    .ok_or(TwitterError::InvalidRequestToken)?;
                let pending = self
                    .state
                    .request_token(token, now)
                    .ok_or(TwitterError::InvalidRequestToken)?;
                (pending.secret, None)
            }
            Credential::AccessToken => {
                let token = request
                    .token
                    .as_deref()
                    .ok_or(TwitterError::BadAuthenticationData)?;
                let grant = self
                    .state
                    .access_grant(token)
                    .ok_or(TwitterError::InvalidOrExpiredToken)?;
                (grant.token_secret.clone(), Some((token.to_owned(), grant)))
            }
        };

        let base_uri = signature::base_uri(&self.config.app_url, req.path());
        let base_string = signature::base_string(raw.method, &base_uri, &request.params);
        let rsa_key = self.consumer_rsa_key();
        let keys = VerificationKeys {
            consumer_secret: TWITTER_CLIENT_SECRET,
            token_secret: &token_secret,
            consumer_rsa_key: rsa_key.as_ref(),
        };
        if !signature::verify(
            request.signature_method,
            &base_string,
            &request.signature,
            keys,
        ) {
            // The base string names the token: log only where it was signed for.
            tracing::debug!(base_uri, "demo Twitter: signature does not match");
            return Err(TwitterError::CouldNotAuthenticate);
        }
        if !self.state.record_nonce(&request, now) {
            return Err(TwitterError::CouldNotAuthenticate);
        }
        Ok(Authenticated { request, access })
    }
}
