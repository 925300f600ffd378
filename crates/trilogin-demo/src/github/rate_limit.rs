//! GitHub's primary rate limit: each access token has a budget of requests
//! per hour, reported in `X-RateLimit-*` headers on every API answer. And
//! its secondary limit, which refuses calls for a while with `Retry-After`.
//! <https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api>

use std::collections::HashMap;
use std::sync::Mutex;

use super::RATE_LIMIT;
use crate::knobs::lock;

const WINDOW_SECS: i64 = 3600;
const MAX_TRACKED: usize = 10_000;

/// One token's budget in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests left in the window.
    pub remaining: u32,
    /// When the window ends (Unix seconds).
    pub reset: i64,
}

impl Budget {
    fn fresh(now: i64) -> Self {
        Self {
            remaining: RATE_LIMIT,
            reset: now + WINDOW_SECS,
        }
    }

    /// Requests made in the window.
    pub fn used(&self) -> u32 {
        RATE_LIMIT.saturating_sub(self.remaining)
    }
}

/// Budgets by access-token hash, and the secondary limit.
#[derive(Debug, Default)]
pub struct RateLimits {
    budgets: Mutex<HashMap<String, Budget>>,
    secondary_until: Mutex<Option<i64>>,
}

impl RateLimits {
    /// Knob: every API call is refused until `until` (Unix seconds).
    pub fn impose_secondary(&self, until: i64) {
        *lock(&self.secondary_until) = Some(until);
    }

    /// Seconds until the secondary limit lifts, while it holds.
    pub fn secondary_wait(&self, now: i64) -> Option<i64> {
        lock(&self.secondary_until)
            .map(|until| until - now)
            .filter(|wait| *wait > 0)
    }

    /// The token's budget now, without spending any.
    pub fn peek(&self, token: &str, now: i64) -> Budget {
        let mut budgets = lock(&self.budgets);
        *Self::current(&mut budgets, token, now)
    }

    /// Spends one request: the budget after it, or the empty budget when
    /// nothing was left.
    pub fn spend(&self, token: &str, now: i64) -> Result<Budget, Budget> {
        let mut budgets = lock(&self.budgets);
        let budget = Self::current(&mut budgets, token, now);
        if budget.remaining == 0 {
            return Err(*budget);
        }
        budget.remaining -= 1;
        Ok(*budget)
    }

    /// Knob: these tokens have `remaining` requests left in a fresh window.
    pub fn set_remaining(&self, tokens: &[String], remaining: u32, now: i64) {
        let mut budgets = lock(&self.budgets);
        for token in tokens {
            budgets.insert(
                token.clone(),
                Budget {
                    remaining: remaining.min(RATE_LIMIT),
                    reset: now + WINDOW_SECS,
                },
            );
        }
    }

    fn current<'a>(
        budgets: &'a mut HashMap<String, Budget>,
        token: &str,
        now: i64,
    ) -> &'a mut Budget {
        if budgets.len() >= MAX_TRACKED {
            budgets.retain(|_, b| b.reset > now);
        }
        let budget = budgets
            .entry(token.to_owned())
            .or_insert_with(|| Budget::fresh(now));
        if budget.reset <= now {
            *budget = Budget::fresh(now);
        }
        budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_spends_one_and_an_empty_budget_refuses() {
        let limits = RateLimits::default();
        assert_eq!(limits.spend("t", 0).unwrap().remaining, RATE_LIMIT - 1);
        limits.set_remaining(&["t".to_owned()], 1, 0);
        assert_eq!(limits.spend("t", 1).unwrap().remaining, 0);
        assert_eq!(limits.spend("t", 2).unwrap_err().remaining, 0);
        assert_eq!(limits.peek("other", 2).remaining, RATE_LIMIT);
    }

    #[test]
    fn the_secondary_limit_holds_until_its_time() {
        let limits = RateLimits::default();
        assert_eq!(limits.secondary_wait(0), None);
        limits.impose_secondary(60);
        assert_eq!(limits.secondary_wait(10), Some(50));
        assert_eq!(limits.secondary_wait(60), None);
    }

    #[test]
    fn the_budget_refills_after_the_window() {
        let limits = RateLimits::default();
        limits.set_remaining(&["t".to_owned()], 0, 0);
        assert!(limits.spend("t", 10).is_err());
        assert_eq!(
            limits.spend("t", WINDOW_SECS).unwrap().remaining,
            RATE_LIMIT - 1
        );
    }
}
