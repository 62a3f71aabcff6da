//! Embeddings: texts to unit-length vectors, for retrieval.
//!
//! [`Embedder`] is the provider trait; [`LocalMiniLm`] is the local default (all-MiniLM-L6-v2 run
//! with candle, no key, no network). [`OpenAiEmbedder`] (OpenAI and compatible servers) and
//! [`BedrockEmbedder`] (Amazon Titan Text Embeddings) are the remote ones; both retry the same
//! bounded way ([`RetryPolicy`]).

pub mod bedrock;
pub mod metered;
pub mod minilm;
pub mod openai;
mod retry;
pub mod serve;

pub use bedrock::{BedrockEmbedConfig, BedrockEmbedder};
pub use minilm::LocalMiniLm;
pub use openai::{OpenAiEmbedConfig, OpenAiEmbedder};
pub use retry::RetryPolicy;

use async_trait::async_trait;

/// Why texts could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model's files are not on disk. `detail` (for the operator's log) says which.
    #[error("embedding model {model} not installed: {detail} (run `webplus models fetch`)")]
    ModelMissing { model: String, detail: String },
    /// The input cannot be embedded (an empty text, for example). Retrying will not help.
    #[error("invalid input for embedding: {0}")]
    Invalid(String),
    /// The model or service failed: corrupt files, a crashed worker, a remote error.
    #[error("embedding failed: {0}")]
    Failed(String),
    /// The remote service refused the credentials (API key, AWS keys). Fix the settings; retrying
    /// will not help. The text never contains the credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// The remote service kept rate limiting through our retries. Try again later, after
    /// `retry_after_secs` if the service said.
    #[error("{message}")]
    RateLimited { message: String, retry_after_secs: Option<u64> },
    /// The remote service is down, overloaded or unreachable. Try again later.
    #[error("embedding service unavailable: {0}")]
    Unavailable(String),
}

/// Turns texts into vectors of [`Embedder::dims`] floats with an L2 norm of 1, so the dot product of
/// two vectors is their cosine similarity.
#[async_trait]
pub trait Embedder: Send + Sync + 'static {
    /// Names the model; vectors from different models must never be compared (or stored together).
    fn model_id(&self) -> &str;

    /// The length of every vector [`Embedder::embed`] returns.
    fn dims(&self) -> usize;

    /// One vector per text, in the order of `texts`. No texts give no vectors. Every text must
    /// contain something besides whitespace: remote APIs reject empty inputs, and all embedders
    /// behave the same.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError>;

    /// Gets ready so that the first [`Embedder::embed`] is not slow (a local model loads its
    /// weights); remote embedders have nothing to do.
    async fn warm_up(&self) -> Result<(), EmbedError> {
        Ok(())
    }
}

/// The [`EmbedError::Invalid`] error for the first text that is empty or only whitespace.
pub fn check_texts(texts: &[String]) -> Result<(), EmbedError> {
    match texts.iter().position(|t| t.trim().is_empty()) {
        Some(i) => Err(EmbedError::Invalid(format!("text {i} is empty"))),
        None => Ok(()),
    }
}

/// Scales `v` to length 1. A zero vector stays zero (there is no direction to keep).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > f32::EPSILON {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// The cosine similarity of two vectors of equal length (their dot product if both are unit length).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norms = a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norms > f32::EPSILON { dot / norms } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_gives_unit_length_and_keeps_direction() {
        let mut v = vec![3.0, 4.0];
        l2_normalize(&mut v);
        assert_eq!(v, vec![0.6, 0.8]);
        let mut zero = vec![0.0; 3];
        l2_normalize(&mut zero);
        assert_eq!(zero, vec![0.0; 3]);
    }

    #[test]
    fn cosine_of_parallel_orthogonal_and_opposite_vectors() {
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-6);
        assert!(cosine(&[1.0, 0.0], &[0.0, 3.0]).abs() < 1e-6);
        assert!((cosine(&[1.0, 1.0], &[-1.0, -1.0]) + 1.0).abs() < 1e-6);
    }

    #[test]
    fn an_empty_or_blank_text_is_invalid_and_names_its_position() {
        let texts = vec!["fine".to_owned(), " \n\t".to_owned()];
        let err = check_texts(&texts).unwrap_err();
        assert!(matches!(&err, EmbedError::Invalid(m) if m == "text 1 is empty"), "{err}");
        assert!(check_texts(&[]).is_ok());
    }
}
