//! What the site does for a person, and everything it stores: logging in
//! with Twitter, GitHub, Google and any OpenID Connect provider of
//! `OIDC_PROVIDERS` and connecting them to one account, the
//! pages' resource calls, tokens sealed at rest and refreshed on access.
//!
//! The web layer reaches all of it through one [`Services`] handle and the
//! use cases in [`app`]; it never sees a SQL connection. A dependency only
//! points downwards: `app` → `providers` → the `trilogin-oauth` crate, and
//! `app` → `db` → `crypto`.

/// Use cases: logging in, connecting, resource pages, refresh and disconnect.
pub mod app;
/// Encryption at rest of secret columns, and the `SECRET_KEY` it derives from.
pub mod crypto;
/// SQLite storage: pool, migrations, schema, models, queries.
pub mod db;
/// The providers a person can log in with.
pub mod provider;
/// Presets for Twitter, GitHub, Google and any OpenID Connect provider: endpoints, scopes, profiles, resources.
pub mod providers;
/// Which account something belongs to.
pub mod user_id;

pub use app::services::Services;
pub use provider::Provider;
pub use user_id::UserId;
