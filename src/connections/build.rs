//! The provider a connection speaks through, built from its spec.

use std::sync::Arc;
use std::time::Duration;

use super::{ConnectionKind, ConnectionSpec, priced::Priced};
use crate::providers::{
    ChatProvider,
    anthropic::{AnthropicConfig, AnthropicProvider},
    bedrock::{BedrockChatConfig, BedrockProvider},
    ollama::{OllamaConfig, OllamaProvider},
    openai::{OpenAiConfig, OpenAiProvider},
};
use crate::settings::Secret;

/// Longest wait for a provider's headers, first event, or the gap between two events.
pub(crate) const PROVIDER_TIMEOUT: Duration = Duration::from_secs(120);

/// The provider for `spec`, named after the connection (logs, metrics, the ledger), with the
/// bundled price table's prices and context windows (`priced.rs`).
pub(crate) fn provider(spec: &ConnectionSpec) -> Arc<dyn ChatProvider> {
    Arc::new(Priced { kind: spec.kind, region: spec.region.clone(), inner: speaking(spec) })
}

/// The provider that speaks the connection's protocol.
fn speaking(spec: &ConnectionSpec) -> Arc<dyn ChatProvider> {
    let key = spec.api_key.clone().unwrap_or_else(|| Secret::new(""));
    let base_url = spec.effective_base_url().unwrap_or_default().to_owned();
    match spec.kind {
        ConnectionKind::Openai => Arc::new(OpenAiProvider::new(OpenAiConfig {
            name: spec.name.clone(),
            base_url,
            api_key: key,
            models: spec.models.clone(),
            context_window: 128_000,
            timeout: PROVIDER_TIMEOUT,
        })),
        ConnectionKind::Anthropic => Arc::new(AnthropicProvider::new(AnthropicConfig {
            name: spec.name.clone(),
            base_url,
            api_key: key,
            models: spec.models.clone(),
            timeout: PROVIDER_TIMEOUT,
            ..AnthropicConfig::default()
        })),
        ConnectionKind::Ollama => Arc::new(OllamaProvider::new(OllamaConfig {
            name: spec.name.clone(),
            base_url,
            api_key: spec.api_key.clone(),
            models: spec.models.clone(),
            timeout: PROVIDER_TIMEOUT,
            ..OllamaConfig::default()
        })),
        ConnectionKind::Bedrock => Arc::new(BedrockProvider::new(BedrockChatConfig {
            name: spec.name.clone(),
            region: spec.region.clone().unwrap_or_default(),
            endpoint_url: spec.base_url.clone(),
            // Validated as ACCESS_KEY_ID:SECRET_ACCESS_KEY; none: the default AWS credential chain.
            credentials: spec.api_key.as_ref().and_then(|k| {
                let (id, secret) = k.expose().split_once(':')?;
                Some((Secret::new(id), Secret::new(secret)))
            }),
            models: spec.models.clone(),
            timeout: PROVIDER_TIMEOUT,
            ..BedrockChatConfig::default()
        })),
    }
}
