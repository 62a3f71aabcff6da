//! Throttling of login and sign-up, per account and per client IP.
//!
//! Per account, only *failed* logins count: at most [`ACCOUNT_FAILURES`] (10 at once, then one
//! every 40 s), so in any window of one hour at most 10 + 3600/40 = 100 wrong passwords are tried
//! against one account. An attempt takes a slot before the password is checked (so parallel guesses
//! cannot overrun the limit) and hands it back when the password was right, so a user's own
//! logins never use up the budget. While someone keeps guessing, the account's budget stays used up
//! and its owner is refused too (letting a correct password through then would let the guesser
//! tell right from wrong beyond the limit); the per-IP limit caps how fast one address can do that.
//!
//! Per IP: 30 logins at once, then one every 2 s (an office behind one NAT still logs in; a password
//! sprayer does not get far), and 5 sign-ups at once, then one a minute (each is an argon2 hash and
//! an account).

use std::{net::IpAddr, sync::Arc, time::Duration};

pub use crate::ratelimit::{Clock, Limit, SystemClock};

use crate::ratelimit::KeyedGcra;
use crate::{Error, Result};

pub const ACCOUNT_FAILURES: Limit = Limit::new(10, Duration::from_secs(40));
pub const IP_LOGINS: Limit = Limit::new(30, Duration::from_secs(2));
pub const IP_SIGNUPS: Limit = Limit::new(5, Duration::from_secs(60));

/// The limits a [`Throttle`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub account_failures: Limit,
    pub ip_logins: Limit,
    pub ip_signups: Limit,
}

impl Default for Limits {
    fn default() -> Self {
        Self { account_failures: ACCOUNT_FAILURES, ip_logins: IP_LOGINS, ip_signups: IP_SIGNUPS }
    }
}

#[derive(Clone)]
pub struct Throttle {
    account_failures: Arc<KeyedGcra<String>>,
    ip_logins: Arc<KeyedGcra<IpAddr>>,
    ip_signups: Arc<KeyedGcra<IpAddr>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new()
    }
}

/// A login attempt holding its account slot: dropped, it counts as a failure; [`LoginAttempt::succeeded`]
/// hands the slot back.
#[must_use]
pub struct LoginAttempt {
    limiter: Arc<KeyedGcra<String>>,
    account: String,
}

impl LoginAttempt {
    pub fn succeeded(self) {
        self.limiter.give_back(&self.account);
    }
}

impl Throttle {
    pub fn new() -> Self {
        Self::with_limits(Limits::default(), Arc::new(SystemClock::default()))
    }

    pub fn with_limits(limits: Limits, clock: Arc<dyn Clock>) -> Self {
        Self {
            account_failures: Arc::new(KeyedGcra::new(limits.account_failures, clock.clone())),
            ip_logins: Arc::new(KeyedGcra::new(limits.ip_logins, clock.clone())),
            ip_signups: Arc::new(KeyedGcra::new(limits.ip_signups, clock)),
        }
    }

    /// Starts a login attempt for a (normalised) email: `RateLimited` with the wait when the IP or
    /// the account has no attempts left.
    pub fn login_attempt(&self, email: &str, ip: Option<IpAddr>) -> Result<LoginAttempt> {
        if let Some(ip) = ip {
            self.ip_logins.take(&ip).map_err(limited)?;
        }
        let account = email.to_string();
        self.account_failures.take(&account).map_err(limited)?;
        Ok(LoginAttempt { limiter: self.account_failures.clone(), account })
    }

    /// Counts one sign-up from `ip` (unknown IPs are not limited: they only occur outside HTTP).
    pub fn sign_up(&self, ip: Option<IpAddr>) -> Result<()> {
        match ip {
            Some(ip) => self.ip_signups.take(&ip).map_err(limited),
            None => Ok(()),
        }
    }
}

/// Whole seconds, rounded up: a client that waits exactly `Retry-After` is then let through.
fn limited(wait: Duration) -> Error {
    Error::RateLimited { retry_after_secs: wait.as_nanos().div_ceil(1_000_000_000).max(1) as u64 }
}

#[cfg(test)]
mod tests;
