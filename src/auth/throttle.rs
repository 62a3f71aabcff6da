//! Login throttling per account and per client IP (governor's keyed GCRA limiters).

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::{Error, Result};

/// Per account: 5 attempts at once, then one every 12 s. Per IP: 30 at once, then one every 2 s
/// (an office behind one NAT still logs in; a password sprayer does not get far).
#[derive(Clone)]
pub struct Throttle {
    per_account: Arc<DefaultKeyedRateLimiter<String>>,
    per_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new()
    }
}

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst)
}

impl Throttle {
    pub fn new() -> Self {
        Self::with_quotas(quota(5, Duration::from_secs(12)), quota(30, Duration::from_secs(2)))
    }

    pub fn with_quotas(per_account: Quota, per_ip: Quota) -> Self {
        Self { per_account: Arc::new(RateLimiter::keyed(per_account)), per_ip: Arc::new(RateLimiter::keyed(per_ip)) }
    }

    /// Counts one login attempt; `RateLimited` with the wait when either limit is exhausted.
    pub fn check_login(&self, email: &str, ip: Option<IpAddr>) -> Result<()> {
        let clock = DefaultClock::default();
        if let Some(ip) = ip
            && let Err(not_until) = self.per_ip.check_key(&ip)
        {
            return Err(limited(not_until.wait_time_from(clock.now())));
        }
        if let Err(not_until) = self.per_account.check_key(&email.to_string()) {
            return Err(limited(not_until.wait_time_from(clock.now())));
        }
        // Keep the maps from growing without bound under a spray of distinct keys.
        if self.per_account.len() > 100_000 {
            self.per_account.retain_recent();
        }
        if self.per_ip.len() > 100_000 {
            self.per_ip.retain_recent();
        }
        Ok(())
    }
}

fn limited(wait: Duration) -> Error {
    Error::RateLimited { retry_after_secs: wait.as_secs().max(1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_quick_attempt_on_one_account_is_refused_with_a_wait() {
        let t = Throttle::new();
        for _ in 0..5 {
            t.check_login("a@x.io", None).unwrap();
        }
        match t.check_login("a@x.io", None) {
            Err(Error::RateLimited { retry_after_secs }) => {
                assert!((1..=12).contains(&retry_after_secs))
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
        // Another account is unaffected.
        t.check_login("b@x.io", None).unwrap();
    }

    #[test]
    fn one_ip_trying_many_accounts_is_limited() {
        let t = Throttle::new();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for i in 0..30 {
            t.check_login(&format!("u{i}@x.io"), Some(ip)).unwrap();
        }
        assert!(matches!(t.check_login("new@x.io", Some(ip)), Err(Error::RateLimited { .. })));
    }
}
