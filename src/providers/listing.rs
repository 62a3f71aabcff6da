//! A provider's model list asked from its server once and cached: for the HTTP providers
//! (OpenAI-compatible, Anthropic, Ollama) configured without a model list.

use std::future::Future;
use std::time::{Duration, Instant};

use super::ProviderError;

/// After a failed listing, the registry (which asks on every request) would otherwise hit the
/// server on every chat request and wait up to the timeout each time.
const RETRY_LISTING_AFTER: Duration = Duration::from_secs(30);

/// A tokio mutex so that concurrent callers wait for the one listing in flight instead of each
/// sending their own.
#[derive(Default)]
pub(super) struct ListedModels(tokio::sync::Mutex<Listing>);

#[derive(Default)]
enum Listing {
    #[default]
    NotYet,
    Listed(Vec<String>),
    FailedAt(Instant),
}

impl ListedModels {
    /// The cached list, or else the result of `fetch` (bounded by `timeout`), cached; empty while
    /// the server cannot be asked. Failures are logged here, under `provider`.
    pub(super) async fn get_or_fetch<F>(&self, provider: &str, timeout: Duration, fetch: F) -> Vec<String>
    where
        F: Future<Output = Result<Vec<String>, ProviderError>>,
    {
        let mut listing = self.0.lock().await;
        match &*listing {
            Listing::Listed(ids) => return ids.clone(),
            Listing::FailedAt(at) if at.elapsed() < RETRY_LISTING_AFTER => return Vec::new(),
            Listing::NotYet | Listing::FailedAt(_) => {}
        }
        let fetched = match tokio::time::timeout(timeout, fetch).await {
            Ok(Ok(ids)) => {
                tracing::info!(provider, count = ids.len(), "listed the server's models");
                Some(ids)
            }
            Ok(Err(error)) => {
                tracing::warn!(provider, %error, "listing models failed");
                None
            }
            Err(_) => {
                tracing::warn!(provider, ?timeout, "listing models timed out");
                None
            }
        };
        match fetched {
            Some(ids) => {
                *listing = Listing::Listed(ids.clone());
                ids
            }
            None => {
                *listing = Listing::FailedAt(Instant::now());
                Vec::new()
            }
        }
    }

    /// Drops the cached list (or the memory of a failure), so the next caller asks again: for a
    /// server whose models an administrator just changed.
    pub(super) async fn forget(&self) {
        *self.0.lock().await = Listing::NotYet;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_list_is_fetched_once_and_a_failure_is_not_retried_at_once() {
        let listed = ListedModels::default();
        let t = Duration::from_secs(5);
        assert_eq!(listed.get_or_fetch("p", t, async { Ok(vec!["a".to_owned()]) }).await, ["a"]);
        assert_eq!(listed.get_or_fetch("p", t, async { Ok(vec!["b".to_owned()]) }).await, ["a"]);

        let failed = ListedModels::default();
        let err = async { Err(ProviderError::Unavailable("down".into())) };
        assert!(failed.get_or_fetch("p", t, err).await.is_empty());
        assert!(failed.get_or_fetch("p", t, async { Ok(vec!["a".to_owned()]) }).await.is_empty());

        listed.forget().await;
        assert_eq!(listed.get_or_fetch("p", t, async { Ok(vec!["b".to_owned()]) }).await, ["b"]);
    }
}
