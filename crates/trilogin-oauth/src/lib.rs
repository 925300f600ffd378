//! The reusable OAuth client layer, modelled on Authlib's web clients: an
//! [`OAuth`](registry) registry of named clients, one API for OAuth 1.0a and
//! OAuth 2.0 where only the configuration differs, OpenID Connect as a
//! layer over the OAuth 2.0 client.
//!
//! This crate knows nothing of web frameworks, databases or templates. It
//! reaches the browser's pending logins through [`session::LoginSession`]
//! and token storage through the `fetch_token` / `update_token` hooks
//! ([`TokenHooks`]).

pub mod claims;
pub mod client_auth;
pub mod compliance;
pub mod config;
pub mod discovery;
pub mod error;
pub mod hooks;
pub mod http;
pub mod oauth1;
pub mod oauth2;
pub mod oidc;
pub mod pending;
pub mod pkce;
pub mod registry;
pub mod request;
pub mod secret;
pub mod session;
/// Input generators shared by the property tests (feature `proptest`).
#[cfg(any(test, feature = "proptest"))]
pub mod strategies;
pub mod token;

pub use claims::{IdTokenClaims, UserInfo};
pub use compliance::ComplianceHooks;
pub use config::ClientConfig;
pub use error::{Error, Result};
pub use hooks::{RefreshClaim, TokenHooks, UpdateOutcome};
pub use oauth2::OAuth2Client;
pub use oidc::OidcClient;
pub use registry::{Client, OAuth};
pub use request::{ApiRequest, ApiVerbs};
pub use token::{OAuth1Token, OAuth2Token, Token};
