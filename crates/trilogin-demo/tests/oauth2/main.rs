//! Protocol tests of the demo GitHub and Google providers, driven over HTTP
//! by a plain client that knows only the wire format.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test by panicking"
)]

mod github;
mod google;
mod support;
