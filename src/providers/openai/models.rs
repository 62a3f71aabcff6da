//! Model listing from the server, for providers configured without a model list.

use async_openai::types::ListModelResponse;

use super::stream::ErrorEnvelope;
use super::{OpenAiProvider, errors};
use crate::providers::ProviderError;

impl OpenAiProvider {
    /// The server's models, fetched once and cached; empty while the server cannot be asked.
    pub(super) async fn listed_models(&self) -> Vec<String> {
        self.listed.get_or_fetch(&self.name, self.timeout, self.request_models()).await
    }

    /// `GET {base}/models`. Plain reqwest, not async-openai's client: that one retries 429 and 5xx
    /// answers with backoff for up to 15 minutes, configurable only through the `backoff` crate.
    pub(super) async fn request_models(&self) -> Result<Vec<String>, ProviderError> {
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
