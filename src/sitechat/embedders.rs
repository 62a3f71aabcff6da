//! The embedders knowledge bases can use, by the id recorded on each knowledge base.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::{Error, Result, embed::Embedder};

/// Id of the local default embedder (all-MiniLM-L6-v2 run with candle).
pub const LOCAL_MINILM: &str = "local:all-minilm-l6-v2";

/// Embedders by id (`local:…`, `openai:<model>`, `bedrock:<model id>`).
#[derive(Clone, Default)]
pub struct EmbedderSet {
    by_id: BTreeMap<String, Arc<dyn Embedder>>,
}

impl EmbedderSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, id: impl Into<String>, embedder: Arc<dyn Embedder>) -> Self {
        self.by_id.insert(id.into(), embedder);
        self
    }

    pub fn get(&self, id: &str) -> Result<Arc<dyn Embedder>> {
        self.by_id.get(id).cloned().ok_or_else(|| {
            Error::invalid(
                "embedding_model",
                format!("unknown embedding model {id:?}; available: {}", self.ids().join(", ")),
            )
        })
    }

    pub fn ids(&self) -> Vec<String> {
        self.by_id.keys().cloned().collect()
    }

    /// Every embedder with its id, by id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<dyn Embedder>)> {
        self.by_id.iter().map(|(id, e)| (id.as_str(), e))
    }
}

impl std::fmt::Debug for EmbedderSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_id.keys()).finish()
    }
}
