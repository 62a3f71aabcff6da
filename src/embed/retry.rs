//! Bounded retries for remote embedders.
//!
//! One loop for both remote services so they behave alike: rate limits are retried a few times
//! (waiting as long as the server asks, or backing off), a server error or a model that is still
//! loading once, everything else not at all. The total wait is capped so an ingestion job learns
//! about a long outage within seconds rather than hanging on it.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use super::EmbedError;

/// How often and how long a remote embedder retries. `Default`: 3 retries on rate limits, 1 on
/// server errors, at most 20 s of waiting in all, backing off from 500 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after a rate-limit answer (HTTP 429, ThrottlingException).
    pub rate_limit_retries: u32,
    /// Retries after a server error or a service that is not ready (5xx, ModelNotReady).
    pub server_error_retries: u32,
    /// The longest total wait across all retries of one request. A server asking for more makes
    /// the request fail at once with [`EmbedError::RateLimited`] saying how long it asked for.
    pub max_total_wait: Duration,
    /// The first backoff when the server does not say how long to wait; doubled on every retry,
    /// with jitter so concurrent requests do not come back in lockstep.
    pub base_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            rate_limit_retries: 3,
            server_error_retries: 1,
            max_total_wait: Duration::from_secs(20),
            base_delay: Duration::from_millis(500),
        }
    }
}

/// How one attempt failed, as far as retrying is concerned.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Rate limited; `error` is what the caller gets when the retries run out (normally
    /// [`EmbedError::RateLimited`]).
    RateLimited { retry_after: Option<Duration>, error: EmbedError },
    /// A server error or a model still loading: worth one more try.
    Busy(EmbedError),
    /// Retrying cannot help (bad key, bad input, unknown model).
    Fatal(EmbedError),
}

/// Runs `attempt` until it succeeds, fails for good, or the policy's retries or wait run out.
pub(crate) async fn with_retries<T, F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Result<T, EmbedError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Attempt>>,
{
    let (mut rate_limited, mut busy) = (0u32, 0u32);
    let mut waited = Duration::ZERO;
    loop {
        let delay = match attempt().await {
            Ok(value) => return Ok(value),
            Err(Attempt::Fatal(error)) => return Err(error),
            Err(Attempt::Busy(error)) => {
                if busy >= policy.server_error_retries {
                    return Err(error);
                }
                busy += 1;
                backoff(policy.base_delay, busy)
            }
            Err(Attempt::RateLimited { retry_after, error }) => {
                if rate_limited >= policy.rate_limit_retries {
                    return Err(error);
                }
                rate_limited += 1;
                retry_after.unwrap_or_else(|| backoff(policy.base_delay, rate_limited))
            }
        };
        if waited + delay > policy.max_total_wait {
            return Err(EmbedError::RateLimited {
                message: format!(
                    "the embedding service asked to wait {} s more, beyond the {} s this request may wait in all",
                    delay.as_secs_f32().ceil(),
                    policy.max_total_wait.as_secs()
                ),
                retry_after_secs: Some(delay.as_secs_f32().ceil() as u64),
            });
        }
        tracing::debug!(delay_ms = delay.as_millis() as u64, "retrying an embedding request");
        tokio::time::sleep(delay).await;
        waited += delay;
    }
}

/// `base · 2^(n-1)`, scaled by a random factor in [0.5, 1).
fn backoff(base: Duration, n: u32) -> Duration {
    let full = base.saturating_mul(1u32 << (n.saturating_sub(1)).min(10));
    full.mul_f64(rand::rng().random_range(0.5..1.0))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn quick() -> RetryPolicy {
        RetryPolicy { base_delay: Duration::from_millis(1), ..RetryPolicy::default() }
    }

    fn limited(after: Option<Duration>) -> Attempt {
        Attempt::RateLimited {
            retry_after: after,
            error: EmbedError::RateLimited { message: "limited".into(), retry_after_secs: None },
        }
    }

    #[tokio::test]
    async fn a_rate_limit_is_retried_three_times_then_reported() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries(&quick(), || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(limited(Some(Duration::from_millis(1)))) }
        })
        .await;
        assert!(matches!(result, Err(EmbedError::RateLimited { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_server_error_is_retried_once_and_a_fatal_one_never() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries(&quick(), || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(Attempt::Busy(EmbedError::Unavailable("down".into()))) }
        })
        .await;
        assert!(matches!(result, Err(EmbedError::Unavailable(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries(&quick(), || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(Attempt::Fatal(EmbedError::Unauthorized("no".into()))) }
        })
        .await;
        assert!(matches!(result, Err(EmbedError::Unauthorized(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_wait_beyond_the_budget_fails_at_once_saying_how_long() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries(&quick(), || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(limited(Some(Duration::from_secs(60)))) }
        })
        .await;
        assert!(matches!(result, Err(EmbedError::RateLimited { retry_after_secs: Some(60), .. })), "{result:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn success_after_failures_is_returned() {
        let calls = AtomicU32::new(0);
        let result = with_retries(&quick(), || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move { if n < 2 { Err(limited(None)) } else { Ok(n) } }
        })
        .await;
        assert_eq!(result.ok(), Some(2));
    }

    #[test]
    fn backoff_doubles_and_stays_within_its_jitter() {
        let base = Duration::from_millis(100);
        let third = backoff(base, 3);
        assert!(third >= Duration::from_millis(200) && third < Duration::from_millis(400), "{third:?}");
    }
}
