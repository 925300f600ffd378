//! The OAuth 2.0 / OpenID Connect client against a mock provider: every
//! request it sends and every answer it must refuse.

#![warn(clippy::pedantic)]
// A failed set-up step should stop the test where it happened.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test set-up helpers fail loudly"
)]

mod client_kwargs;
mod code_flow;
mod dpop;
mod grants;
mod oidc;
mod par;
mod rate_limit;
mod refresh;
mod support;
