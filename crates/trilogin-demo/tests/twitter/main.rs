//! Demo Twitter as a protocol server on its own: the three OAuth 1.0a legs
//! through the consent form, every refusal Twitter makes, the API and its
//! paging, the knobs, and tokens kept across a restart.
//!
//! Requests are signed by a small signer in `support`, written for these
//! tests alone: neither the provider's verifier nor the site's client.

// A failed set-up step should stop the test where it happened.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test set-up helpers fail loudly"
)]

mod api;
mod client;
mod flow;
mod pages;
mod persistence;
mod resubmit;
mod signatures;
mod support;
