//! A fake OpenAI server (Chat Completions and embeddings), speaking the real wire protocol over
//! real HTTP.
//!
//! ```no_run
//! # async fn demo() {
//! use webplus::fakes::{FakeOpenAi, FakeOpenAiConfig, Failure};
//! let fake = FakeOpenAi::start(FakeOpenAiConfig::default().failure(Failure::DropAfter(2))).await;
//! let base_url = fake.base_url(); // http://127.0.0.1:PORT/v1
//! // ... point a client at it, then look at what it was sent:
//! let bodies = fake.requests();
//! # }
//! ```

mod common;
mod embeddings;
mod handlers;
mod stream;
mod wire;

pub use embeddings::{DimensionsParam, EmbeddingFailure, FakeEmbeddingModel};

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::serving::Serving;
use axum::Router;
use axum::routing::{get, post};

/// The sentence the fake answers with unless told otherwise.
pub const DEFAULT_REPLY: &str = "Hello! I am a fake OpenAI model, answering from inside the test.";

/// How the fake misbehaves. Applies to every chat completion request until changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Answer every chat request with this HTTP status and OpenAI's error JSON for it (429 rate
    /// limit, 500 server error, 503 overloaded, anything else a generic error).
    Status(u16),
    /// Stream this many content chunks, then send an SSE `data: {"error":{...}}` event and end the
    /// response cleanly, without `[DONE]` (what OpenAI does when generation fails mid-way).
    ErrorEventAfter(usize),
    /// Stream this many content chunks, then cut the connection without finishing the HTTP
    /// response (what a crashed upstream or a proxy timeout looks like).
    DropAfter(usize),
}

/// What the fake serves. `Default` gives a working server with one model and a fixed reply.
#[derive(Debug, Clone)]
pub struct FakeOpenAiConfig {
    /// The only key accepted as `Authorization: Bearer <key>`.
    pub api_key: String,
    /// Listed by `GET /v1/models`; chat requests for other models get OpenAI's 404.
    pub models: Vec<String>,
    /// The reply, one content chunk per entry, concatenated for non-streaming answers.
    pub reply: Vec<String>,
    /// Pause before each content chunk, to make streaming observable in tests and benchmarks.
    pub chunk_delay: Duration,
    /// Each pause is `chunk_delay` plus or minus up to this much (spread evenly, a fixed sequence
    /// per answer), as a real model's tokens do not come like a clock.
    pub chunk_jitter: Duration,
    /// When set, each content chunk's text is `"<n>@<µs> "`: its number in the answer (from 0)
    /// and when it was sent, in microseconds since this instant. A benchmark in the same process
    /// reads from it how long each token took to reach it and that none was lost or reordered.
    pub stamp: Option<Instant>,
    pub failure: Option<Failure>,
    /// Served by `POST /v1/embeddings` (vectors from [`crate::fakes::hashed_bag`]).
    pub embedding_models: Vec<FakeEmbeddingModel>,
}

impl Default for FakeOpenAiConfig {
    fn default() -> Self {
        Self {
            api_key: "sk-fake-0123456789abcdef".to_owned(),
            models: vec!["gpt-4o-mini".to_owned()],
            reply: word_tokens(DEFAULT_REPLY),
            chunk_delay: Duration::ZERO,
            chunk_jitter: Duration::ZERO,
            stamp: None,
            failure: None,
            embedding_models: FakeEmbeddingModel::openai_defaults(),
        }
    }
}

impl FakeOpenAiConfig {
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    pub fn models<S: Into<String>>(mut self, models: impl IntoIterator<Item = S>) -> Self {
        self.models = models.into_iter().map(Into::into).collect();
        self
    }

    /// The reply as explicit chunks (concatenated they form the answer).
    pub fn reply<S: Into<String>>(mut self, chunks: impl IntoIterator<Item = S>) -> Self {
        self.reply = chunks.into_iter().map(Into::into).collect();
        self
    }

    /// The reply as a sentence, split into word chunks the way the default one is.
    pub fn reply_text(mut self, text: &str) -> Self {
        self.reply = word_tokens(text);
        self
    }

    pub fn chunk_delay(mut self, delay: Duration) -> Self {
        self.chunk_delay = delay;
        self
    }

    pub fn chunk_jitter(mut self, jitter: Duration) -> Self {
        self.chunk_jitter = jitter;
        self
    }

    /// Stamps each content chunk (see [`FakeOpenAiConfig::stamp`]).
    pub fn stamp(mut self, epoch: Instant) -> Self {
        self.stamp = Some(epoch);
        self
    }

    pub fn failure(mut self, failure: Failure) -> Self {
        self.failure = Some(failure);
        self
    }

    /// Adds an embedding model (or replaces the one with the same id).
    pub fn embedding_model(mut self, model: FakeEmbeddingModel) -> Self {
        self.embedding_models.retain(|m| m.id != model.id);
        self.embedding_models.push(model);
        self
    }
}

/// Splits text into word chunks that keep their leading space, as OpenAI's tokens do, so that the
/// chunks concatenate back to exactly `text`.
pub fn word_tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        if ch == ' ' && !current.trim().is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(ch);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// State shared by the handlers and the test holding the [`FakeOpenAi`].
pub(super) struct Shared {
    config: Mutex<FakeOpenAiConfig>,
    requests: Mutex<Vec<serde_json::Value>>,
    embedding_requests: Mutex<Vec<serde_json::Value>>,
    embedding_failures: Mutex<VecDeque<EmbeddingFailure>>,
    next_id: AtomicU64,
}

impl Shared {
    /// A handler panicking mid-test must not make every later assertion panic too, so poisoning is
    /// ignored: the data is plain values, never half-updated.
    fn config(&self) -> MutexGuard<'_, FakeOpenAiConfig> {
        self.config.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn requests(&self) -> MutexGuard<'_, Vec<serde_json::Value>> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn embedding_requests(&self) -> MutexGuard<'_, Vec<serde_json::Value>> {
        self.embedding_requests.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn next_embedding_failure(&self) -> Option<EmbeddingFailure> {
        self.embedding_failures.lock().unwrap_or_else(PoisonError::into_inner).pop_front()
    }
}

/// A running fake. Shuts down when dropped.
pub struct FakeOpenAi {
    serving: Serving,
    shared: Arc<Shared>,
}

impl FakeOpenAi {
    /// Starts the fake on `127.0.0.1` with a free port. Panics if no port can be bound, which only
    /// happens on a broken test machine; use [`FakeOpenAi::try_start`] to handle that.
    pub async fn start(config: FakeOpenAiConfig) -> FakeOpenAi {
        match Self::try_start(config).await {
            Ok(fake) => fake,
            Err(e) => panic!("the fake OpenAI server could not bind 127.0.0.1:0: {e}"),
        }
    }

    pub async fn try_start(config: FakeOpenAiConfig) -> std::io::Result<FakeOpenAi> {
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            requests: Mutex::new(Vec::new()),
            embedding_requests: Mutex::new(Vec::new()),
            embedding_failures: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(1),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(handlers::chat_completions))
            .route("/v1/models", get(handlers::list_models))
            .route("/v1/embeddings", post(embeddings::embeddings))
            .fallback(handlers::unknown_url)
            .with_state(shared.clone());
        Ok(FakeOpenAi { serving: Serving::start(app, "OpenAI").await?, shared })
    }

    /// What to configure a client with: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.serving.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.serving.addr
    }

    /// The API key the fake accepts.
    pub fn api_key(&self) -> String {
        self.shared.config().api_key.clone()
    }

    /// Every body posted to `/v1/chat/completions` so far, in arrival order, including rejected ones.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        self.shared.requests().clone()
    }

    /// Changes how later requests fail (`None`: stop failing), e.g. to test a retry.
    pub fn set_failure(&self, failure: Option<Failure>) {
        self.shared.config().failure = failure;
    }

    /// Every body posted to `/v1/embeddings` so far, in arrival order, including rejected ones.
    pub fn embedding_requests(&self) -> Vec<serde_json::Value> {
        self.shared.embedding_requests().clone()
    }

    /// The next embeddings requests that pass the auth, model and input checks fail like this, one
    /// failure each, in order; later ones succeed again.
    pub fn fail_next_embeddings(&self, failures: impl IntoIterator<Item = EmbeddingFailure>) {
        self.shared.embedding_failures.lock().unwrap_or_else(PoisonError::into_inner).extend(failures);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_tokens_concatenate_back_to_the_text() {
        let tokens = word_tokens(DEFAULT_REPLY);
        assert!(tokens.len() > 5);
        assert_eq!(tokens.concat(), DEFAULT_REPLY);
        assert_eq!(tokens[1], " I");
    }

    #[test]
    fn word_tokens_of_nothing_are_nothing() {
        assert!(word_tokens("").is_empty());
    }
}
