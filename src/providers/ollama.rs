//! Ollama's own API (`/api/chat`, not its OpenAI-compatible `/v1`): chat as a stream of JSON
//! lines, and the models it has (listed, loaded, pulled, deleted) through [`OllamaAdmin`].
//!
//! Both sides share `api.rs` (URL, optional bearer key for an Ollama behind an authenticating
//! proxy, the calls over the shared `upstream.rs`). The chat body is built in `request.rs`, its
//! lines read in `stream.rs` (over the shared NDJSON reader), failures mapped in `errors.rs`;
//! nothing Ollama says reaches a client except the generated text. Requests are never retried.

mod api;
mod errors;
mod manage;
mod request;
mod stream;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;

pub use manage::{InstalledModel, ModelDetails, OllamaAdmin, OllamaAdminError, PullProgress, PullStream, RunningModel};

use super::listing::ListedModels;
use super::{ChatProvider, ChatRequest, ChatStream, ModelInfo, ProviderError};
use crate::settings::Secret;
use api::Api;
use wire::Tags;

/// How to reach one Ollama server. `Default` is a local Ollama on its usual port.
#[derive(Debug, Clone)]
pub struct OllamaConfig {
    /// Label for logs, metrics and [`ModelInfo::provider`].
    pub name: String,
    /// Without `/api`: `http://127.0.0.1:11434` (paths like `/api/chat` are appended).
    pub base_url: String,
    /// Sent as `Authorization: Bearer`, for an Ollama behind a proxy that asks for one (Ollama
    /// itself has no keys).
    pub api_key: Option<Secret>,
    /// Models offered to users. Empty: ask Ollama (`GET /api/tags`) once and use its list.
    pub models: Vec<String>,
    /// Context window assumed for every model, in tokens. Ollama's own default (`num_ctx`) is
    /// 4096 unless the server or the model's Modelfile sets another; the window is not sent.
    pub context_window: usize,
    /// How long Ollama keeps a model loaded after a chat (`"10m"`, `"-1"` for ever); `None`
    /// leaves it to the server (5 minutes unless `OLLAMA_KEEP_ALIVE` says otherwise).
    pub keep_alive: Option<String>,
    /// Longest wait for an answer's headers, its first line and between two lines (not for the
    /// whole answer, which may take minutes; a model loading counts against the first line);
    /// also bounds model listing and the management calls.
    pub timeout: Duration,
}

impl Default for OllamaConfig {
    fn default() -> Self {
        Self {
            name: "ollama".to_owned(),
            base_url: "http://127.0.0.1:11434".to_owned(),
            api_key: None,
            models: Vec::new(),
            context_window: 4096,
            keep_alive: None,
            timeout: Duration::from_secs(120),
        }
    }
}

pub struct OllamaProvider {
    api: Arc<Api>,
    models: Vec<String>,
    listed: ListedModels,
    context_window: usize,
    keep_alive: Option<String>,
}

impl OllamaProvider {
    pub fn new(config: OllamaConfig) -> Self {
        Self {
            api: Arc::new(Api::new(&config)),
            models: config.models,
            listed: ListedModels::default(),
            context_window: config.context_window,
            keep_alive: config.keep_alive,
        }
    }

    /// Forgets the listed models, so the next [`ChatProvider::models`] asks Ollama again (after
    /// a model was pulled or deleted). Configured models are not affected.
    pub async fn forget_listed_models(&self) {
        self.listed.forget().await;
    }

    async fn request_models(&self) -> Result<Vec<String>, ProviderError> {
        let map = |e| errors::from_call(e, "", &self.api.name, |t: &str| self.api.redact(t));
        let request = self.api.request(Method::GET, "/api/tags").map_err(map)?;
        let tags: Tags = self.api.json(request).await.map_err(map)?;
        Ok(tags.models.iter().map(|m| m.name().to_owned()).collect())
    }
}

#[async_trait::async_trait]
impl ChatProvider for OllamaProvider {
    fn name(&self) -> &str {
        &self.api.name
    }

    async fn models(&self) -> Vec<ModelInfo> {
        let ids = if self.models.is_empty() {
            self.listed.get_or_fetch(&self.api.name, self.api.timeout, self.request_models()).await
        } else {
            self.models.clone()
        };
        ids.into_iter()
            .map(|id| ModelInfo { id, provider: self.api.name.to_string(), context_window: self.context_window })
            .collect()
    }

    async fn list_upstream(&self) -> Result<Vec<String>, ProviderError> {
        self.request_models().await
    }

    async fn stream_chat(&self, request: ChatRequest) -> Result<ChatStream, ProviderError> {
        let estimated_prompt_tokens =
            u32::try_from(self.count_tokens(&request.model, &request.messages)).unwrap_or(u32::MAX);
        let body = request::chat_body(request, self.keep_alive.as_deref());
        stream::start(Arc::clone(&self.api), &body, estimated_prompt_tokens).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_appended_to_the_base_url_without_a_double_slash() {
        let provider =
            OllamaProvider::new(OllamaConfig { base_url: "http://127.0.0.1:9/".into(), ..Default::default() });
        assert_eq!(provider.api.url("/api/chat"), "http://127.0.0.1:9/api/chat");
    }

    #[tokio::test]
    async fn a_key_with_a_control_character_is_refused_with_a_clear_error() {
        let provider = OllamaProvider::new(OllamaConfig {
            base_url: "http://127.0.0.1:9".into(),
            api_key: Some(Secret::new("sk\u{0}x")),
            ..Default::default()
        });
        let request = ChatRequest::new("m", vec![]);
        match provider.stream_chat(request).await {
            Err(ProviderError::Failed(m)) => assert!(m.contains("Ollama API key"), "{m}"),
            Err(other) => panic!("expected Failed, got {other:?}"),
            Ok(_) => panic!("expected an error"),
        }
    }
}
