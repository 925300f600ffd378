//! trilogin: log in with Twitter (OAuth 1.0a), GitHub (OAuth 2.0) and Google
//! (OpenID Connect); provider tokens kept in SQLite, encrypted at rest, and
//! refreshed on access.
//!
//! The modules follow the layers of `docs/ARCHITECTURE.md`; a dependency only
//! points downwards (`web` → `app` → `providers` → the `trilogin-oauth` crate, and `db`).

/// Use cases: logging in, connecting, resource pages, refresh and disconnect.
pub mod app;
/// Settings from the environment (`.env` via dotenvy).
pub mod config;
/// Encryption at rest of secret columns.
pub mod crypto;
/// SQLite storage: pool, migrations, schema, models, queries.
pub mod db;
/// The seam with the built-in demo providers (cargo feature `demo`).
pub mod demo_mount;
/// `AppError`, the handlers' error, rendered as an error page.
pub mod error;
/// Presets for Twitter, GitHub and Google: endpoints, scopes, profiles, resources.
pub mod providers;
/// `Application` and `AppState`: building and running the server.
pub mod startup;
/// Logging set-up.
pub mod telemetry;
/// Routes, handlers, sessions, templates glue.
pub mod web;
