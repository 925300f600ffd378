//! The OAuth 1.0a client against a mock provider that checks every
//! signature with its own RFC 5849 code.

#![warn(clippy::pedantic)]
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail the test by panicking"
)]

mod flow;
mod helpers;
mod methods;
mod provider;
mod registry;
mod signatures;
