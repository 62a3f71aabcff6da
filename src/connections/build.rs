//! The provider a connection speaks through, built from its spec.

use std::sync::Arc;
use std::time::Duration;

use super::{ConnectionKind, ConnectionSpec};
use crate::providers::{
    ChatProvider,
    anthropic::{AnthropicConfig, AnthropicProvider},
    openai::{OpenAiConfig, OpenAiProvider},
};
use crate::settings::Secret;

/// Longest wait for a provider's headers, first event, or the gap between two events.
pub(crate) const PROVIDER_TIMEOUT: Duration = Duration::from_secs(120);

/// The provider for `spec`, named after the connection (logs, metrics, the ledger). `None` for a
/// kind this build cannot speak yet.
pub(crate) fn provider(spec: &ConnectionSpec) -> Option<Arc<dyn ChatProvider>> {
    let key = spec.api_key.clone().unwrap_or_else(|| Secret::new(""));
    let base_url = spec.effective_base_url().unwrap_or_default().to_owned();
    match spec.kind {
        ConnectionKind::Openai => Some(Arc::new(OpenAiProvider::new(OpenAiConfig {
            name: spec.name.clone(),
            base_url,
            api_key: key,
            models: spec.models.clone(),
            context_window: 128_000,
            timeout: PROVIDER_TIMEOUT,
        }))),
        ConnectionKind::Anthropic => Some(Arc::new(AnthropicProvider::new(AnthropicConfig {
            name: spec.name.clone(),
            base_url,
            api_key: key,
            models: spec.models.clone(),
            timeout: PROVIDER_TIMEOUT,
            ..AnthropicConfig::default()
        }))),
        ConnectionKind::Bedrock | ConnectionKind::Ollama => None,
    }
}
