//! Amazon Titan Text Embeddings on AWS Bedrock, through the AWS SDK's `InvokeModel`.
//!
//! The client is built by `crate::aws` (SigV4, the credential chain, rustls). Its own retries are
//! switched off: [`RetryPolicy`] decides, so the two cannot multiply (the SDK would otherwise retry
//! throttling up to 3 times per our attempt).
//! Titan takes one text per call, so texts go out as concurrent calls that keep their order.

mod errors;
mod titan;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_bedrockruntime::primitives::Blob;
use futures::{StreamExt, TryStreamExt};
use tokio::sync::Semaphore;

use super::retry::{Attempt, RetryPolicy, with_retries};
use super::{EmbedError, Embedder, check_texts};
use crate::aws::ClientSettings;
use crate::settings::Secret;

/// Titan Text Embeddings V2: 256, 512 or 1024 dimensions, up to 8192 tokens per text.
pub const TITAN_V2: &str = "amazon.titan-embed-text-v2:0";

/// Where and how to call Bedrock. `Default`: Titan V2 at 1024 dimensions in us-east-1 with the
/// default AWS credential chain.
#[derive(Debug, Clone)]
pub struct BedrockEmbedConfig {
    pub region: String,
    pub model_id: String,
    /// The vector size: 256, 512 or 1024 for Titan V2, 1536 for Titan V1.
    pub dims: usize,
    /// Instead of the region's public endpoint: a VPC endpoint, or a fake in tests.
    pub endpoint_url: Option<String>,
    /// An access key id and its secret. `None`: the default AWS credential chain.
    pub credentials: Option<(Secret, Secret)>,
    /// Calls in flight at once from this embedder, across all callers.
    pub max_concurrent_requests: usize,
    /// Longest wait for one call's answer.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for BedrockEmbedConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".to_owned(),
            model_id: TITAN_V2.to_owned(),
            dims: 1024,
            endpoint_url: None,
            credentials: None,
            max_concurrent_requests: 8,
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

pub struct BedrockEmbedder {
    client: aws_sdk_bedrockruntime::Client,
    model_id: String,
    region: String,
    dims: usize,
    format: titan::Format,
    concurrency: usize,
    permits: Arc<Semaphore>,
    retry: RetryPolicy,
}

impl BedrockEmbedder {
    /// Checks the settings and builds the SDK client. Async because without explicit credentials
    /// the AWS configuration (profile files, environment) is read here; the credentials themselves
    /// are fetched on the first call.
    pub async fn new(config: BedrockEmbedConfig) -> Result<Self, EmbedError> {
        let format = titan::Format::for_model(&config.model_id, config.dims)?;
        let client = crate::aws::bedrock_runtime_client(ClientSettings {
            region: &config.region,
            endpoint_url: config.endpoint_url.as_deref(),
            credentials: config.credentials.as_ref(),
            timeout: config.timeout,
        })
        .await
        .map_err(EmbedError::Invalid)?;
        let concurrency = config.max_concurrent_requests.max(1);
        Ok(Self {
            client,
            model_id: config.model_id,
            region: config.region,
            dims: config.dims,
            format,
            concurrency,
            permits: Arc::new(Semaphore::new(concurrency)),
            retry: config.retry,
        })
    }

    async fn embed_one(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let body = titan::request(self.format, text, self.dims)?;
        let _permit = self.permits.acquire().await.map_err(|e| EmbedError::Failed(e.to_string()))?;
        with_retries(&self.retry, || self.attempt(body.clone())).await
    }

    async fn attempt(&self, body: Vec<u8>) -> Result<Vec<f32>, Attempt> {
        let ctx = errors::Ctx { model: &self.model_id, region: &self.region };
        let output = self
            .client
            .invoke_model()
            .model_id(&self.model_id)
            .content_type("application/json")
            .accept("application/json")
            .body(Blob::new(body))
            .send()
            .await
            .map_err(|e| errors::classify(&e, &ctx))?;
        titan::vector(output.body.as_ref(), self.dims, &ctx).map_err(Attempt::Fatal)
    }
}

#[async_trait]
impl Embedder for BedrockEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dims(&self) -> usize {
        self.dims
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        check_texts(texts)?;
        // `buffered` keeps results in input order with up to `concurrency` calls in flight; the
        // first failure drops (cancels) the rest. The futures are made up front: a closure inside
        // the stream trips the compiler's `Send` check for async-trait futures.
        let calls: Vec<_> = texts.iter().map(|text| self.embed_one(text)).collect();
        futures::stream::iter(calls).buffered(self.concurrency).try_collect().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_titan_v2_size_other_than_256_512_or_1024_is_refused() {
        let config = BedrockEmbedConfig { dims: 768, ..BedrockEmbedConfig::default() };
        let err = BedrockEmbedder::new(config).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("256, 512 or 1024"), "{err}");
    }

    #[tokio::test]
    async fn empty_explicit_credentials_are_refused_before_any_call() {
        let config = BedrockEmbedConfig {
            credentials: Some((Secret::new(" "), Secret::new("secret"))),
            ..BedrockEmbedConfig::default()
        };
        assert!(matches!(BedrockEmbedder::new(config).await, Err(EmbedError::Invalid(_))));
    }

    #[test]
    fn the_config_never_prints_the_secret_key() {
        let config = BedrockEmbedConfig {
            credentials: Some((Secret::new("AKIAEXAMPLE"), Secret::new("wJalrXUtnFEMI/K7MDENG"))),
            ..BedrockEmbedConfig::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("wJalr") && !printed.contains("AKIAEXAMPLE"), "{printed}");
    }
}
