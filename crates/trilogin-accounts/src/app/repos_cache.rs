//! A small in-memory cache of repository pages and their `ETag`s, so that
//! a repeated view is a conditional request (`If-None-Match`, RFC 9110
//! §13.1.2) that GitHub answers with `304 Not Modified`, which costs no
//! rate-limit quota.
//!
//! Entries are keyed by user and page and the cache is bounded: when full,
//! the entry used longest ago goes. Losing an entry only costs one full
//! request; the cache is never the source of truth.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::UserId;
use crate::providers::github::{Pages, Repo};

/// Entries kept before the least recently used is dropped.
pub const DEFAULT_CAPACITY: usize = 512;

/// One page of repositories as GitHub last sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedPage {
    /// The `ETag` GitHub sent with it.
    pub etag: String,
    /// The repositories on the page.
    pub repos: Vec<Repo>,
    /// Paging from the `Link` header.
    pub pages: Pages,
}

/// The cache, shared by all workers.
#[derive(Debug)]
pub struct ReposCache {
    capacity: usize,
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    clock: u64,
    map: HashMap<(UserId, u32), (u64, CachedPage)>,
}

impl Default for ReposCache {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl ReposCache {
    /// A cache that holds at most `capacity` pages (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Entries::default()),
        }
    }

    /// User `user_id`'s page `page`, if cached; marks it as just used.
    pub fn get(&self, user_id: UserId, page: u32) -> Option<CachedPage> {
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        let (used, cached) = entries.map.get_mut(&(user_id, page))?;
        *used = now;
        Some(cached.clone())
    }

    /// Stores user `user_id`'s page `page`, dropping the least recently
    /// used entry when the cache is full.
    pub fn put(&self, user_id: UserId, page: u32, cached: CachedPage) {
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        let key = (user_id, page);
        if !entries.map.contains_key(&key) && entries.map.len() >= self.capacity {
            let oldest = entries
                .map
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(key, _)| *key);
            if let Some(oldest) = oldest {
                entries.map.remove(&oldest);
            }
        }
        entries.map.insert(key, (now, cached));
    }

    /// Forgets every page of user `user_id` (after a disconnect).
    pub fn forget_user(&self, user_id: UserId) {
        self.lock().map.retain(|(user, _), _| *user != user_id);
    }

    /// Number of cached pages.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The map is consistent after every statement; a panic elsewhere
        // while holding the lock leaves nothing half-done.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(etag: &str) -> CachedPage {
        CachedPage {
            etag: etag.to_owned(),
            repos: Vec::new(),
            pages: Pages::default(),
        }
    }

    #[test]
    fn pages_are_kept_per_user_and_page() {
        let cache = ReposCache::default();
        cache.put(UserId::new(1), 1, page("\"a\""));
        cache.put(UserId::new(1), 2, page("\"b\""));
        cache.put(UserId::new(2), 1, page("\"c\""));
        assert_eq!(cache.get(UserId::new(1), 1).unwrap().etag, "\"a\"");
        assert_eq!(cache.get(UserId::new(1), 2).unwrap().etag, "\"b\"");
        assert_eq!(cache.get(UserId::new(2), 1).unwrap().etag, "\"c\"");
        assert_eq!(cache.get(UserId::new(2), 2), None);
    }

    #[test]
    fn a_full_cache_drops_the_page_used_longest_ago() {
        let cache = ReposCache::with_capacity(2);
        cache.put(UserId::new(1), 1, page("old"));
        cache.put(UserId::new(1), 2, page("newer"));
        // Using page 1 makes page 2 the least recently used.
        assert!(cache.get(UserId::new(1), 1).is_some());
        cache.put(UserId::new(1), 3, page("newest"));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(UserId::new(1), 2).is_none());
        assert!(cache.get(UserId::new(1), 1).is_some());
        assert!(cache.get(UserId::new(1), 3).is_some());
    }

    #[test]
    fn replacing_a_page_does_not_evict_another() {
        let cache = ReposCache::with_capacity(2);
        cache.put(UserId::new(1), 1, page("a"));
        cache.put(UserId::new(1), 2, page("b"));
        cache.put(UserId::new(1), 1, page("a2"));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(UserId::new(1), 1).unwrap().etag, "a2");
    }

    #[test]
    fn forgetting_a_user_leaves_the_others() {
        let cache = ReposCache::default();
        cache.put(UserId::new(1), 1, page("a"));
        cache.put(UserId::new(1), 2, page("b"));
        cache.put(UserId::new(2), 1, page("c"));
        cache.forget_user(UserId::new(1));
        assert_eq!(cache.len(), 1);
        assert!(cache.get(UserId::new(2), 1).is_some());
    }
}
