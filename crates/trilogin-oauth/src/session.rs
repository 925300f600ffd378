//! The one thing the client layer needs from the web framework: somewhere
//! server-side, bound to the browser, to keep a pending login between the
//! redirect to the provider and the callback.
//!
//! Each pending login is its own entry, saved and taken in one step, so
//! that logins started at the same moment in one browser (several tabs)
//! never overwrite each other: a read-modify-write of one session object
//! would lose all but the last. The site keeps them in the database
//! (`db::login_session`); [`MemoryLoginSession`] keeps them in memory, for
//! tests and single-process tools. The client layer owns what it stores
//! (expiry, single use, how many pending logins a browser may hold).

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use time::OffsetDateTime;

/// Pending logins of the current browser.
///
/// `handle` is a digest of the state (or OAuth 1 request token), never the
/// secret itself. Values are JSON so that a store can persist them as they
/// are; errors are strings because the caller can only report them.
#[async_trait]
pub trait LoginSession: Send + Sync {
    /// Stores `value` as the pending login `handle` of `client` until
    /// `expires_at`, then drops this browser's oldest pending logins of
    /// `client` beyond the newest `keep`.
    async fn save_pending(
        &self,
        client: &str,
        handle: &str,
        value: serde_json::Value,
        expires_at: OffsetDateTime,
        keep: usize,
    ) -> Result<(), String>;

    /// Removes the pending login `handle` of `client` and returns it, if this
    /// browser saved it and it is live at `now`. Atomic: of two concurrent
    /// calls for one handle, at most one gets the value.
    async fn take_pending(
        &self,
        client: &str,
        handle: &str,
        now: OffsetDateTime,
    ) -> Result<Option<serde_json::Value>, String>;
}

/// Pending logins of one browser, in memory.
#[derive(Debug, Default)]
pub struct MemoryLoginSession {
    entries: Mutex<BTreeMap<(String, String), MemoryEntry>>,
}

#[derive(Debug)]
struct MemoryEntry {
    value: serde_json::Value,
    expires_at: OffsetDateTime,
    order: u64,
}

impl MemoryLoginSession {
    /// An empty session.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many pending logins are stored (live or not yet dropped).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no pending login is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), MemoryEntry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl LoginSession for MemoryLoginSession {
    async fn save_pending(
        &self,
        client: &str,
        handle: &str,
        value: serde_json::Value,
        expires_at: OffsetDateTime,
        keep: usize,
    ) -> Result<(), String> {
        let mut entries = self.lock();
        let order = entries.values().map(|e| e.order + 1).max().unwrap_or(0);
        let entry = MemoryEntry {
            value,
            expires_at,
            order,
        };
        entries.insert((client.to_owned(), handle.to_owned()), entry);
        let mut mine: Vec<(u64, String)> = entries
            .iter()
            .filter(|((c, _), _)| c == client)
            .map(|((_, h), e)| (e.order, h.clone()))
            .collect();
        mine.sort_unstable_by(|a, b| b.cmp(a));
        for (_, handle) in mine.into_iter().skip(keep) {
            entries.remove(&(client.to_owned(), handle));
        }
        Ok(())
    }

    async fn take_pending(
        &self,
        client: &str,
        handle: &str,
        now: OffsetDateTime,
    ) -> Result<Option<serde_json::Value>, String> {
        let entry = self.lock().remove(&(client.to_owned(), handle.to_owned()));
        Ok(entry.filter(|e| e.expires_at > now).map(|e| e.value))
    }
}
