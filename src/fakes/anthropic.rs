//! A fake Anthropic API (Messages, streaming or not, and Models), speaking the real wire protocol
//! over real HTTP.
//!
//! It checks the key (`x-api-key`, or `Authorization: Bearer` as Anthropic's Python client 2.x
//! sends it) and the `anthropic-version` header, validates bodies as Anthropic does
//! (unknown fields such as `seed` are refused), answers with text derived from the last user turn
//! (`You said: …`, one output token per word), honours `max_tokens`, and records every request.
//!
//! ```no_run
//! # async fn demo() {
//! use webplus::fakes::{AnthropicFailure, FakeAnthropic, FakeAnthropicConfig};
//! let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
//! fake.fail_next([AnthropicFailure::Overloaded]);
//! let base_url = fake.base_url(); // http://127.0.0.1:PORT (the client appends /v1/messages)
//! // ... point a client at it, then look at what it was sent:
//! let requests = fake.requests();
//! # }
//! ```

mod handlers;
mod request;
mod stream;
mod wire;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::routing::{get, post};

use super::serving::Serving;

/// The answer to a prompt: what the fake "generates" from the last user turn.
pub fn reply_to(last_user_text: &str) -> String {
    format!("You said: {last_user_text}")
}

/// How the next `POST /v1/messages` requests fail, one failure each, in order (see
/// [`FakeAnthropic::fail_next`]). Each applies once the request passed the header and body checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnthropicFailure {
    /// HTTP 429 `rate_limit_error`, with a `retry-after` header.
    RateLimited { retry_after_secs: u64 },
    /// HTTP 529 `overloaded_error`.
    Overloaded,
    /// HTTP 500 `api_error`.
    ServerError,
    /// HTTP 401 `authentication_error` although the key is right (a key revoked meanwhile).
    KeyRevoked,
    /// A streamed answer sends this many text deltas, then an `error` event (`overloaded_error`)
    /// and ends, as Anthropic does under load. A non-streaming answer is not affected.
    ErrorEventAfter(usize),
}

/// What the fake serves. `Default` gives a working server with two models.
#[derive(Debug, Clone)]
pub struct FakeAnthropicConfig {
    /// The only key accepted in `x-api-key`.
    pub api_key: String,
    /// Listed by `GET /v1/models` in this order (Anthropic lists the newest first); messages for
    /// other models get Anthropic's 404.
    pub models: Vec<String>,
    /// The most models one page of `GET /v1/models` holds, whatever `limit` asks (Anthropic's is
    /// 1000); lower it to make a client follow pages.
    pub max_page_size: usize,
}

impl Default for FakeAnthropicConfig {
    fn default() -> Self {
        Self {
            api_key: "sk-ant-fake-0123456789abcdef".to_owned(),
            models: vec!["claude-sonnet-4-6".to_owned(), "claude-haiku-4-5".to_owned()],
            max_page_size: 1000,
        }
    }
}

impl FakeAnthropicConfig {
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    pub fn models<S: Into<String>>(mut self, models: impl IntoIterator<Item = S>) -> Self {
        self.models = models.into_iter().map(Into::into).collect();
        self
    }

    pub fn max_page_size(mut self, size: usize) -> Self {
        self.max_page_size = size.max(1);
        self
    }
}

/// One request as it reached the fake, accepted or not.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeAnthropicRequest {
    pub method: String,
    /// With the query string, if any (`/v1/models?limit=1000`).
    pub path: String,
    /// Header names lower-case; a header sent twice keeps its last value.
    pub headers: BTreeMap<String, String>,
    /// The JSON body (`Null` when there was none, a string when it was not JSON).
    pub body: serde_json::Value,
}

/// State shared by the handlers and the test holding the [`FakeAnthropic`].
struct Shared {
    config: FakeAnthropicConfig,
    requests: Mutex<Vec<FakeAnthropicRequest>>,
    failures: Mutex<VecDeque<AnthropicFailure>>,
    next_id: AtomicU64,
}

impl Shared {
    /// A handler panicking mid-test must not make every later assertion panic too, so poisoning is
    /// ignored: the data is plain values, never half-updated.
    fn requests(&self) -> MutexGuard<'_, Vec<FakeAnthropicRequest>> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn failures(&self) -> MutexGuard<'_, VecDeque<AnthropicFailure>> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running fake. Shuts down when dropped.
pub struct FakeAnthropic {
    serving: Serving,
    shared: Arc<Shared>,
}

impl FakeAnthropic {
    /// Starts the fake on `127.0.0.1` with a free port. Panics if no port can be bound, which only
    /// happens on a broken test machine; use [`FakeAnthropic::try_start`] to handle that.
    pub async fn start(config: FakeAnthropicConfig) -> FakeAnthropic {
        match Self::try_start(config).await {
            Ok(fake) => fake,
            Err(e) => panic!("the fake Anthropic server could not bind 127.0.0.1:0: {e}"),
        }
    }

    pub async fn try_start(config: FakeAnthropicConfig) -> std::io::Result<FakeAnthropic> {
        let shared = Arc::new(Shared {
            config,
            requests: Mutex::new(Vec::new()),
            failures: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(1),
        });
        let app = Router::new()
            .route("/v1/messages", post(handlers::messages))
            .route("/v1/models", get(handlers::list_models))
            .fallback(handlers::unknown_url)
            .layer(axum::middleware::from_fn_with_state(shared.clone(), handlers::record))
            .with_state(shared.clone());
        Ok(FakeAnthropic { serving: Serving::start(app, "Anthropic").await?, shared })
    }

    /// What to configure a client with: `http://127.0.0.1:PORT` (Anthropic's clients append
    /// `/v1/...` themselves).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.serving.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.serving.addr
    }

    /// The API key the fake accepts.
    pub fn api_key(&self) -> String {
        self.shared.config.api_key.clone()
    }

    /// Every request so far, in arrival order, including refused ones.
    pub fn requests(&self) -> Vec<FakeAnthropicRequest> {
        self.shared.requests().clone()
    }

    /// The bodies posted to `/v1/messages` so far, in arrival order, including refused ones.
    pub fn message_bodies(&self) -> Vec<serde_json::Value> {
        self.shared.requests().iter().filter(|r| r.path == "/v1/messages").map(|r| r.body.clone()).collect()
    }

    /// The next messages requests fail like this, one failure each, in order; later ones succeed.
    pub fn fail_next(&self, failures: impl IntoIterator<Item = AnthropicFailure>) {
        self.shared.failures().extend(failures);
    }
}
