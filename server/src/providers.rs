//! Builds the provider registry from settings: the local model first, then any OpenAI-compatible
//! upstream, then Anthropic when it has a key.

use std::{sync::Arc, time::Duration};

use webplus::{
    local::default_gguf_path,
    providers::{
        ChatProvider, Registry,
        anthropic::{AnthropicConfig, AnthropicProvider},
        local::{LocalConfig, LocalProvider},
        openai::{OpenAiConfig, OpenAiProvider},
    },
    settings::Settings,
};

pub fn build_registry(settings: &Settings) -> Registry {
    let mut providers: Vec<Arc<dyn ChatProvider>> = Vec::new();
    let gguf_path = settings.local.model_path.clone().unwrap_or_else(|| default_gguf_path(&settings.models_dir));
    providers.push(Arc::new(LocalProvider::new(LocalConfig {
        gguf_path,
        model_id: settings.local.model_id.clone(),
        max_concurrent: settings.local.max_concurrent,
        max_queue: settings.local.max_queue,
        threads: None,
    })));
    if let Some(o) = &settings.openai {
        providers.push(Arc::new(OpenAiProvider::new(OpenAiConfig {
            name: "openai".into(),
            base_url: o.base_url.clone(),
            api_key: o.api_key.clone(),
            models: o.models.clone(),
            context_window: 128_000,
            timeout: Duration::from_secs(120),
        })));
    }
    // Settings refuse an `[anthropic]` section without a key, so a section here has one.
    if let Some(a) = &settings.anthropic {
        providers.push(Arc::new(AnthropicProvider::new(AnthropicConfig {
            name: "anthropic".into(),
            base_url: a.base_url.clone(),
            api_key: a.api_key.clone(),
            models: a.models.clone(),
            timeout: Duration::from_secs(120),
            ..AnthropicConfig::default()
        })));
    }
    Registry::new(providers)
}
