//! Model listing from the server, for providers configured without a model list.

use std::time::{Duration, Instant};

use super::{OpenAiProvider, errors};

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

impl OpenAiProvider {
    /// The server's models, fetched once and cached; empty while the server cannot be asked.
    pub(super) async fn listed_models(&self) -> Vec<String> {
        let mut listing = self.listed.0.lock().await;
        match &*listing {
            Listing::Listed(ids) => return ids.clone(),
            Listing::FailedAt(at) if at.elapsed() < RETRY_LISTING_AFTER => return Vec::new(),
            Listing::NotYet | Listing::FailedAt(_) => {}
        }
        match self.fetch_models().await {
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

    async fn fetch_models(&self) -> Option<Vec<String>> {
        if let Err(e) = self.check_key() {
            tracing::warn!(provider = self.name, error = %e, "cannot list models");
            return None;
        }
        // The timeout matters more here than anywhere: async-openai retries 429 and 5xx answers to
        // plain requests with exponential backoff for up to 15 minutes, and that is not configurable
        // without depending on the `backoff` crate ourselves.
        match tokio::time::timeout(self.timeout, self.client.models().list()).await {
            Ok(Ok(list)) => {
                let ids: Vec<String> = list.data.into_iter().map(|m| m.id).collect();
                tracing::info!(
                    provider = self.name,
                    count = ids.len(),
                    "listed the server's models"
                );
                Some(ids)
            }
            Ok(Err(e)) => {
                let error = errors::from_openai(e, self.name, &self.key);
                tracing::warn!(provider = self.name, %error, "listing models failed");
                None
            }
            Err(_) => {
                tracing::warn!(provider = self.name, timeout = ?self.timeout, "listing models timed out");
                None
            }
        }
    }
}
