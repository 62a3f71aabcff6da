//! OpenAI's embeddings API (`POST {base}/embeddings`), and the servers that copy it: vLLM, Ollama,
//! llama.cpp's server, LocalAI, Azure-style proxies.
//!
//! Plain reqwest with async-openai's request type, as the chat provider does: async-openai's own
//! client retries on its own, which would multiply with [`RetryPolicy`] and hide rate limits.

mod errors;
mod response;

use std::sync::Arc;
use std::time::Duration;

use async_openai::types::{CreateEmbeddingRequest, EmbeddingInput, EncodingFormat};
use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use tokio::sync::Semaphore;

use super::retry::{Attempt, RetryPolicy, with_retries};
use super::{EmbedError, Embedder, check_texts};
use crate::settings::Secret;

/// OpenAI accepts at most this many inputs in one request.
pub const MAX_BATCH_SIZE: usize = 2048;
/// The text [`OpenAiEmbedder::probe`] embeds to learn an unknown model's dimension.
pub const PROBE_TEXT: &str = "dimension probe";

/// Models whose native dimension is known, so no probe request is needed.
const KNOWN_MODELS: [(&str, usize); 3] =
    [("text-embedding-3-small", 1536), ("text-embedding-3-large", 3072), ("text-embedding-ada-002", 1536)];

/// How to reach one OpenAI-compatible embeddings endpoint. `Default` is OpenAI's
/// text-embedding-3-small, without a key.
#[derive(Debug, Clone)]
pub struct OpenAiEmbedConfig {
    /// Up to and including the version, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer`. `None` (or empty) for local servers that need none.
    pub api_key: Option<Secret>,
    pub model: String,
    /// Sent as `dimensions` when set (text-embedding-3 models shorten their vectors). `None`: the
    /// model's native size, from a table of OpenAI models or from [`OpenAiEmbedder::probe`].
    pub dims: Option<usize>,
    /// Texts per request, 1 to [`MAX_BATCH_SIZE`].
    pub batch_size: usize,
    /// Requests in flight at once from this embedder, across all callers.
    pub max_concurrent_requests: usize,
    /// Longest wait for one request's whole answer.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for OpenAiEmbedConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.openai.com/v1".to_owned(),
            api_key: None,
            model: "text-embedding-3-small".to_owned(),
            dims: None,
            batch_size: 128,
            max_concurrent_requests: 4,
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

pub struct OpenAiEmbedder {
    http: reqwest::Client,
    base: String,
    url: String,
    key: Option<Secret>,
    model: String,
    dims: usize,
    /// Whether `dims` came from the settings (and is sent as `dimensions`), for error hints.
    dims_requested: bool,
    batch_size: usize,
    concurrency: usize,
    permits: Arc<Semaphore>,
    retry: RetryPolicy,
}

impl OpenAiEmbedder {
    /// Checks the settings and builds the client. Fails with [`EmbedError::Invalid`] for settings
    /// that cannot work, including a model whose dimension is neither configured nor known: use
    /// [`OpenAiEmbedder::probe`] for those.
    pub fn new(config: OpenAiEmbedConfig) -> Result<Self, EmbedError> {
        let dims = match config.dims {
            Some(dims) => dims,
            None => known_dims(&config.model).ok_or_else(|| {
                EmbedError::Invalid(format!(
                    "the vector size of embedding model `{}` is not known; set its dimensions in the settings \
                     or build the embedder with OpenAiEmbedder::probe",
                    config.model
                ))
            })?,
        };
        Self::build(config, dims)
    }

    /// Like [`OpenAiEmbedder::new`], but learns an unknown model's dimension by embedding
    /// [`PROBE_TEXT`] once (one request, retried like any other).
    pub async fn probe(config: OpenAiEmbedConfig) -> Result<Self, EmbedError> {
        if config.dims.is_some() || known_dims(&config.model).is_some() {
            return Self::new(config);
        }
        // Any size will do for the probe request itself; the check against it is skipped below.
        let mut embedder = Self::build(config, 0)?;
        let vectors = embedder.embed_batch(&[PROBE_TEXT.to_owned()]).await?;
        embedder.dims = vectors.first().map_or(0, Vec::len);
        if embedder.dims == 0 {
            return Err(EmbedError::Failed(format!(
                "model `{}` at {} returned an empty vector",
                embedder.model, embedder.base
            )));
        }
        tracing::info!(model = %embedder.model, dims = embedder.dims, "probed the embedding model's dimension");
        Ok(embedder)
    }

    fn build(config: OpenAiEmbedConfig, dims: usize) -> Result<Self, EmbedError> {
        let invalid = |what: String| Err(EmbedError::Invalid(what));
        if config.dims == Some(0) {
            return invalid("embedding dimensions must be at least 1".into());
        }
        if !(1..=MAX_BATCH_SIZE).contains(&config.batch_size) {
            return invalid(format!(
                "the embedding batch size must be 1 to {MAX_BATCH_SIZE}, not {}",
                config.batch_size
            ));
        }
        if config.model.trim().is_empty() {
            return invalid("the embedding model name is empty".into());
        }
        // A key read from a file often ends in a newline, which no real key contains.
        let key = config.api_key.map(|k| Secret::new(k.expose().trim())).filter(|k| !k.is_empty());
        if key.as_ref().is_some_and(|k| HeaderValue::from_str(&format!("Bearer {}", k.expose())).is_err()) {
            return invalid("the embedding API key contains characters that cannot be sent in an HTTP header".into());
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .timeout(config.timeout)
            .build()
            .map_err(|e| EmbedError::Failed(format!("the HTTP client could not be set up: {e}")))?;
        // Paths are appended verbatim, and `.../v1//embeddings` is a 404 on most servers.
        let base = config.base_url.trim_end_matches('/').to_owned();
        let concurrency = config.max_concurrent_requests.max(1);
        Ok(Self {
            http,
            url: format!("{base}/embeddings"),
            base,
            key,
            model: config.model,
            dims,
            dims_requested: config.dims.is_some(),
            batch_size: config.batch_size,
            concurrency,
            permits: Arc::new(Semaphore::new(concurrency)),
            retry: config.retry,
        })
    }

    /// One request (with retries) for at most `batch_size` texts, in order.
    async fn embed_batch(&self, batch: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let request = CreateEmbeddingRequest {
            model: self.model.clone(),
            input: EmbeddingInput::StringArray(batch.to_vec()),
            encoding_format: Some(EncodingFormat::Float),
            user: None,
            dimensions: self.dims_requested.then(|| u32::try_from(self.dims).unwrap_or(u32::MAX)),
        };
        let body = serde_json::to_vec(&request).map_err(|e| EmbedError::Failed(e.to_string()))?;
        let _permit = self.permits.acquire().await.map_err(|e| EmbedError::Failed(e.to_string()))?;
        with_retries(&self.retry, || self.attempt(body.clone(), batch.len())).await
    }

    async fn attempt(&self, body: Vec<u8>, count: usize) -> Result<Vec<Vec<f32>>, Attempt> {
        let mut request =
            self.http.post(&self.url).header(CONTENT_TYPE, HeaderValue::from_static("application/json")).body(body);
        if let Some(key) = &self.key {
            request = request.header(AUTHORIZATION, format!("Bearer {}", key.expose()));
        }
        let ctx = errors::Ctx { base: &self.base, model: &self.model, key: self.key.as_ref() };
        let response = request.send().await.map_err(|e| errors::from_reqwest(&e, &ctx))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(|e| errors::from_reqwest(&e, &ctx))?;
        if !status.is_success() {
            return Err(errors::from_status(status.as_u16(), &headers, &bytes, &ctx));
        }
        let expected = (self.dims > 0).then_some(self.dims);
        response::vectors(&bytes, count, expected, self.dims_requested, &ctx).map_err(Attempt::Fatal)
    }
}

/// The native dimension of a well-known OpenAI model.
pub fn known_dims(model: &str) -> Option<usize> {
    KNOWN_MODELS.iter().find(|(name, _)| *name == model).map(|(_, dims)| *dims)
}

#[async_trait]
impl Embedder for OpenAiEmbedder {
    fn model_id(&self) -> &str {
        &self.model
    }

    fn dims(&self) -> usize {
        self.dims
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        check_texts(texts)?;
        // `buffered` keeps the batches in order while up to `concurrency` of them are in flight;
        // the first failure drops (cancels) the others. The futures are made up front: a closure
        // inside the stream trips the compiler's `Send` check for async-trait futures.
        let requests: Vec<_> = texts.chunks(self.batch_size).map(|batch| self.embed_batch(batch)).collect();
        let batches: Vec<Vec<Vec<f32>>> =
            futures::stream::iter(requests).buffered(self.concurrency).try_collect().await?;
        Ok(batches.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_models_have_known_sizes_and_others_need_a_setting_or_a_probe() {
        assert_eq!(known_dims("text-embedding-3-large"), Some(3072));
        let config = OpenAiEmbedConfig { model: "nomic-embed-text".into(), ..OpenAiEmbedConfig::default() };
        assert!(matches!(OpenAiEmbedder::new(config.clone()), Err(EmbedError::Invalid(m)) if m.contains("probe")));
        let embedder = OpenAiEmbedder::new(OpenAiEmbedConfig { dims: Some(768), ..config });
        assert_eq!(embedder.map(|e| e.dims()).ok(), Some(768));
    }

    #[test]
    fn impossible_settings_are_refused_with_what_to_change() {
        let bad = [
            OpenAiEmbedConfig { batch_size: 0, ..OpenAiEmbedConfig::default() },
            OpenAiEmbedConfig { dims: Some(0), ..OpenAiEmbedConfig::default() },
            OpenAiEmbedConfig { api_key: Some(Secret::new("sk-a\u{0}b")), ..OpenAiEmbedConfig::default() },
        ];
        for config in bad {
            assert!(matches!(OpenAiEmbedder::new(config), Err(EmbedError::Invalid(_))));
        }
    }

    #[test]
    fn the_request_asks_for_floats_and_sends_dimensions_only_when_configured() {
        let request = CreateEmbeddingRequest {
            model: "m".into(),
            input: EmbeddingInput::StringArray(vec!["a".into(), "b".into()]),
            encoding_format: Some(EncodingFormat::Float),
            user: None,
            dimensions: None,
        };
        let json = serde_json::to_string(&request).unwrap_or_default();
        assert_eq!(json, r#"{"model":"m","input":["a","b"],"encoding_format":"float"}"#);
    }
}
