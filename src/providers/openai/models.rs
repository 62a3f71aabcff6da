//! Model listing from the server, for providers configured without a model list.

use std::time::{Duration, Instant};

use async_openai::types::ListModelResponse;

use super::stream::ErrorEnvelope;
use super::{OpenAiProvider, errors};
use crate::providers::ProviderError;

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
        match tokio::time::timeout(self.timeout, self.request_models()).await {
            Ok(Ok(ids)) => {
                tracing::info!(provider = &*self.name, count = ids.len(), "listed the server's models");
                Some(ids)
            }
            Ok(Err(error)) => {
                tracing::warn!(provider = &*self.name, %error, "listing models failed");
                None
            }
            Err(_) => {
                tracing::warn!(provider = &*self.name, timeout = ?self.timeout, "listing models timed out");
                None
            }
        }
    }

    /// `GET {base}/models`. Plain reqwest, not async-openai's client: that one retries 429 and 5xx
    /// answers with backoff for up to 15 minutes, configurable only through the `backoff` crate.
    async fn request_models(&self) -> Result<Vec<String>, ProviderError> {
        self.check_key()?;
        let response = self
            .http()?
            .get(&self.models_url)
            .bearer_auth(self.key.expose())
            .send()
            .await
            .map_err(|e| errors::from_reqwest(&e, &self.name, &self.key))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| errors::from_reqwest(&e, &self.name, &self.key))?;
        if !status.is_success() {
            let error = serde_json::from_slice::<ErrorEnvelope>(&body).ok().map(|e| e.error);
            return Err(errors::from_status(status.as_u16(), error.as_ref(), &self.name, &self.key));
        }
        let list: ListModelResponse = serde_json::from_slice(&body).map_err(|e| {
            tracing::warn!(provider = &*self.name, error = %e, "unreadable model list");
            ProviderError::Failed("the provider's model list is not what the OpenAI API sends".into())
        })?;
        Ok(list.data.into_iter().map(|m| m.id).collect())
    }
}
