//! The local default embedder: sentence-transformers' all-MiniLM-L6-v2 (BERT, 6 layers, 384 dims),
//! run on the CPU by our own encoder (`minilm/bert.rs`; candle reads the checkpoint). Mean pooling
//! over the real tokens, then L2 normalisation, as the sentence-transformers pipeline of this model
//! does.

use std::{
    fmt::Display,
    path::{Path, PathBuf},
    sync::Arc,
    time::Instant,
};

use async_trait::async_trait;
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;
use tokenizers::{Tokenizer, TruncationParams};
use tokio::sync::{OnceCell, Semaphore};

use super::{EmbedError, Embedder, check_texts, l2_normalize};
use bert::Bert;

mod attention;
mod bert;
mod gelu;
/// The vectorisable e^x of x ≤ 0 the encoder computes GELU and softmax with (also the local
/// model's attention, `local::llama`).
pub(crate) use gelu::exp;
mod matmul;
mod norm;

pub const MODEL_ID: &str = "sentence-transformers/all-MiniLM-L6-v2";
pub const DIMS: usize = 384;
/// Longer texts are cut to this many word pieces ([CLS] and [SEP] included): sentence-transformers'
/// `max_seq_length` for this model. It was fine-tuned on pairs of at most 128 tokens, so quality
/// already fades past 128 (the limit in its tokenizer.json, which we raise); chunk well below this.
pub const MAX_TOKENS: usize = 256;
/// Texts per forward pass (no padding: each text's tokens only).
pub const BATCH_SIZE: usize = 32;
/// The model directory's name under `local::default_models_dir()`.
pub const DIR_NAME: &str = "all-minilm-l6-v2";
const FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// all-MiniLM-L6-v2 from a directory holding `config.json`, `tokenizer.json` and
/// `model.safetensors` (what `webplus models fetch` puts there). The files are read on first use.
///
/// Forward passes run on the blocking pool, one batch per permit (1 by default): a forward pass
/// already uses every core through candle's own threads, and permits are taken per batch so a
/// search query waits for one batch of a long ingestion job, not for all of it.
pub struct LocalMiniLm {
    model_dir: PathBuf,
    model: OnceCell<Arc<Model>>,
    permits: Arc<Semaphore>,
}

impl LocalMiniLm {
    pub fn new(model_dir: PathBuf) -> Self {
        Self::with_concurrency(model_dir, 1)
    }

    /// At most `batches` forward passes at a time (at least 1).
    pub fn with_concurrency(model_dir: PathBuf, batches: usize) -> Self {
        Self { model_dir, model: OnceCell::new(), permits: Arc::new(Semaphore::new(batches.max(1))) }
    }

    /// Where `webplus models fetch` puts the model.
    pub fn default_dir() -> PathBuf {
        crate::local::default_models_dir().join(DIR_NAME)
    }

    pub fn model_dir(&self) -> &Path {
        &self.model_dir
    }

    /// Loads the model now rather than on the first [`Embedder::embed`] (at start-up, say).
    pub async fn load(&self) -> Result<(), EmbedError> {
        self.model().await.map(drop)
    }

    async fn model(&self) -> Result<Arc<Model>, EmbedError> {
        // A failed load is not cached: after `webplus models fetch` the next call succeeds.
        let model = self
            .model
            .get_or_try_init(|| async {
                let dir = self.model_dir.clone();
                let started = Instant::now();
                let model = tokio::task::spawn_blocking(move || Model::load(&dir)).await.map_err(worker_failed)??;
                tracing::info!(
                    dir = %self.model_dir.display(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "loaded the embedding model"
                );
                Ok::<_, EmbedError>(Arc::new(model))
            })
            .await?;
        Ok(model.clone())
    }
}

impl Default for LocalMiniLm {
    fn default() -> Self {
        Self::new(Self::default_dir())
    }
}

#[async_trait]
impl Embedder for LocalMiniLm {
    fn model_id(&self) -> &str {
        MODEL_ID
    }

    /// Loads the model and runs one short text through it, so that whatever the first forward pass
    /// sets up (candle's threads and buffers) is paid at start-up, not by a user's search.
    async fn warm_up(&self) -> Result<(), EmbedError> {
        self.embed(&["warm up".to_owned()]).await.map(drop)
    }

    fn dims(&self) -> usize {
        DIMS
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        check_texts(texts)?;
        let model = self.model().await?;
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH_SIZE) {
            let permit = self.permits.clone().acquire_owned().await.map_err(failed)?;
            let (model, batch) = (model.clone(), batch.to_vec());
            // The permit moves into the closure: if this future is dropped, the running pass still
            // holds it until it ends, so the bound holds.
            let embedded = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                model.embed_batch(&batch)
            })
            .await
            .map_err(worker_failed)??;
            vectors.extend(embedded);
        }
        Ok(vectors)
    }
}

struct Model {
    bert: Bert,
    tokenizer: Tokenizer,
}

impl Model {
    fn load(dir: &Path) -> Result<Self, EmbedError> {
        let missing: Vec<&str> = FILES.into_iter().filter(|file| !dir.join(file).is_file()).collect();
        if !missing.is_empty() {
            return Err(EmbedError::ModelMissing {
                model: DIR_NAME.into(),
                detail: format!("{} has no {}", dir.display(), missing.join(", ")),
            });
        }
        let config = std::fs::read(dir.join("config.json")).map_err(failed)?;
        let config: Config =
            serde_json::from_slice(&config).map_err(|e| EmbedError::Failed(format!("config.json: {e}")))?;
        if config.hidden_size != DIMS {
            return Err(EmbedError::Failed(format!(
                "{} holds a model with {} dimensions, not all-MiniLM-L6-v2 ({DIMS})",
                dir.display(),
                config.hidden_size
            )));
        }

        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| EmbedError::Failed(format!("tokenizer.json: {e}")))?;
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(failed)?;
        // tokenizer.json pads every text to 128 tokens; the encoder takes each text's own tokens.
        tokenizer.with_padding(None);

        // Read into memory rather than memory-mapped: 90 MB, and no `unsafe`.
        let weights = std::fs::read(dir.join("model.safetensors")).map_err(failed)?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu).map_err(failed)?;
        let bert = Bert::load(vb, &config).map_err(failed)?;
        Ok(Self { bert, tokenizer })
    }

    /// One forward pass over `texts` (at most [`BATCH_SIZE`] of them). Blocks for tens of ms.
    fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let encodings = self.tokenizer.encode_batch(inputs, true).map_err(failed)?;
        let tokens: Vec<_> = encodings.iter().map(|e| (e.get_ids(), e.get_type_ids())).collect();
        // The mean over each text's tokens, then unit length: sentence-transformers' pooling.
        let mut vectors = self.bert.mean_pooled(&tokens).map_err(failed)?;
        vectors.iter_mut().for_each(|v| l2_normalize(v));
        Ok(vectors)
    }
}

fn failed(e: impl Display) -> EmbedError {
    EmbedError::Failed(e.to_string())
}

fn worker_failed(e: tokio::task::JoinError) -> EmbedError {
    EmbedError::Failed(format!("embedding worker: {e}"))
}

#[cfg(test)]
mod tests;
