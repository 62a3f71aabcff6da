//! Maps model ids to the provider that serves them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::ChatProvider;

/// A model as listed to users and in `/v1/models`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The id users pass as `model`.
    pub id: String,
    /// Which provider serves it (`local`, `openai`, ...).
    pub provider: String,
    /// Context window in tokens.
    pub context_window: usize,
}

/// All configured providers, in priority order: the first provider that lists a model id serves it.
#[derive(Clone, Default)]
pub struct Registry {
    providers: Vec<Arc<dyn ChatProvider>>,
}

impl Registry {
    pub fn new(providers: Vec<Arc<dyn ChatProvider>>) -> Self {
        Self { providers }
    }

    /// Every model of every provider, first provider first, without duplicate ids.
    pub async fn models(&self) -> Vec<ModelInfo> {
        let mut out: Vec<ModelInfo> = Vec::new();
        for p in &self.providers {
            for m in p.models().await {
                if !out.iter().any(|o| o.id == m.id) {
                    out.push(m);
                }
            }
        }
        out
    }

    /// The provider serving `model` and the model's description.
    pub async fn resolve(&self, model: &str) -> Option<(Arc<dyn ChatProvider>, ModelInfo)> {
        for p in &self.providers {
            if let Some(m) = p.models().await.into_iter().find(|m| m.id == model) {
                return Some((p.clone(), m));
            }
        }
        None
    }
}
