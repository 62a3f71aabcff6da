//! Anthropic's Messages API (Claude models): our own reqwest calls and wire types.
//!
//! Only streaming is used (`stream: true`); callers collect a stream when they need the whole
//! answer. The request is built in `request.rs`, events are read in `stream.rs` (over the shared
//! SSE reader), failures mapped in `errors.rs`; nothing Anthropic sends reaches a client except
//! the generated text.

mod errors;
mod models;
mod request;
mod stream;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use super::listing::ListedModels;
use super::{ChatProvider, ChatRequest, ChatStream, ModelInfo, ProviderError};
use crate::settings::Secret;

/// How to reach Anthropic. `Default` is Anthropic itself, without a key.
#[derive(Debug, Clone)]
pub struct AnthropicConfig {
    /// Label for logs, metrics and [`ModelInfo::provider`].
    pub name: String,
    /// Without the version: `https://api.anthropic.com` (paths like `/v1/messages` are appended).
    pub base_url: String,
    pub api_key: Secret,
    /// Models offered to users. Empty: ask Anthropic (`GET /v1/models`) once and use its list.
    pub models: Vec<String>,
    /// Context window assumed for every model, in tokens.
    pub context_window: usize,
    /// `max_tokens` sent when a request names none (Anthropic requires one).
    pub default_max_tokens: u32,
    /// Longest wait for the answer's headers, its first event and between two events (not for the
    /// whole answer, which may take minutes); also bounds model listing.
    pub timeout: Duration,
}

impl Default for AnthropicConfig {
    fn default() -> Self {
        Self {
            name: "anthropic".to_owned(),
            base_url: "https://api.anthropic.com".to_owned(),
            api_key: Secret::new(""),
            models: Vec::new(),
            context_window: 200_000,
            default_max_tokens: 4096,
            timeout: Duration::from_secs(60),
        }
    }
}

pub struct AnthropicProvider {
    /// Label for logs and metrics (shared, as every stream's metrics carry it).
    name: Arc<str>,
    http: Result<reqwest::Client, String>,
    messages_url: String,
    models_url: String,
    key: Secret,
    models: Vec<String>,
    listed: ListedModels,
    context_window: usize,
    default_max_tokens: u32,
    timeout: Duration,
}

impl AnthropicProvider {
    pub fn new(config: AnthropicConfig) -> Self {
        // A key read from a file often ends in a newline, which no real key contains.
        let key = Secret::new(config.api_key.expose().trim());
        // Paths are appended verbatim, and `//v1/messages` is a 404.
        let base = config.base_url.trim_end_matches('/');
        let http = super::sse::client(config.timeout, &config.name);
        Self {
            name: Arc::from(config.name),
            http,
            messages_url: format!("{base}/v1/messages"),
            models_url: format!("{base}/v1/models"),
            key,
            models: config.models,
            listed: ListedModels::default(),
            context_window: config.context_window,
            default_max_tokens: config.default_max_tokens,
            timeout: config.timeout,
        }
    }

    /// A key with a control character cannot go into a header; saying so beats reqwest's generic
    /// "builder error".
    fn check_key(&self) -> Result<(), ProviderError> {
        if self.key.expose().bytes().all(|b| (b >= 0x20 && b != 0x7f) || b == b'\t') {
            Ok(())
        } else {
            Err(ProviderError::Failed(
                "the Anthropic API key contains characters that cannot be sent in an HTTP header".into(),
            ))
        }
    }

    fn http(&self) -> Result<&reqwest::Client, ProviderError> {
        self.http.as_ref().map_err(|e| ProviderError::Failed(format!("the HTTP client could not be set up: {e}")))
    }
}

#[async_trait::async_trait]
impl ChatProvider for AnthropicProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn models(&self) -> Vec<ModelInfo> {
        let ids = if self.models.is_empty() {
            self.listed.get_or_fetch(&self.name, self.timeout, self.request_models()).await
        } else {
            self.models.clone()
        };
        ids.into_iter()
            .map(|id| ModelInfo { id, provider: self.name.to_string(), context_window: self.context_window })
            .collect()
    }

    async fn stream_chat(&self, request: ChatRequest) -> Result<ChatStream, ProviderError> {
        self.check_key()?;
        let http = self.http()?;
        let body = request::messages_request(request, self.default_max_tokens);
        let ctx = stream::StreamContext {
            provider: Arc::clone(&self.name),
            key: self.key.clone(),
            idle_timeout: self.timeout,
        };
        stream::start(http, self.messages_url.clone(), &body, ctx).await
    }

    async fn list_upstream(&self) -> Result<Vec<String>, ProviderError> {
        self.request_models().await
    }

    /// The Messages API has stop sequences, but neither a seed nor penalties.
    fn supported_params(&self) -> super::ParamSupport {
        super::ParamSupport { seed: false, stop: true, penalties: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_with_a_control_character_is_refused_with_a_clear_error() {
        let provider = AnthropicProvider::new(AnthropicConfig {
            api_key: Secret::new("sk-ant\u{0}x"),
            ..AnthropicConfig::default()
        });
        assert!(matches!(provider.check_key(), Err(ProviderError::Failed(m)) if m.contains("Anthropic")));
    }

    #[test]
    fn paths_are_appended_to_the_base_url_without_a_double_slash() {
        let provider = AnthropicProvider::new(AnthropicConfig {
            base_url: "http://127.0.0.1:9/".into(),
            ..AnthropicConfig::default()
        });
        assert_eq!(provider.messages_url, "http://127.0.0.1:9/v1/messages");
        assert_eq!(provider.models_url, "http://127.0.0.1:9/v1/models");
    }
}
