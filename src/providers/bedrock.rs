//! Chat models on AWS Bedrock through the AWS SDK's `ConverseStream` (one API for Claude, Nova,
//! Llama, Mistral, ... on Bedrock).
//!
//! The SDK client comes from `crate::aws` (SigV4, static keys or the default credential chain,
//! SDK retries off: the engine decides whether to ask again). The request is built in
//! `request.rs`, the event stream read in `stream.rs`, failures mapped in `errors.rs`; nothing
//! Bedrock sends reaches a client except the generated text.

mod errors;
mod request;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use super::{ChatProvider, ChatRequest, ChatStream, ModelInfo, ProviderError};
use crate::aws::ClientSettings;
use crate::settings::Secret;

/// Where and how to reach Bedrock. `Default`: us-east-1's public endpoint with the default AWS
/// credential chain and no models.
#[derive(Debug, Clone)]
pub struct BedrockChatConfig {
    /// Label for logs, metrics and [`ModelInfo::provider`].
    pub name: String,
    pub region: String,
    /// Instead of the region's public endpoint: a VPC endpoint, or a fake in tests.
    pub endpoint_url: Option<String>,
    /// An access key id and its secret. `None`: the default AWS credential chain.
    pub credentials: Option<(Secret, Secret)>,
    /// Model ids (or inference profile ids/ARNs) offered to users, as Bedrock names them.
    pub models: Vec<String>,
    /// Context window assumed for every model, in tokens.
    pub context_window: usize,
    /// `maxTokens` sent when a request names none.
    pub default_max_tokens: u32,
    /// Longest wait for the answer's headers, for its first event and between two events (not for
    /// the whole answer, which may take minutes).
    pub timeout: Duration,
}

impl Default for BedrockChatConfig {
    fn default() -> Self {
        Self {
            name: "bedrock".to_owned(),
            region: "us-east-1".to_owned(),
            endpoint_url: None,
            credentials: None,
            models: Vec::new(),
            context_window: 128_000,
            default_max_tokens: 4096,
            timeout: Duration::from_secs(60),
        }
    }
}

pub struct BedrockProvider {
    /// Label for logs and metrics (shared, as every stream's metrics carry it).
    name: Arc<str>,
    region: String,
    endpoint_url: Option<String>,
    credentials: Option<(Secret, Secret)>,
    /// Built on the first request: without explicit keys the AWS configuration is read then, so
    /// `new` stays synchronous. A settings mistake is kept and reported by every request.
    client: OnceCell<Result<aws_sdk_bedrockruntime::Client, String>>,
    models: Vec<String>,
    context_window: usize,
    default_max_tokens: u32,
    timeout: Duration,
}

impl BedrockProvider {
    pub fn new(config: BedrockChatConfig) -> Self {
        Self {
            name: Arc::from(config.name),
            region: config.region.trim().to_owned(),
            endpoint_url: config.endpoint_url,
            credentials: config.credentials,
            client: OnceCell::new(),
            models: config.models,
            context_window: config.context_window,
            default_max_tokens: config.default_max_tokens,
            timeout: config.timeout,
        }
    }

    fn settings(&self) -> ClientSettings<'_> {
        ClientSettings {
            region: &self.region,
            endpoint_url: self.endpoint_url.as_deref(),
            credentials: self.credentials.as_ref(),
            timeout: self.timeout,
        }
    }

    /// What is wrong with the settings, if anything, without making a call (for start-up checks).
    pub fn check(&self) -> Result<(), String> {
        self.settings().check()
    }

    async fn client(&self) -> Result<&aws_sdk_bedrockruntime::Client, ProviderError> {
        let client = self.client.get_or_init(|| crate::aws::bedrock_runtime_client(self.settings())).await;
        client.as_ref().map_err(|e| {
            tracing::error!(provider = &*self.name, error = %e, "the Bedrock client could not be set up");
            ProviderError::Failed(format!("the Bedrock client could not be set up: {e}"))
        })
    }
}

#[async_trait::async_trait]
impl ChatProvider for BedrockProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn models(&self) -> Vec<ModelInfo> {
        self.models
            .iter()
            .map(|id| ModelInfo {
                id: id.clone(),
                provider: self.name.to_string(),
                context_window: self.context_window,
            })
            .collect()
    }

    /// Converse has stop sequences, but neither a seed nor penalties.
    fn supported_params(&self) -> super::ParamSupport {
        super::ParamSupport { seed: false, stop: true, penalties: false }
    }

    async fn stream_chat(&self, request: ChatRequest) -> Result<ChatStream, ProviderError> {
        let client = self.client().await?;
        let conversation = request::conversation(request, self.default_max_tokens);
        let ctx = stream::StreamContext {
            provider: Arc::clone(&self.name),
            model: conversation.model.clone(),
            region: self.region.clone(),
            idle_timeout: self.timeout,
        };
        let send = conversation.converse_stream(client)?;
        stream::start(send, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_settings_mistake_is_reported_by_every_request_without_a_call() {
        let provider = BedrockProvider::new(BedrockChatConfig {
            credentials: Some((Secret::new("AKIAEXAMPLE"), Secret::new(""))),
            models: vec!["amazon.nova-lite-v1:0".into()],
            ..BedrockChatConfig::default()
        });
        assert!(provider.check().is_err());
        for _ in 0..2 {
            let request = ChatRequest::new("amazon.nova-lite-v1:0", Vec::new());
            match provider.stream_chat(request).await {
                Err(ProviderError::Failed(m)) => assert!(m.contains("secret access key"), "{m}"),
                Err(other) => panic!("expected Failed, got {other:?}"),
                Ok(_) => panic!("expected an error"),
            }
        }
    }

    #[tokio::test]
    async fn models_are_the_configured_list_under_the_providers_name() {
        let provider = BedrockProvider::new(BedrockChatConfig {
            name: "aws".into(),
            models: vec!["a".into(), "b".into()],
            context_window: 300_000,
            ..BedrockChatConfig::default()
        });
        let models = provider.models().await;
        let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert!(models.iter().all(|m| m.provider == "aws" && m.context_window == 300_000));
    }

    #[test]
    fn the_config_never_prints_the_secret_key() {
        let config = BedrockChatConfig {
            credentials: Some((Secret::new("AKIAEXAMPLE"), Secret::new("wJalrXUtnFEMI/K7MDENG"))),
            ..BedrockChatConfig::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("wJalr") && !printed.contains("AKIAEXAMPLE"), "{printed}");
    }
}
