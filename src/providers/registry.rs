//! Maps model ids to the provider that serves them.
//!
//! Two kinds of providers: built-in ones (the local model) whose model ids are used as they are,
//! and connections (an OpenAI-compatible server, Anthropic, ...) whose model ids are qualified by
//! the connection's name: `groq/llama-3.1-8b` is the model `llama-3.1-8b` of the connection `groq`.
//! Two connections can therefore serve models of the same name without colliding. Connections can
//! be replaced while the server runs (an admin adds or edits one); a request in flight keeps the
//! provider it resolved.

use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use super::{ChatMessage, ChatProvider, ChatRequest, ChatStream, ParamSupport, Prices, ProviderError};

/// A model as listed to users and in `/v1/models`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The id users pass as `model`.
    pub id: String,
    /// Which provider serves it (`local`, or the connection's name).
    pub provider: String,
    /// Context window in tokens.
    pub context_window: usize,
}

/// All providers: the built-in ones first, then the connections in the order given.
#[derive(Clone, Default)]
pub struct Registry {
    builtin: Vec<Arc<dyn ChatProvider>>,
    connections: Arc<RwLock<Vec<Arc<Qualified>>>>,
}

impl Registry {
    /// A registry of built-in providers only (their model ids are not qualified).
    pub fn new(builtin: Vec<Arc<dyn ChatProvider>>) -> Self {
        Self { builtin, connections: Arc::default() }
    }

    /// Replaces every connection: `(name, provider)`, in listing order. Model `m` of connection `c`
    /// is then `c/m`. Names must not contain `/` (connection names are validated so).
    pub fn set_connections(&self, connections: Vec<(String, Arc<dyn ChatProvider>)>) {
        let wrapped = connections
            .into_iter()
            .map(|(name, inner)| Arc::new(Qualified { prefix: format!("{name}/"), inner }))
            .collect();
        *self.connections.write().unwrap_or_else(PoisonError::into_inner) = wrapped;
    }

    fn all(&self) -> Vec<Arc<dyn ChatProvider>> {
        let connections = self.connections.read().unwrap_or_else(PoisonError::into_inner);
        let connections = connections.iter().map(|c| Arc::clone(c) as Arc<dyn ChatProvider>);
        self.builtin.iter().cloned().chain(connections).collect()
    }

    /// Every model of every provider, built-in first, without duplicate ids.
    pub async fn models(&self) -> Vec<ModelInfo> {
        let mut out: Vec<ModelInfo> = Vec::new();
        for p in self.all() {
            for m in p.models().await {
                if !out.iter().any(|o| o.id == m.id) {
                    out.push(m);
                }
            }
        }
        out
    }

    /// The provider serving `model` and the model's description. A qualified id asks only its
    /// connection (whose listing may be a request upstream the first time) and the built-in ones.
    pub async fn resolve(&self, model: &str) -> Option<(Arc<dyn ChatProvider>, ModelInfo)> {
        let owner = {
            let connections = self.connections.read().unwrap_or_else(PoisonError::into_inner);
            connections.iter().find(|c| model.starts_with(c.prefix.as_str())).cloned()
        };
        // A qualified id asks its connection, then the built-in providers, never the other
        // connections: their listings may be slow (an unreachable server's first listing waits
        // for its timeout).
        let owner = owner.map(|c| c as Arc<dyn ChatProvider>);
        for p in owner.into_iter().chain(self.builtin.iter().cloned()) {
            if let Some(m) = p.models().await.into_iter().find(|m| m.id == model) {
                return Some((p, m));
            }
        }
        None
    }
}

/// A connection's provider seen through qualified model ids: `prefix` is added to the ids it lists
/// and taken off the ids it is asked for.
struct Qualified {
    prefix: String,
    inner: Arc<dyn ChatProvider>,
}

impl Qualified {
    fn upstream<'a>(&self, model: &'a str) -> &'a str {
        model.strip_prefix(self.prefix.as_str()).unwrap_or(model)
    }
}

#[async_trait::async_trait]
impl ChatProvider for Qualified {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn models(&self) -> Vec<ModelInfo> {
        self.inner
            .models()
            .await
            .into_iter()
            .map(|m| ModelInfo { id: format!("{}{}", self.prefix, m.id), ..m })
            .collect()
    }

    async fn stream_chat(&self, mut request: ChatRequest) -> Result<ChatStream, ProviderError> {
        request.model = self.upstream(&request.model).to_owned();
        self.inner.stream_chat(request).await
    }

    fn count_tokens(&self, model: &str, messages: &[ChatMessage]) -> usize {
        self.inner.count_tokens(self.upstream(model), messages)
    }

    fn count_usage(&self, model: &str, prompt: &[ChatMessage], reply: &str) -> (usize, usize) {
        self.inner.count_usage(self.upstream(model), prompt, reply)
    }

    async fn list_upstream(&self) -> Result<Vec<String>, ProviderError> {
        self.inner.list_upstream().await
    }

    fn prices(&self, model: &str) -> Option<Prices> {
        self.inner.prices(self.upstream(model))
    }

    fn supported_params(&self) -> ParamSupport {
        self.inner.supported_params()
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::providers::{ChatEvent, FinishReason, Usage};

    /// Serves the given models and answers with the model name it was asked for.
    struct Named(&'static str, Vec<&'static str>);

    #[async_trait::async_trait]
    impl ChatProvider for Named {
        fn name(&self) -> &str {
            self.0
        }
        async fn models(&self) -> Vec<ModelInfo> {
            self.1
                .iter()
                .map(|id| ModelInfo { id: (*id).into(), provider: self.0.into(), context_window: 100 })
                .collect()
        }
        async fn stream_chat(&self, request: ChatRequest) -> Result<ChatStream, ProviderError> {
            let events = vec![
                Ok(ChatEvent::Delta(format!("{}:{}", self.0, request.model))),
                Ok(ChatEvent::Finished { reason: FinishReason::Stop, usage: Usage::default() }),
            ];
            Ok(futures::stream::iter(events).boxed())
        }
    }

    async fn answer_of(registry: &Registry, model: &str) -> Option<String> {
        let (provider, info) = registry.resolve(model).await?;
        let mut stream = provider.stream_chat(ChatRequest::new(info.id, vec![])).await.ok()?;
        match stream.next().await {
            Some(Ok(ChatEvent::Delta(text))) => Some(text),
            _ => None,
        }
    }

    #[tokio::test]
    async fn two_connections_serving_the_same_model_name_do_not_collide() {
        let registry = Registry::new(vec![Arc::new(Named("local", vec!["tiny"]))]);
        registry.set_connections(vec![
            ("lab".into(), Arc::new(Named("lab", vec!["llama3"]))),
            ("cloud".into(), Arc::new(Named("cloud", vec!["llama3"]))),
        ]);
        let ids: Vec<String> = registry.models().await.into_iter().map(|m| m.id).collect();
        assert_eq!(ids, ["tiny", "lab/llama3", "cloud/llama3"]);
        assert_eq!(answer_of(&registry, "cloud/llama3").await.as_deref(), Some("cloud:llama3"));
        assert_eq!(answer_of(&registry, "lab/llama3").await.as_deref(), Some("lab:llama3"));
        assert_eq!(answer_of(&registry, "tiny").await.as_deref(), Some("local:tiny"));
        assert!(registry.resolve("llama3").await.is_none(), "an unqualified connection model is ambiguous");
    }

    /// A connection whose listing never answers (an unreachable server before its timeout).
    struct Hung;

    #[async_trait::async_trait]
    impl ChatProvider for Hung {
        fn name(&self) -> &str {
            "hung"
        }
        async fn models(&self) -> Vec<ModelInfo> {
            futures::future::pending().await
        }
        async fn stream_chat(&self, _: ChatRequest) -> Result<ChatStream, ProviderError> {
            futures::future::pending().await
        }
    }

    #[tokio::test]
    async fn a_model_is_resolved_without_asking_the_other_connections() {
        let registry = Registry::new(vec![Arc::new(Named("local", vec!["tiny"]))]);
        registry.set_connections(vec![
            ("down".into(), Arc::new(Hung)),
            ("cloud".into(), Arc::new(Named("cloud", vec!["llama3"]))),
        ]);
        // Both would wait forever if the hung connection's listing were awaited.
        let both = async { (answer_of(&registry, "cloud/llama3").await, answer_of(&registry, "tiny").await) };
        let answers = tokio::time::timeout(std::time::Duration::from_secs(30), both).await;
        let answers = answers.expect("resolving waited on another connection's listing");
        assert_eq!(answers, (Some("cloud:llama3".into()), Some("local:tiny".into())));
    }

    #[test]
    fn a_cost_is_tokens_times_the_per_million_price_in_billionths_of_a_dollar() {
        let prices = Prices { input_per_mtok: 0.15, output_per_mtok: 0.6 };
        // 1000 × $0.15/M + 100 × $0.60/M = $0.00015 + $0.00006 = 210,000 billionths.
        assert_eq!(prices.cost_nano_usd(Usage::reported(1000, 100)), 210_000);
        assert_eq!(Prices::FREE.cost_nano_usd(Usage::reported(5, 5)), 0);
    }

    #[test]
    fn unsupported_parameters_are_stripped_and_named() {
        let mut request = ChatRequest::new("m", vec![]);
        request.seed = Some(1);
        request.stop = vec!["x".into()];
        request.presence_penalty = Some(0.1);
        let support = crate::providers::ParamSupport { seed: false, stop: true, penalties: false };
        assert_eq!(support.strip(&mut request), ["seed", "presence_penalty"]);
        assert_eq!((request.seed, request.stop.len(), request.presence_penalty), (None, 1, None));
        assert!(crate::providers::ParamSupport::ALL.strip(&mut request).is_empty());
    }

    #[tokio::test]
    async fn replacing_the_connections_is_seen_by_clones_of_the_registry() {
        let registry = Registry::default();
        let clone = registry.clone();
        registry.set_connections(vec![("a".into(), Arc::new(Named("a", vec!["m"])))]);
        assert!(clone.resolve("a/m").await.is_some());
        registry.set_connections(Vec::new());
        assert!(clone.resolve("a/m").await.is_none());
    }
}
