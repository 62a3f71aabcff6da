//! Politeness: a pause between requests to the same host.
//!
//! The pause runs from the end of one response to the start of the next request, which is what a
//! robots.txt `Crawl-delay` asks for and what keeps a slow site from being hit harder the slower it
//! gets. So while a host has a delay its requests are sequential; other hosts, and hosts without a
//! delay, are fetched in parallel up to the crawl's concurrency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use tokio::time::Instant;

/// The per-host turn-taking of one crawl.
#[derive(Debug)]
pub struct HostGates {
    default_delay: Duration,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

#[derive(Debug)]
struct Host {
    delay: Mutex<Duration>,
    /// Held for the whole request; holds the earliest time the next request may start.
    turn: Arc<AsyncMutex<Instant>>,
}

/// The right to send one request to a host; dropping it (response read, failed or cancelled) starts
/// the host's pause.
#[must_use]
pub struct Permit {
    turn: Option<(OwnedMutexGuard<Instant>, Arc<Host>)>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some((next, host)) = self.turn.as_mut() {
            **next = Instant::now() + host.delay();
        }
    }
}

impl Host {
    fn delay(&self) -> Duration {
        *self.delay.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl HostGates {
    pub fn new(default_delay: Duration) -> Self {
        Self { default_delay, hosts: Mutex::default() }
    }

    fn host(&self, host: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        hosts
            .entry(host.to_ascii_lowercase())
            .or_insert_with(|| {
                Arc::new(Host {
                    delay: Mutex::new(self.default_delay),
                    turn: Arc::new(AsyncMutex::new(Instant::now())),
                })
            })
            .clone()
    }

    /// Raises the host's delay to `delay` (a robots.txt `Crawl-delay`); never lowers it below ours.
    /// Called as the robots.txt response ends, so the pause starts now: the file's own request counts.
    pub fn raise_delay(&self, host: &str, delay: Duration) {
        let host = self.host(host);
        {
            let mut current = host.delay.lock().unwrap_or_else(PoisonError::into_inner);
            *current = (*current).max(delay);
        }
        // A request in flight holds the turn and starts the pause itself when it ends.
        if let Ok(mut next) = host.turn.try_lock() {
            *next = (*next).max(Instant::now() + host.delay());
        }
    }

    /// Waits for the host's turn and its pause.
    pub async fn acquire(&self, host: &str) -> Permit {
        let host = self.host(host);
        if host.delay().is_zero() {
            return Permit { turn: None };
        }
        let turn = host.turn.clone().lock_owned().await;
        if *turn > Instant::now() {
            tokio::time::sleep_until(*turn).await;
        }
        Permit { turn: Some((turn, host)) }
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    /// Whether the host's turn is free right now (one poll, no waiting).
    fn free_now(gates: &HostGates, host: &str) -> bool {
        gates.acquire(host).now_or_never().is_some()
    }

    #[tokio::test]
    async fn a_host_with_a_delay_is_not_asked_again_until_the_pause_after_the_last_response() {
        let gates = HostGates::new(HOUR);
        let first = gates.acquire("example.com").now_or_never().expect("the first request goes at once");
        assert!(!free_now(&gates, "example.com"), "a second request waits while the first is in flight");
        drop(first);
        assert!(!free_now(&gates, "EXAMPLE.com"), "and then for the pause");
    }

    #[tokio::test(start_paused = true)]
    async fn the_pause_is_at_least_the_delay() {
        // On tokio's paused clock: the time measured is the time the gate asked for.
        let gates = HostGates::new(Duration::from_millis(50));
        drop(gates.acquire("example.com").await);
        let ended = tokio::time::Instant::now();
        let _second = gates.acquire("example.com").await;
        assert!(ended.elapsed() >= Duration::from_millis(50));
    }

    #[tokio::test]
    async fn other_hosts_do_not_wait() {
        let gates = HostGates::new(HOUR);
        drop(gates.acquire("a.example").await);
        assert!(free_now(&gates, "b.example"));
    }

    #[tokio::test]
    async fn without_a_delay_requests_to_one_host_overlap() {
        let gates = HostGates::new(Duration::ZERO);
        let _a = gates.acquire("example.com").await;
        assert!(free_now(&gates, "example.com"));
    }

    #[tokio::test]
    async fn a_crawl_delay_raises_the_pause_but_never_lowers_it() {
        let gates = HostGates::new(Duration::ZERO);
        gates.raise_delay("example.com", HOUR);
        gates.raise_delay("example.com", Duration::from_millis(1));
        assert!(!free_now(&gates, "example.com"), "the pause starts when the delay is learnt");
        assert!(free_now(&gates, "other.example"));
    }
}
