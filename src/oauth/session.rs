//! The one thing the client layer needs from the web framework: somewhere
//! server-side, bound to the browser, to keep a pending login between the
//! redirect to the provider and the callback.
//!
//! `web/` implements [`LoginSession`] over actix-session; tests implement it
//! over a `RefCell<HashMap>`. The client layer owns what it stores (expiry,
//! single use, how many pending logins a browser may hold).

/// Key-value access to the current browser's server-side session.
///
/// Values are JSON so that the session store can persist them as they are.
/// Errors are strings because the caller can only report them.
pub trait LoginSession {
    /// The value under `key`, if any.
    fn get(&self, key: &str) -> Result<Option<serde_json::Value>, String>;
    /// Stores `value` under `key`, replacing what was there.
    fn insert(&self, key: &str, value: serde_json::Value) -> Result<(), String>;
    /// Removes `key`, returning what it held.
    fn remove(&self, key: &str) -> Option<serde_json::Value>;
    /// Every key that starts with `prefix` (to expire and cap pending logins).
    fn keys_with_prefix(&self, prefix: &str) -> Vec<String>;
}
