#![doc = include_str!("../README.md")]
#![warn(clippy::pedantic)]

pub mod claims;
pub mod client_auth;
pub mod compliance;
pub mod config;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod hooks;
pub mod http;
pub mod lookup_key;
pub mod oauth1;
pub mod oauth2;
pub mod oidc;
pub mod pending;
pub mod pkce;
mod rate_limit;
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
