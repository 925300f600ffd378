//! Provider rate limits, respected before a call is refused.
//!
//! GitHub says how many calls a token has left (`X-RateLimit-Remaining`) and
//! when the count starts again (`X-RateLimit-Reset`, Unix seconds); its
//! secondary limits answer 403 or 429 with `Retry-After`. A client that goes
//! on calling after either only collects refusals, and GitHub bans
//! integrations that keep doing it. So a client remembers, per access token,
//! until when the provider asked it to wait, and refuses its own calls until
//! then with [`Error::RateLimited`] instead of sending them.
//!
//! The memory is per process and bounded: a forgotten limit costs one
//! refused call, which is remembered again.

use std::sync::{Mutex, PoisonError};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime};

use super::error::{Error, Result};

/// Tokens whose limits are remembered at once; the least recently limited
/// is forgotten first. The map grows as limits are met rather than being
/// allocated whole for every client up front: most processes never see one.
const CAPACITY: usize = 4096;

/// The longest wait a provider's headers can impose: GitHub's window is an
/// hour, and a clock or header gone wrong must not lock a person out for
/// longer.
const LONGEST_WAIT: Duration = Duration::hours(1);

/// Until when each token must not call its provider.
#[derive(Debug)]
pub(crate) struct RateLimits {
    until: Mutex<lru::LruCache<[u8; 32], OffsetDateTime>>,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            until: Mutex::new(lru::LruCache::unbounded()),
        }
    }
}

impl RateLimits {
    /// Refuses a call with `credential` (an access token, or the empty
    /// string for calls without one) while its provider asked to wait.
    ///
    /// # Errors
    ///
    /// [`Error::RateLimited`] until the time the provider named.
    pub(crate) fn check(&self, credential: &str, now: OffsetDateTime) -> Result<()> {
        let key = key(credential);
        let mut until = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        match until.peek(&key).copied() {
            Some(at) if at > now => Err(Error::RateLimited { until: at }),
            Some(_) => {
                until.pop(&key);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Reads the limit headers of an answer to a call with `credential`.
    ///
    /// # Errors
    ///
    /// [`Error::RateLimited`] when the answer is itself a rate-limit refusal
    /// (403 or 429 with `Retry-After` or no calls left), so that the caller
    /// says so rather than treating it as any other refusal.
    pub(crate) fn observe(
        &self,
        credential: &str,
        status: StatusCode,
        headers: &HeaderMap,
        now: OffsetDateTime,
    ) -> Result<()> {
        let Some(wait_until) = wait_until(status, headers, now) else {
            return Ok(());
        };
        let wait_until = wait_until.clamp(now, now + LONGEST_WAIT);
        tracing::warn!(%wait_until, %status, "the provider's rate limit is reached");
        let mut until = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        until.put(key(credential), wait_until);
        if until.len() > CAPACITY {
            until.pop_lru();
        }
        drop(until);
        if is_refusal(status) {
            Err(Error::RateLimited { until: wait_until })
        } else {
            Ok(())
        }
    }
}

/// Tokens are remembered by digest: the map never holds a secret.
fn key(credential: &str) -> [u8; 32] {
    Sha256::digest(credential.as_bytes()).into()
}

fn is_refusal(status: StatusCode) -> bool {
    status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS
}

/// Until when the answer asks the client to wait, if it does.
fn wait_until(
    status: StatusCode,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if is_refusal(status)
        && let Some(retry_after) = text(RETRY_AFTER.as_str())
    {
        return retry_after_time(retry_after, now);
    }
    if text("x-ratelimit-remaining")?.parse::<u64>().ok()? != 0 {
        return None;
    }
    let reset = text("x-ratelimit-reset")?.parse::<i64>().ok()?;
    OffsetDateTime::from_unix_timestamp(reset).ok()
}

/// `Retry-After` as delay seconds or an HTTP date (RFC 9110 §10.2.3).
fn retry_after_time(value: &str, now: OffsetDateTime) -> Option<OffsetDateTime> {
    if let Ok(seconds) = value.parse::<u32>() {
        return Some(now + Duration::seconds(i64::from(seconds)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(OffsetDateTime::from(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-07 12:00:00 UTC);

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn reset_in(seconds: i64) -> String {
        (NOW + Duration::seconds(seconds))
            .unix_timestamp()
            .to_string()
    }

    /// An answer saying the token has no calls left until `seconds` from now.
    fn none_left_for(seconds: i64) -> HeaderMap {
        headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset_in(seconds)),
        ])
    }

    #[test]
    fn the_least_recently_limited_token_is_forgotten_beyond_the_capacity() {
        let limits = RateLimits::default();
        let spent = none_left_for(600);
        for n in 0..=CAPACITY {
            let token = format!("gho_{n}");
            assert!(limits.observe(&token, StatusCode::OK, &spent, NOW).is_ok());
        }
        assert!(
            limits.check("gho_0", NOW).is_ok(),
            "the oldest limit is forgotten"
        );
        for token in ["gho_1", &format!("gho_{CAPACITY}")] {
            assert!(
                matches!(limits.check(token, NOW), Err(Error::RateLimited { .. })),
                "{token} is still limited"
            );
        }
    }

    #[test]
    fn the_last_call_of_the_window_succeeds_and_the_next_waits_for_the_reset() {
        let limits = RateLimits::default();
        let last = none_left_for(600);
        assert!(limits.observe("gho_a", StatusCode::OK, &last, NOW).is_ok());
        let refused = limits.check("gho_a", NOW + Duration::seconds(599));
        assert!(
            matches!(refused, Err(Error::RateLimited { until }) if until == NOW + Duration::seconds(600)),
            "{refused:?}"
        );
        assert!(
            limits.check("gho_other", NOW).is_ok(),
            "other tokens have their own limit"
        );
        assert!(
            limits.check("gho_a", NOW + Duration::seconds(600)).is_ok(),
            "the window reset"
        );
    }

    #[test]
    fn calls_left_mean_no_wait() {
        let limits = RateLimits::default();
        let fine = headers(&[
            ("x-ratelimit-remaining", "4999"),
            ("x-ratelimit-reset", &reset_in(3600)),
        ]);
        assert!(limits.observe("gho_a", StatusCode::OK, &fine, NOW).is_ok());
        assert!(limits.check("gho_a", NOW).is_ok());
    }

    #[test]
    fn a_secondary_limit_is_a_refusal_for_retry_after_seconds() {
        for status in [StatusCode::FORBIDDEN, StatusCode::TOO_MANY_REQUESTS] {
            let limits = RateLimits::default();
            let answer = headers(&[("retry-after", "60"), ("x-ratelimit-remaining", "4000")]);
            let observed = limits.observe("gho_a", status, &answer, NOW);
            assert!(
                matches!(observed, Err(Error::RateLimited { until }) if until == NOW + Duration::seconds(60)),
                "{status}: {observed:?}"
            );
            assert!(limits.check("gho_a", NOW + Duration::seconds(59)).is_err());
            assert!(limits.check("gho_a", NOW + Duration::seconds(60)).is_ok());
        }
    }

    #[test]
    fn retry_after_may_be_an_http_date() {
        let limits = RateLimits::default();
        let answer = headers(&[("retry-after", "Mon, 07 Dec 2026 12:02:00 GMT")]);
        let observed = limits.observe("", StatusCode::TOO_MANY_REQUESTS, &answer, NOW);
        assert!(
            matches!(observed, Err(Error::RateLimited { until }) if until == datetime!(2026-12-07 12:02:00 UTC)),
            "{observed:?}"
        );
    }

    #[test]
    fn a_refusal_with_no_calls_left_waits_for_the_reset() {
        let limits = RateLimits::default();
        let answer = none_left_for(120);
        let observed = limits.observe("gho_a", StatusCode::FORBIDDEN, &answer, NOW);
        assert!(
            matches!(observed, Err(Error::RateLimited { .. })),
            "{observed:?}"
        );
    }

    #[test]
    fn an_ordinary_refusal_is_left_to_the_caller() {
        let limits = RateLimits::default();
        let observed = limits.observe("gho_a", StatusCode::FORBIDDEN, &HeaderMap::new(), NOW);
        assert!(observed.is_ok());
        assert!(limits.check("gho_a", NOW).is_ok());
    }

    #[test]
    fn headers_cannot_impose_more_than_an_hour_or_a_wait_in_the_past() {
        let limits = RateLimits::default();
        let far = none_left_for(86_400 * 365);
        limits.observe("gho_a", StatusCode::OK, &far, NOW).unwrap();
        assert!(limits.check("gho_a", NOW + Duration::minutes(59)).is_err());
        assert!(limits.check("gho_a", NOW + Duration::hours(1)).is_ok());

        let garbage = headers(&[("retry-after", "soon")]);
        assert!(
            limits
                .observe("gho_b", StatusCode::TOO_MANY_REQUESTS, &garbage, NOW)
                .is_ok()
        );
        assert!(
            limits.check("gho_b", NOW).is_ok(),
            "an unreadable Retry-After is no wait"
        );
    }
}
