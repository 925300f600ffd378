//! [`Services`]: what the use cases need, and all they can reach. The web
//! layer's `AppState` holds one beside its own parts (templates, sessions,
//! the demo providers), so nothing here depends on the web layer.

use std::sync::Arc;

use trilogin_oauth::OAuth;

use super::repos_cache::ReposCache;
use crate::crypto::Cipher;
use crate::db::DbPool;

/// The handles the use cases work with, shared by every worker.
#[derive(Debug)]
pub struct Services {
    /// The OAuth clients, one per provider a person can log in with.
    pub oauth: OAuth,
    /// The SQLite pool.
    pub pool: DbPool,
    /// Seals and opens secret columns.
    pub cipher: Cipher,
    /// The one outbound HTTP client: no redirects, timeouts, a User-Agent.
    pub http: reqwest::Client,
    /// Pages of GitHub repositories with their `ETag`s, for conditional requests.
    pub repos_cache: ReposCache,
    /// This app's name as a holder of token refresh leases.
    pub lease_holder: Arc<str>,
}
