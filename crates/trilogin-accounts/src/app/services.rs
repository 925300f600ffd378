//! [`Services`]: what the use cases need, and all they can reach. The web
//! layer's `AppState` holds one beside its own parts (templates, sessions,
//! the demo providers), so nothing here depends on the web layer.

use std::sync::Arc;

use trilogin_oauth::OAuth;

use super::repos_cache::ReposCache;
use crate::crypto::Cipher;
use crate::db::DbPool;
use crate::db::login_session::DbLoginSession;
use crate::db::token_hooks::new_lease_holder;

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

impl Services {
    /// The services over `pool`, with empty caches and a new refresh lease
    /// holder name.
    pub fn new(oauth: OAuth, pool: DbPool, cipher: Cipher, http: reqwest::Client) -> Self {
        Self {
            oauth,
            pool,
            cipher,
            http,
            repos_cache: ReposCache::default(),
            lease_holder: new_lease_holder(),
        }
    }

    /// The pending logins of the browser whose session holds the login
    /// `binding`.
    pub fn pending_logins(&self, binding: &str) -> DbLoginSession {
        DbLoginSession::new(self.pool.clone(), self.cipher.clone(), binding)
    }
}
