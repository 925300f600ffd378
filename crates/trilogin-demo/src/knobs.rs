//! Test and demo knobs shared by the demo providers: inject faults into the
//! next token request, add latency, count calls per endpoint.
//!
//! Tests reach them in code through the providers' `knobs()`; nothing here is
//! reachable when demo mode is off, because the providers are not built.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A failure the next token-endpoint request will get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer 503 with an HTML body, like a provider outage.
    ServerError,
    /// Hold the request far longer than any client timeout, then answer 504.
    Timeout,
    /// Answer `invalid_grant`, as when the grant was revoked.
    InvalidGrant,
}

/// Fault injection, latency and call counts of one demo provider.
#[derive(Debug, Default)]
pub struct Knobs {
    next_token_fault: Mutex<Option<Fault>>,
    latency_ms: AtomicU64,
    calls: Mutex<BTreeMap<String, u64>>,
}

impl Knobs {
    /// The next token request (code exchange or refresh) fails with `fault`.
    pub fn fail_next_token_request(&self, fault: Fault) {
        *lock(&self.next_token_fault) = Some(fault);
    }

    /// Takes the pending fault, if any: each injected fault fires once.
    pub fn take_token_fault(&self) -> Option<Fault> {
        lock(&self.next_token_fault).take()
    }

    /// Every endpoint of the provider waits this long before answering.
    pub fn set_latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.latency_ms.store(ms, Ordering::Relaxed);
    }

    /// The configured latency.
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }

    /// Counts one call of `endpoint` (a short name such as `token` or `user`).
    pub fn count(&self, endpoint: &str) {
        *lock(&self.calls).entry(endpoint.to_owned()).or_default() += 1;
    }

    /// How many times `endpoint` was called.
    pub fn calls(&self, endpoint: &str) -> u64 {
        lock(&self.calls).get(endpoint).copied().unwrap_or(0)
    }

    /// All call counts, by endpoint.
    pub fn all_calls(&self) -> BTreeMap<String, u64> {
        lock(&self.calls).clone()
    }
}

/// Locks a mutex, recovering the data if a panicking holder poisoned it:
/// demo state stays usable, which is all a demo needs.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_injected_fault_fires_once() {
        let knobs = Knobs::default();
        knobs.fail_next_token_request(Fault::InvalidGrant);
        assert_eq!(knobs.take_token_fault(), Some(Fault::InvalidGrant));
        assert_eq!(knobs.take_token_fault(), None);
    }

    #[test]
    fn calls_are_counted_per_endpoint() {
        let knobs = Knobs::default();
        knobs.count("token");
        knobs.count("token");
        knobs.count("user");
        assert_eq!(knobs.calls("token"), 2);
        assert_eq!(knobs.calls("user"), 1);
        assert_eq!(knobs.calls("repos"), 0);
    }
}
