//! Errors of the client layer, shared by OAuth 1 and OAuth 2.
//!
//! The variants keep apart what the web layer must tell apart: the person
//! said no, the provider said no, the network failed, the answer made no
//! sense, or the tokens are dead and the person must log in again. Errors
//! that come from an HTTP answer keep its status and raw body for the log.

/// Everything that can go wrong in a login, a refresh or an API call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The person declined at the provider (`error=access_denied`, Twitter's
    /// `denied=`). The user sees "you cancelled the login".
    #[error("access denied at the provider: {error}")]
    AccessDenied {
        /// The provider's error code, `access_denied` for OAuth 1 refusals.
        error: String,
        /// The provider's `error_description`, when it sent one.
        description: Option<String>,
    },

    /// The provider answered with an OAuth error (RFC 6749 §5.2, §4.1.2.1).
    /// The user sees "the provider refused" with the code.
    #[error("provider error {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Provider {
        /// The `error` code, e.g. `invalid_client`, `bad_verification_code`.
        error: String,
        /// The `error_description`, when present.
        description: Option<String>,
        /// The HTTP status of the answer (GitHub sends errors with 200).
        status: u16,
        /// The raw body, for the log.
        body: String,
    },

    /// The callback's `state` (or OAuth 1 request token) is missing, unknown,
    /// expired or already used. The user sees "that login link has expired,
    /// please try again".
    #[error("state mismatch: the callback does not belong to a login started in this browser")]
    StateMismatch,

    /// RFC 9207: the callback's `iss` is not the provider's issuer, or is
    /// missing where the provider promises to send it.
    #[error("authorization response issuer mismatch: {0}")]
    IssuerMismatch(String),

    /// The ID token failed validation (signature, `iss`, `aud`, `azp`,
    /// `exp`, `iat`, `nonce`, `at_hash` ...). The user sees a generic login
    /// failure.
    #[error("invalid id_token: {0}")]
    InvalidIdToken(String),

    /// The userinfo answer does not belong to the ID token's subject, or is
    /// not a claims object.
    #[error("invalid userinfo response: {0}")]
    InvalidUserinfo(String),

    /// The tokens no longer work and cannot be refreshed (`invalid_grant`,
    /// a revoked OAuth 1 token). The user sees "Reconnect" and the
    /// provider's name.
    #[error("reauthorization required: {reason}")]
    ReauthorizationRequired {
        /// What the provider said.
        reason: String,
    },

    /// The request never got an answer: connection refused, DNS, timeout.
    /// The user sees "the provider did not answer, try again".
    #[error("could not reach the provider: {0}")]
    Transport(#[from] reqwest::Error),

    /// The provider answered, but not with what the protocol says: a 5xx, a
    /// redirect, HTML where JSON was due, a missing field.
    #[error("unexpected response from the provider ({status}): {reason}")]
    UnexpectedResponse {
        /// The HTTP status of the answer.
        status: u16,
        /// What was wrong with it.
        reason: String,
        /// The raw body, for the log.
        body: String,
    },

    /// No token is stored for this client: the person has not connected it.
    #[error("not connected to {0}")]
    NotConnected(String),

    /// The client is misconfigured (missing endpoint, non-https URL, bad key).
    #[error("configuration error: {0}")]
    Config(String),

    /// Reading or writing the pending login in the session failed.
    #[error("session error: {0}")]
    Session(String),

    /// The token hooks (`fetch_token` / `update_token`) failed.
    #[error("token storage error: {0}")]
    Storage(String),

    /// The provider asked the client to wait (rate limit reached) and the
    /// call was not sent, or was refused for that reason.
    #[error("rate limited by the provider until {until}")]
    RateLimited {
        /// When calls may go again.
        until: time::OffsetDateTime,
    },
}

impl Error {
    /// True for failures worth a "try again" link: transport errors, timeouts, 5xx.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport(_) => true,
            Error::UnexpectedResponse { status, .. } => *status >= 500 || *status == 0,
            _ => false,
        }
    }
}

/// Result alias of the client layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
