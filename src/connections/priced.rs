//! A connection's provider seen with what the bundled price table (src/catalog) knows of its
//! models: their list prices (the ledger's costs) and, where the table has one, their context
//! window instead of the provider's kind-wide default.

use std::sync::Arc;

use super::ConnectionKind;
use crate::catalog::{ModelFacts, PriceTable};
use crate::providers::{
    ChatMessage, ChatProvider, ChatRequest, ChatStream, ModelInfo, ParamSupport, Prices, ProviderError,
};

pub(crate) struct Priced {
    pub kind: ConnectionKind,
    pub region: Option<String>,
    pub inner: Arc<dyn ChatProvider>,
}

impl Priced {
    fn facts(&self, model: &str) -> Option<ModelFacts> {
        PriceTable::bundled().lookup_in_region(self.kind, model, self.region.as_deref())
    }
}

#[async_trait::async_trait]
impl ChatProvider for Priced {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn models(&self) -> Vec<ModelInfo> {
        let mut models = self.inner.models().await;
        // Ollama answers with its own `num_ctx` (4096 unless set), which is not sent: keep the
        // provider's window rather than the model's trained one.
        if self.kind == ConnectionKind::Ollama {
            return models;
        }
        for m in &mut models {
            if let Some(window) = self.facts(&m.id).and_then(|f| f.context_window) {
                m.context_window = window as usize;
            }
        }
        models
    }

    async fn stream_chat(&self, request: ChatRequest) -> Result<ChatStream, ProviderError> {
        self.inner.stream_chat(request).await
    }

    fn count_tokens(&self, model: &str, messages: &[ChatMessage]) -> usize {
        self.inner.count_tokens(model, messages)
    }

    fn count_usage(&self, model: &str, prompt: &[ChatMessage], reply: &str) -> (usize, usize) {
        self.inner.count_usage(model, prompt, reply)
    }

    async fn list_upstream(&self) -> Result<Vec<String>, ProviderError> {
        self.inner.list_upstream().await
    }

    fn supported_params(&self) -> ParamSupport {
        self.inner.supported_params()
    }

    fn prices(&self, model: &str) -> Option<Prices> {
        let f = self.facts(model)?;
        Some(Prices { input_per_mtok: f.input_per_mtok?, output_per_mtok: f.output_per_mtok? })
    }
}
