//! The local default provider: models run in-process with candle.
//!
//! Nothing is read at construction: the tokenizer (GGUF metadata, a few MB) loads on the first
//! request, the weights (about 150 MB after re-quantisation) on the first generation, on a worker
//! thread. So the server starts fast and stays small when nobody uses the local model.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use futures::StreamExt;

use super::{ChatEvent, ChatMessage, ChatProvider, ChatRequest, ChatStream, ModelInfo, ProviderError};
use crate::local::model::{GenerateParams, Vocab};
use crate::local::worker::{Job, WorkerConfig, WorkerPool};
use crate::local::{default_gguf_path, default_models_dir};

/// Shown in `/v1/models` until the GGUF metadata has been read.
const FALLBACK_CONTEXT_WINDOW: usize = 2048;
/// Completion length when the request sets none (still capped by the context left).
const DEFAULT_MAX_TOKENS: usize = 1024;
const DEFAULT_TEMPERATURE: f64 = 0.7;
/// Generated pieces buffered between the worker and the client. Small: a client that stops
/// reading soon blocks the worker rather than letting it run ahead.
const EVENT_BUFFER: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalConfig {
    pub gguf_path: PathBuf,
    /// The id users pass as `model`.
    pub model_id: String,
    /// Generations running at once, each on its own thread.
    pub max_concurrent: usize,
    /// Requests allowed to wait for a free thread; more are refused with `Unavailable`.
    pub max_queue: usize,
    /// CPU threads for the matrix kernels. candle sizes its global thread pool once per process
    /// from `CANDLE_NUM_THREADS` / `RAYON_NUM_THREADS` (default: physical cores), so this can only be
    /// honoured through those variables, set before start; a mismatch is logged.
    pub threads: Option<usize>,
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            gguf_path: default_gguf_path(&default_models_dir()),
            model_id: "smollm2-135m".into(),
            max_concurrent: 1,
            max_queue: 8,
            threads: None,
        }
    }
}

pub struct LocalProvider {
    config: LocalConfig,
    vocab: OnceLock<Arc<Vocab>>,
    pool: WorkerPool,
}

impl LocalProvider {
    pub fn new(config: LocalConfig) -> Self {
        let pool = WorkerPool::new(WorkerConfig {
            gguf_path: config.gguf_path.clone(),
            max_concurrent: config.max_concurrent,
            max_queue: config.max_queue,
            requantize_q4_1: true,
        });
        if let Some(wanted) = config.threads {
            let actual = candle_core::utils::get_num_threads();
            if wanted != actual {
                tracing::warn!(
                    wanted,
                    actual,
                    "local model threads are set per process: start with CANDLE_NUM_THREADS={wanted}"
                );
            }
        }
        Self { config, vocab: OnceLock::new(), pool }
    }

    pub fn config(&self) -> &LocalConfig {
        &self.config
    }

    /// Requests admitted and not finished (queued or generating).
    pub fn active_jobs(&self) -> usize {
        self.pool.active_jobs()
    }

    /// Tokens this provider has generated since it was created.
    pub fn tokens_generated(&self) -> u64 {
        self.pool.tokens_generated()
    }

    fn missing(&self) -> ProviderError {
        ProviderError::ModelMissing {
            model: self.config.model_id.clone(),
            detail: format!(
                "{} not found; run `webplus models fetch` (or `make run`) to download it",
                self.config.gguf_path.display()
            ),
        }
    }

    /// The tokenizer and template, read from the GGUF metadata on first use.
    pub async fn vocab(&self) -> Result<Arc<Vocab>, ProviderError> {
        if let Some(v) = self.vocab.get() {
            return Ok(v.clone());
        }
        if !tokio::fs::try_exists(&self.config.gguf_path).await.unwrap_or(false) {
            return Err(self.missing());
        }
        let path = self.config.gguf_path.clone();
        let loaded = tokio::task::spawn_blocking(move || Vocab::from_gguf_file(&path))
            .await
            .map_err(|e| ProviderError::Failed(format!("loading the tokenizer panicked: {e}")))?
            .map_err(|e| ProviderError::Failed(format!("{e:#}")))?;
        // Two first requests may both load; the first stored wins and the other copy is dropped.
        Ok(self.vocab.get_or_init(|| Arc::new(loaded)).clone())
    }

    fn params(&self, request: &ChatRequest, room: usize) -> GenerateParams {
        let temperature = request.temperature.map(f64::from).filter(|t| t.is_finite()).unwrap_or(DEFAULT_TEMPERATURE);
        GenerateParams {
            max_tokens: request.max_tokens.map_or(DEFAULT_MAX_TOKENS, |n| n as usize).min(room),
            temperature: temperature.max(0.0),
            top_p: request.top_p.map(f64::from).filter(|p| p.is_finite()),
            seed: request.seed.unwrap_or_else(rand::random),
        }
    }
}

#[async_trait::async_trait]
impl ChatProvider for LocalProvider {
    fn name(&self) -> &str {
        "local"
    }

    /// Sampling here is temperature, top-p and a seed.
    fn supported_params(&self) -> super::ParamSupport {
        super::ParamSupport { seed: true, stop: false, penalties: false }
    }

    /// Runs on this machine: nothing to pay per token.
    fn prices(&self, _model: &str) -> Option<super::Prices> {
        Some(super::Prices::FREE)
    }

    async fn models(&self) -> Vec<ModelInfo> {
        let context_window = self.vocab.get().map_or(FALLBACK_CONTEXT_WINDOW, |v| v.context_window);
        vec![ModelInfo { id: self.config.model_id.clone(), provider: "local".into(), context_window }]
    }

    async fn stream_chat(&self, request: ChatRequest) -> Result<ChatStream, ProviderError> {
        if request.model != self.config.model_id {
            return Err(ProviderError::UnknownModel(request.model));
        }
        if !tokio::fs::try_exists(&self.config.gguf_path).await.unwrap_or(false) {
            return Err(self.missing());
        }
        let vocab = self.vocab().await?;
        let prompt = vocab
            .template
            .encode(&vocab.tokenizer, &request.messages)
            .map_err(|e| ProviderError::Failed(format!("cannot tokenize the prompt: {e:#}")))?;
        if prompt.len() >= vocab.context_window {
            return Err(ProviderError::PromptTooLong { tokens: prompt.len(), limit: vocab.context_window });
        }
        let params = self.params(&request, vocab.context_window - prompt.len());
        let (tx, rx) = tokio::sync::mpsc::channel(EVENT_BUFFER);
        self.pool.submit(Job { prompt, params, vocab, events: tx })?;
        // The worker ends every stream with Finished or an error; if its channel closes without
        // either (a panic in candle), say so rather than end as if the answer were complete.
        let events = tokio_stream::wrappers::ReceiverStream::new(rx);
        let stream = futures::stream::unfold((events, false), |(mut events, done)| async move {
            if done {
                return None;
            }
            match events.next().await {
                Some(Ok(ChatEvent::Finished { reason, usage })) => {
                    Some((Ok(ChatEvent::Finished { reason, usage }), (events, true)))
                }
                Some(Err(e)) => Some((Err(e), (events, true))),
                Some(ok) => Some((ok, (events, false))),
                None => {
                    Some((Err(ProviderError::Failed("local generation ended unexpectedly".into())), (events, true)))
                }
            }
        });
        Ok(stream.boxed())
    }

    fn count_tokens(&self, model: &str, messages: &[ChatMessage]) -> usize {
        if model == self.config.model_id
            && let Some(vocab) = self.vocab.get()
            && let Ok(ids) = vocab.template.encode(&vocab.tokenizer, messages)
        {
            return ids.len();
        }
        // Before the tokenizer is loaded: English runs about 4 chars per token here, so dividing by
        // 3 errs on the high side; the constant covers the role markers.
        messages.iter().map(|m| m.content.len() / 3 + 8).sum()
    }

    /// With the model's own tokenizer (once loaded; a call that ran has loaded it).
    fn count_usage(&self, model: &str, prompt: &[ChatMessage], reply: &str) -> (usize, usize) {
        let reply_tokens = self
            .vocab
            .get()
            .and_then(|vocab| vocab.tokenizer.encode(reply).ok())
            .map_or_else(|| crate::providers::tokens::count_text(model, reply), |ids| ids.len());
        (self.count_tokens(model, prompt), reply_tokens)
    }
}
