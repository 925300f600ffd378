//! The rate limit on starting logins, per client address.
//!
//! Each login start costs a session row, a pending login and, for OAuth 1,
//! a request to the provider; a flood from one address is refused with a
//! 429 page before any of that happens. The limiter is GCRA (the `governor`
//! crate) keyed by address; an IPv6 client counts by its /64, since one
//! host commonly holds a whole /64. The count lives in process memory: each
//! app process limits on its own.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// Login starts allowed per client address.
pub struct LoginLimiter {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginLimiter")
            .field("on", &self.limiter.is_some())
            .finish_non_exhaustive()
    }
}

impl LoginLimiter {
    /// `per_minute` starts a minute from one address, as many in a burst;
    /// 0 turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        Self {
            limiter: NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            clock: DefaultClock::default(),
        }
    }

    /// Counts a login start from `client`; past the limit, the 429 page
    /// saying when to try again.
    pub fn check(&self, client: IpAddr) -> Result<(), AppError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&key_of(client)).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            AppError::TooManyRequests {
                retry_after: wait.max(Duration::from_secs(1)),
            }
        })
    }

    /// Forgets addresses whose allowance is full again, so the table does
    /// not grow with every address ever seen.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The address a client is counted under: IPv4 as it is, IPv6 by its /64
/// (an IPv4-mapped address as the IPv4 address).
fn key_of(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_burst_beyond_the_limit_is_refused_with_a_wait() {
        let limiter = LoginLimiter::new(3);
        for _ in 0..3 {
            limiter.check(ip("192.0.2.1")).unwrap();
        }
        let Err(AppError::TooManyRequests { retry_after }) = limiter.check(ip("192.0.2.1")) else {
            panic!("the fourth start within a minute must be refused");
        };
        assert!(retry_after >= Duration::from_secs(1) && retry_after <= Duration::from_secs(20));
        limiter.check(ip("192.0.2.2")).unwrap();
    }

    #[test]
    fn an_ipv6_host_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let limiter = LoginLimiter::new(1);
        limiter.check(ip("2001:db8:1:2::1")).unwrap();
        assert!(limiter.check(ip("2001:db8:1:2:ffff::9")).is_err());
        limiter.check(ip("2001:db8:1:3::1")).unwrap();
        limiter.check(ip("198.51.100.7")).unwrap();
        assert!(limiter.check(ip("::ffff:198.51.100.7")).is_err());
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limiter = LoginLimiter::new(0);
        for _ in 0..1000 {
            limiter.check(ip("192.0.2.1")).unwrap();
        }
        limiter.forget_idle();
    }
}
