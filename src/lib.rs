//! trilogin: log in with Twitter (OAuth 1.0a), GitHub (OAuth 2.0) and Google
//! (OpenID Connect); provider tokens kept in SQLite, encrypted at rest, and
//! refreshed on access.
//!
//! This crate is the web layer and start-up. What the site does and stores
//! is the `trilogin-accounts` crate, reached through its `Services`; the
//! OAuth client layer is `trilogin-oauth`. See `docs/ARCHITECTURE.md`.

/// Settings from the environment (`.env` via dotenvy).
pub mod config;
/// The seam with the built-in demo providers (cargo feature `demo`).
pub mod demo_mount;
/// `AppError`, the handlers' error, rendered as an error page.
pub mod error;
/// `Application` and `AppState`: building and running the server.
pub mod startup;
/// Logging set-up.
pub mod telemetry;
/// Routes, handlers, sessions, templates glue.
pub mod web;
