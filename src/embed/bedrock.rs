//! Amazon Titan Text Embeddings on AWS Bedrock, through the AWS SDK's `InvokeModel`.
//!
//! The SDK does SigV4, the credential chain (environment, profiles, web identity, ECS and EC2
//! roles) and the error shapes. Its own retries are switched off: [`RetryPolicy`] decides, so the
//! two cannot multiply (the SDK would otherwise retry throttling up to 3 times per our attempt).
//! Titan takes one text per call, so texts go out as concurrent calls that keep their order.

mod errors;
mod titan;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::timeout::TimeoutConfig;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use futures::{StreamExt, TryStreamExt};
use tokio::sync::Semaphore;

use super::retry::{Attempt, RetryPolicy, with_retries};
use super::{EmbedError, Embedder, check_texts};
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
        if config.region.trim().is_empty() {
            return Err(EmbedError::Invalid("the Bedrock region is empty (e.g. us-east-1)".into()));
        }
        let region = Region::new(config.region.clone());
        let retry = RetryConfig::disabled();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .operation_attempt_timeout(config.timeout)
            .build();
        let http = https_client();
        let mut builder = match &config.credentials {
            Some((id, secret)) => {
                if id.expose().trim().is_empty() || secret.expose().trim().is_empty() {
                    return Err(EmbedError::Invalid("the AWS access key id or secret access key is empty".into()));
                }
                let credentials =
                    Credentials::new(id.expose().trim(), secret.expose().trim(), None, None, "webplus-settings");
                aws_sdk_bedrockruntime::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .credentials_provider(credentials)
            }
            None => {
                let shared = aws_config::defaults(BehaviorVersion::latest())
                    .region(region.clone())
                    .http_client(http.clone())
                    .retry_config(retry.clone())
                    .timeout_config(timeouts.clone())
                    .load()
                    .await;
                aws_sdk_bedrockruntime::config::Builder::from(&shared)
            }
        };
        builder = builder.region(region).http_client(http).retry_config(retry).timeout_config(timeouts);
        if let Some(url) = &config.endpoint_url {
            builder = builder.endpoint_url(url.trim_end_matches('/'));
        }
        let concurrency = config.max_concurrent_requests.max(1);
        Ok(Self {
            client: aws_sdk_bedrockruntime::Client::from_conf(builder.build()),
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

/// rustls on ring, which reqwest already brings; the SDK's default client would add aws-lc-rs.
fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
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
