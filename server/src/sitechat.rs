//! Builds the SiteChat service from settings: the embedders knowledge bases may use and the
//! crawler's address policy.

use std::sync::Arc;

use webplus::{
    embed::{
        LocalMiniLm,
        bedrock::{BedrockEmbedConfig, BedrockEmbedder},
        minilm::DIR_NAME,
        openai::{OpenAiEmbedConfig, OpenAiEmbedder},
    },
    net::AddressPolicy,
    settings::{Secret, Settings},
    sitechat::{EmbedderSet, SiteChat, SiteChatConfig},
    storage::Db,
};

/// The local embedder is always there; `openai:<model>` when an OpenAI-compatible upstream is
/// configured; `bedrock:<model id>` when it is the configured default.
pub async fn build(db: Db, settings: &Settings) -> anyhow::Result<SiteChat> {
    let mut embedders = EmbedderSet::new()
        .with("local:all-minilm-l6-v2", Arc::new(LocalMiniLm::new(settings.models_dir.join(DIR_NAME))));
    let wanted = settings.sitechat.embedding_model.as_str();
    if let Some(o) = &settings.openai {
        let model = wanted.strip_prefix("openai:").unwrap_or("text-embedding-3-small");
        let key = o.api_key.expose();
        let config = OpenAiEmbedConfig {
            base_url: o.base_url.clone(),
            api_key: (!key.is_empty()).then(|| Secret::new(key)),
            model: model.to_owned(),
            ..OpenAiEmbedConfig::default()
        };
        match OpenAiEmbedder::new(config) {
            Ok(e) => embedders = embedders.with(format!("openai:{model}"), Arc::new(e)),
            // An unknown model's size is learned by one request, at start-up, only when it is the default.
            Err(e) if wanted.starts_with("openai:") => anyhow::bail!("WEBPLUS_EMBEDDING_MODEL {wanted:?}: {e}"),
            Err(e) => tracing::info!(error = %e, "OpenAI embeddings not offered"),
        }
    }
    if let Some(model_id) = wanted.strip_prefix("bedrock:") {
        let config = BedrockEmbedConfig {
            region: settings.sitechat.bedrock_region.clone(),
            model_id: model_id.to_owned(),
            endpoint_url: settings.sitechat.bedrock_endpoint_url.clone(),
            ..BedrockEmbedConfig::default()
        };
        let e = BedrockEmbedder::new(config)
            .await
            .map_err(|e| anyhow::anyhow!("WEBPLUS_EMBEDDING_MODEL {wanted:?}: {e}"))?;
        embedders = embedders.with(wanted, Arc::new(e));
    }
    let mut config = SiteChatConfig::new(settings.data_dir.clone());
    config.default_embedding_model = wanted.to_owned();
    config.crawl_policy = AddressPolicy::new(settings.sitechat.crawl_allow_private_hosts.iter().cloned());
    config.max_upload_bytes = settings.sitechat.max_upload_bytes;
    if embedders.get(wanted).is_err() {
        anyhow::bail!(
            "WEBPLUS_EMBEDDING_MODEL {wanted:?} is not available (available: {}); openai: models need WEBPLUS_OPENAI_BASE_URL",
            embedders.ids().join(", ")
        );
    }
    Ok(SiteChat::new(db, config, embedders))
}
