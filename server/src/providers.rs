//! The providers from the settings: the local model (built in, its ids unqualified) and the
//! connections the settings declare (`[openai]`, `[anthropic]`, `[ollama]` and `[bedrock]`, each
//! as the connection of that name). Connections added by administrators are loaded by `webplus::connections`.

use webplus::{
    connections::{ConnectionKind, ConnectionSpec},
    local::default_gguf_path,
    providers::{
        Registry,
        local::{LocalConfig, LocalProvider},
    },
    settings::Settings,
};

use std::sync::Arc;

/// A registry holding the local model; connections are added by `Connections::start`.
pub fn build_registry(settings: &Settings) -> Registry {
    let gguf_path = settings.local.model_path.clone().unwrap_or_else(|| default_gguf_path(&settings.models_dir));
    Registry::new(vec![Arc::new(LocalProvider::new(LocalConfig {
        gguf_path,
        model_id: settings.local.model_id.clone(),
        max_concurrent: settings.local.max_concurrent,
        max_queue: settings.local.max_queue,
        threads: None,
    }))])
}

/// The connections declared in the settings, in a fixed order.
pub fn declared_connections(settings: &Settings) -> Vec<ConnectionSpec> {
    let mut out = Vec::new();
    if let Some(o) = &settings.openai {
        out.push(ConnectionSpec {
            kind: ConnectionKind::Openai,
            name: "openai".into(),
            base_url: Some(o.base_url.clone()),
            region: None,
            api_key: Some(o.api_key.clone()),
            models: o.models.clone(),
        });
    }
    // Settings refuse an `[anthropic]` section without a key, so a section here has one.
    if let Some(a) = &settings.anthropic {
        out.push(ConnectionSpec {
            kind: ConnectionKind::Anthropic,
            name: "anthropic".into(),
            base_url: Some(a.base_url.clone()),
            region: None,
            api_key: Some(a.api_key.clone()),
            models: a.models.clone(),
        });
    }
    if let Some(o) = &settings.ollama {
        out.push(ConnectionSpec {
            kind: ConnectionKind::Ollama,
            name: "ollama".into(),
            base_url: Some(o.base_url.clone()),
            region: None,
            api_key: None,
            models: o.models.clone(),
        });
    }
    if let Some(b) = &settings.bedrock {
        out.push(ConnectionSpec {
            kind: ConnectionKind::Bedrock,
            name: "bedrock".into(),
            base_url: settings.sitechat.bedrock_endpoint_url.clone(),
            region: Some(settings.sitechat.bedrock_region.clone()),
            api_key: None,
            models: b.models.clone(),
        });
    }
    out
}
