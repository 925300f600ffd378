//! The replay guard of [RFC 5849 §3.3](https://www.rfc-editor.org/rfc/rfc5849#section-3.3):
//! a nonce is accepted once per consumer, token and timestamp, and is
//! remembered for as long as its timestamp would still be accepted.

use std::collections::{HashSet, VecDeque};

/// How far a request's timestamp may be from the server clock, either way.
pub const TIMESTAMP_WINDOW_SECS: i64 = 5 * 60;

/// Above this many remembered nonces new ones are refused: a flood of signed
/// requests cannot grow memory without bound, and honest clients never
/// come close within one window.
const CAPACITY: usize = 200_000;

/// Nonces seen within the timestamp window.
#[derive(Debug, Default)]
pub struct NonceCache {
    seen: HashSet<String>,
    /// Keys in insertion order with the time they may be forgotten; times
    /// only grow, so expiry is a pop from the front.
    expiries: VecDeque<(i64, String)>,
}

impl NonceCache {
    /// Whether `timestamp` is within the window around `now`.
    pub fn timestamp_is_fresh(timestamp: i64, now: i64) -> bool {
        // The timestamp is the client's: `timestamp - now` can overflow,
        // and a wrapped difference of i64::MIN even has an `abs` of i64::MIN.
        timestamp.abs_diff(now) <= TIMESTAMP_WINDOW_SECS.unsigned_abs()
    }

    /// Records the nonce; false when this consumer, token and timestamp
    /// already used it (a replay) or the cache is full.
    pub fn insert(
        &mut self,
        consumer_key: &str,
        token: Option<&str>,
        timestamp: i64,
        nonce: &str,
        now: i64,
    ) -> bool {
        self.forget_expired(now);
        if self.seen.len() >= CAPACITY {
            return false;
        }
        // Length prefixes keep the key unambiguous whatever the parts contain.
        let token = token.unwrap_or_default();
        let key = format!(
            "{}:{consumer_key}\n{}:{token}\n{timestamp}\n{nonce}",
            consumer_key.len(),
            token.len()
        );
        if !self.seen.insert(key.clone()) {
            return false;
        }
        // A timestamp accepted at `now` is at most one window ahead of it, and
        // stays acceptable until one window after itself.
        self.expiries
            .push_back((now + 2 * TIMESTAMP_WINDOW_SECS, key));
        true
    }

    fn forget_expired(&mut self, now: i64) {
        while let Some((expiry, _)) = self.expiries.front() {
            if *expiry >= now {
                break;
            }
            if let Some((_, key)) = self.expiries.pop_front() {
                self.seen.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_accepted_once_per_consumer_token_and_timestamp() {
        let mut cache = NonceCache::default();
        assert!(cache.insert("c", Some("t"), 100, "n", 100));
        assert!(!cache.insert("c", Some("t"), 100, "n", 101));
        assert!(cache.insert("c", Some("t"), 101, "n", 101));
        assert!(cache.insert("c", Some("u"), 100, "n", 101));
        assert!(cache.insert("c", None, 100, "n", 101));
        assert!(cache.insert("d", Some("t"), 100, "n", 101));
    }

    #[test]
    fn a_nonce_is_remembered_for_the_whole_window() {
        let mut cache = NonceCache::default();
        let now = 1_000;
        let ahead = now + TIMESTAMP_WINDOW_SECS;
        assert!(cache.insert("c", None, ahead, "n", now));
        // Still acceptable by timestamp at the end of its window: still a replay.
        let last_acceptable = ahead + TIMESTAMP_WINDOW_SECS;
        assert!(NonceCache::timestamp_is_fresh(ahead, last_acceptable));
        assert!(!cache.insert("c", None, ahead, "n", last_acceptable));
        // Once forgotten, the timestamp itself is stale.
        assert!(cache.insert("c", None, 5, "other", last_acceptable + 1));
        assert!(!cache.seen.iter().any(|k| k.ends_with("\nn")));
    }

    #[test]
    fn timestamps_are_fresh_within_five_minutes_either_way() {
        assert!(NonceCache::timestamp_is_fresh(1_000 - 300, 1_000));
        assert!(NonceCache::timestamp_is_fresh(1_000 + 300, 1_000));
        assert!(!NonceCache::timestamp_is_fresh(1_000 - 301, 1_000));
        assert!(!NonceCache::timestamp_is_fresh(1_000 + 301, 1_000));
    }

    #[test]
    fn a_timestamp_at_the_far_end_of_the_number_range_is_stale_not_a_crash() {
        let now = 1_767_225_600;
        assert!(!NonceCache::timestamp_is_fresh(i64::MIN, now));
        assert!(!NonceCache::timestamp_is_fresh(i64::MAX, -now));
        // i64::MIN + now is exactly i64::MIN away: a wrapping `abs` calls that fresh.
        assert!(!NonceCache::timestamp_is_fresh(i64::MIN + now, now));
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #[test]
            fn freshness_is_the_true_distance_within_the_window(
                timestamp in any::<i64>(),
                now in any::<i64>(),
            ) {
                let distance = (i128::from(timestamp) - i128::from(now)).abs();
                prop_assert_eq!(
                    NonceCache::timestamp_is_fresh(timestamp, now),
                    distance <= i128::from(TIMESTAMP_WINDOW_SECS)
                );
            }
        }
    }
}
