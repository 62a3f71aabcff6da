//! Builds the SiteChat service from settings: the embedders knowledge bases may use and the
//! crawler's address policy.

use std::sync::Arc;

use webplus::{
    embed::LocalMiniLm,
    embed::minilm::DIR_NAME,
    net::AddressPolicy,
    settings::Settings,
    sitechat::{EmbedderSet, SiteChat, SiteChatConfig},
    storage::Db,
};

pub fn build(db: Db, settings: &Settings) -> anyhow::Result<SiteChat> {
    let embedders = EmbedderSet::new()
        .with("local:all-minilm-l6-v2", Arc::new(LocalMiniLm::new(settings.models_dir.join(DIR_NAME))));
    let mut config = SiteChatConfig::new(settings.data_dir.clone());
    config.default_embedding_model = settings.sitechat.embedding_model.clone();
    config.crawl_policy = AddressPolicy::new(settings.sitechat.crawl_allow_private_hosts.iter().cloned());
    config.max_upload_bytes = settings.sitechat.max_upload_bytes;
    if embedders.get(&config.default_embedding_model).is_err() {
        anyhow::bail!(
            "WEBPLUS_EMBEDDING_MODEL {:?} is not configured (available: {})",
            config.default_embedding_model,
            embedders.ids().join(", ")
        );
    }
    Ok(SiteChat::new(db, config, embedders))
}
