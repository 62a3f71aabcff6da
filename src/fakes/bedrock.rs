//! A fake AWS Bedrock Runtime, over real HTTP: Titan Text Embeddings through `InvokeModel`, chat
//! through `Converse` and `ConverseStream`.
//!
//! `POST /model/{modelId}/invoke` takes Titan's JSON and answers with [`crate::fakes::hashed_bag`]
//! vectors. `POST /model/{modelId}/converse-stream` answers a Converse request with an
//! `application/vnd.amazon.eventstream` body (binary frames, `converse.rs` and `eventstream.rs`);
//! `/converse` with the same answer as one JSON document. The reply is [`reply_to`] the last user
//! turn, one output token per word, cut at `maxTokens`. Requests must carry a SigV4
//! `Authorization` header for the configured access key, region and the `bedrock` service, plus
//! `x-amz-date` (the signature itself is not recomputed). Errors are Bedrock's: `{"message": ...}`
//! with the type in `x-amzn-ErrorType`, or an exception frame inside a stream.
//!
//! ```no_run
//! # async fn demo() {
//! use webplus::fakes::{BedrockFailure, FakeBedrock, FakeBedrockConfig};
//! let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
//! fake.fail_next([BedrockFailure::Throttling]);
//! let url = fake.endpoint_url(); // http://127.0.0.1:PORT, for the SDK's endpoint_url
//! # }
//! ```

mod converse;
mod eventstream;
mod handlers;
mod request;
mod wire;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::serving::Serving;
use axum::Router;
use axum::routing::post;

/// The answer to a prompt: what the fake "generates" from the last user turn (the same echo as
/// the fake Anthropic's).
pub use super::anthropic::reply_to;

/// What the fake serves. `Default`: AWS's documentation key `AKIAIOSFODNN7EXAMPLE` in us-east-1,
/// Titan V2 and V1, two chat models, no delay.
#[derive(Debug, Clone)]
pub struct FakeBedrockConfig {
    /// The only access key id accepted in the SigV4 credential scope.
    pub access_key_id: String,
    pub region: String,
    /// Embedding model ids served by `InvokeModel`; others get ResourceNotFoundException.
    pub models: Vec<String>,
    /// Chat model ids served by `Converse` and `ConverseStream`; others get Bedrock's
    /// ValidationException "The provided model identifier is invalid."
    pub chat_models: Vec<String>,
    /// A pause before each answer, from ¼ to all of this depending on the text's length, so that
    /// concurrent calls overlap and finish out of order.
    pub delay: Duration,
}

impl Default for FakeBedrockConfig {
    fn default() -> Self {
        Self {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            region: "us-east-1".to_owned(),
            models: vec!["amazon.titan-embed-text-v2:0".to_owned(), "amazon.titan-embed-text-v1".to_owned()],
            chat_models: vec!["amazon.nova-lite-v1:0".to_owned(), "anthropic.claude-3-haiku-20240307-v1:0".to_owned()],
            delay: Duration::ZERO,
        }
    }
}

/// A failure for one signed call to a known model, queued with [`FakeBedrock::fail_next`]. The
/// HTTP ones replace any answer; the stream ones only change a `ConverseStream` answer (another
/// call that takes one from the queue answers normally).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BedrockFailure {
    /// 429 ThrottlingException.
    Throttling,
    /// 403 AccessDeniedException: the key is valid but may not use the model.
    AccessDenied,
    /// 429 ModelNotReadyException.
    ModelNotReady,
    /// 503 ServiceUnavailableException.
    ServiceUnavailable,
    /// 404 ResourceNotFoundException: the model is gone (end of life, or not in this region).
    ModelNotFound,
    /// The stream sends `messageStart` and this many text deltas (at most all of them), then the
    /// exception as an event-stream exception frame, and ends.
    ExceptionAfter { deltas: usize, exception: StreamException },
    /// The stream sends `messageStart` and this many text deltas, then nothing more until the
    /// client goes away (see [`FakeBedrock::in_flight`]).
    StallAfter(usize),
}

/// The exceptions a `ConverseStream` answer can carry in the stream, named as in its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamException {
    ModelStreamError,
    InternalServer,
    Throttling,
    Validation,
    ServiceUnavailable,
}

/// One call as it reached the fake. Credential fields are empty when the header lacked them.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeBedrockRequest {
    /// `InvokeModel`, `Converse` or `ConverseStream`.
    pub operation: &'static str,
    /// Percent-decoded, as Bedrock reads it (`amazon.titan-embed-text-v2:0`).
    pub model_id: String,
    /// The JSON body (a string holding the raw text if it was not JSON).
    pub body: serde_json::Value,
    pub access_key_id: String,
    /// The credential scope's date, region and service.
    pub scope_date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub amz_date: Option<String>,
}

/// State shared by the handler and the test holding the [`FakeBedrock`].
pub(super) struct Shared {
    config: FakeBedrockConfig,
    requests: Mutex<Vec<FakeBedrockRequest>>,
    failures: Mutex<VecDeque<BedrockFailure>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Shared {
    /// Poisoning is ignored: the data is plain values, never half-updated.
    fn requests(&self) -> MutexGuard<'_, Vec<FakeBedrockRequest>> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn next_failure(&self) -> Option<BedrockFailure> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner).pop_front()
    }

    /// Counts a call in flight until the guard drops (for a stream: with its body).
    fn enter(self: &Arc<Self>) -> InFlight {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(Arc::clone(self))
    }
}

struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A running fake. Shuts down when dropped.
pub struct FakeBedrock {
    serving: Serving,
    shared: Arc<Shared>,
}

impl FakeBedrock {
    /// Starts the fake on `127.0.0.1` with a free port. Panics if no port can be bound, which only
    /// happens on a broken test machine; use [`FakeBedrock::try_start`] to handle that.
    pub async fn start(config: FakeBedrockConfig) -> FakeBedrock {
        match Self::try_start(config).await {
            Ok(fake) => fake,
            Err(e) => panic!("the fake Bedrock server could not bind 127.0.0.1:0: {e}"),
        }
    }

    pub async fn try_start(config: FakeBedrockConfig) -> std::io::Result<FakeBedrock> {
        let shared = Arc::new(Shared {
            config,
            requests: Mutex::new(Vec::new()),
            failures: Mutex::new(VecDeque::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/model/{model_id}/invoke", post(handlers::invoke_model))
            .route("/model/{model_id}/converse", post(converse::converse))
            .route("/model/{model_id}/converse-stream", post(converse::converse_stream))
            .fallback(handlers::unknown_operation)
            .with_state(shared.clone());
        Ok(FakeBedrock { serving: Serving::start(app, "Bedrock").await?, shared })
    }

    /// What to configure the SDK's `endpoint_url` with: `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.serving.addr)
    }

    pub fn access_key_id(&self) -> &str {
        &self.shared.config.access_key_id
    }

    pub fn region(&self) -> &str {
        &self.shared.config.region
    }

    /// Every call so far, in arrival order, including refused ones.
    pub fn requests(&self) -> Vec<FakeBedrockRequest> {
        self.shared.requests().clone()
    }

    /// The next signed calls to known models fail like this, one failure each, in order.
    pub fn fail_next(&self, failures: impl IntoIterator<Item = BedrockFailure>) {
        self.shared.failures.lock().unwrap_or_else(PoisonError::into_inner).extend(failures);
    }

    /// Calls being answered now; a stream counts until its body is dropped (sent to its end, or
    /// the client went away).
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// The most calls that were being answered at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}
