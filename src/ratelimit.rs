//! The one rate limiter: a keyed GCRA (the algorithm governor uses) that can also hand a counted
//! event back, on a clock the caller chooses so tests step time instead of waiting for it. Login and
//! sign-up throttling (`auth::throttle`) and the widget's per-visitor limit use it.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Monotonic time as a duration since some fixed origin.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Duration;
}

/// The process's monotonic clock.
pub struct SystemClock(Instant);

impl Default for SystemClock {
    fn default() -> Self {
        Self(Instant::now())
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// `burst` events at once, then one every `every`: in any window of length `w` at most
/// `burst + floor(w / every)` events are let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub burst: u32,
    pub every: Duration,
}

impl Limit {
    pub const fn new(burst: u32, every: Duration) -> Self {
        Self { burst, every }
    }

    /// The most events this limit lets through in any window of length `window`.
    pub fn most_in(&self, window: Duration) -> u64 {
        u64::from(self.burst.max(1)) + (window.as_nanos() / self.every.as_nanos().max(1)) as u64
    }
}

/// Per key, the theoretical arrival time (TAT) of the next event: an event at `now` conforms when
/// `tat - now <= (burst - 1) * every`, and moves the TAT on by `every`.
pub struct KeyedGcra<K> {
    limit: Limit,
    clock: Arc<dyn Clock>,
    tats: Mutex<HashMap<K, Duration>>,
}

/// Above this many keys, keys whose TAT has passed (as good as new) are dropped.
const PRUNE_ABOVE: usize = 100_000;

impl<K: Hash + Eq + Clone> KeyedGcra<K> {
    pub fn new(limit: Limit, clock: Arc<dyn Clock>) -> Self {
        Self { limit, clock, tats: Mutex::new(HashMap::new()) }
    }

    /// Counts one event for `key`, or says how long until one would be let through.
    pub fn take(&self, key: &K) -> Result<(), Duration> {
        let now = self.clock.now();
        let tolerance = self.limit.every * self.limit.burst.max(1).saturating_sub(1);
        let mut tats = self.tats.lock().unwrap_or_else(|p| p.into_inner());
        let tat = tats.get(key).copied().unwrap_or(now).max(now);
        if tat - now > tolerance {
            return Err(tat - now - tolerance);
        }
        tats.insert(key.clone(), tat + self.limit.every);
        if tats.len() > PRUNE_ABOVE {
            tats.retain(|_, t| *t > now);
        }
        Ok(())
    }

    /// Hands back one event counted by [`KeyedGcra::take`] (it turned out not to count).
    pub fn give_back(&self, key: &K) {
        let mut tats = self.tats.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = tats.get_mut(key) {
            *t = t.saturating_sub(self.limit.every);
        }
    }
}

/// A clock tests move by hand.
#[cfg(test)]
#[derive(Default)]
pub struct ManualClock(Mutex<Duration>);

#[cfg(test)]
impl ManualClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

#[cfg(test)]
impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.0.lock().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_one_per_period_and_the_wait_is_exact() {
        let clock = Arc::new(ManualClock::default());
        let g = KeyedGcra::new(Limit::new(3, Duration::from_secs(10)), clock.clone());
        for _ in 0..3 {
            g.take(&"k").unwrap();
        }
        assert_eq!(g.take(&"k"), Err(Duration::from_secs(10)));
        clock.advance(Duration::from_millis(9_500));
        assert_eq!(g.take(&"k"), Err(Duration::from_millis(500)));
        clock.advance(Duration::from_millis(500));
        g.take(&"k").unwrap();
        assert!(g.take(&"other").is_ok());
    }

    #[test]
    fn an_event_given_back_frees_its_slot() {
        let clock = Arc::new(ManualClock::default());
        let g = KeyedGcra::new(Limit::new(2, Duration::from_secs(10)), clock);
        for _ in 0..100 {
            g.take(&"k").unwrap();
            g.give_back(&"k");
        }
        g.take(&"k").unwrap();
        g.take(&"k").unwrap();
        assert!(g.take(&"k").is_err());
    }
}
