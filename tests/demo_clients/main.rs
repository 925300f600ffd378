//! The site's provider presets (`trilogin_accounts::providers`, pointed at
//! the demos by `trilogin::demo_mount::demo_preset`) with the client layer
//! against the built-in demo providers: the client's implementation
//! of each protocol and the demo's, written apart, must agree on the wire.

#![expect(clippy::unwrap_used, reason = "a failed step fails the test")]

mod client_login;
mod oauth1_client;
