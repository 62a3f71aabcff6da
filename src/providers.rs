//! LLM providers behind one streaming trait.
//!
//! Every provider turns a [`ChatRequest`] into a stream of [`ChatEvent`]s. Callers never know which
//! backend they talk to; the [`Registry`] maps a model id (as shown in `/v1/models`) to its provider.

pub mod anthropic;
pub mod bedrock;
mod listing;
pub mod local;
mod ndjson;
pub mod ollama;
pub mod openai;
mod registry;
mod sse;
pub mod tokens;
mod turns;
mod upstream;

pub use registry::{ModelInfo, Registry};

use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// Who said a message (the shared `domain::MessageRole`).
pub use crate::domain::MessageRole as Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
    /// Images shown to the model with this message (vision models only; `Answers::prepare` puts
    /// an attached image here, or a note in `content` for a model that cannot see it).
    #[serde(skip)]
    pub images: Vec<Image>,
    /// Files attached to the message and not yet put into it: `Answers::prepare` turns their text
    /// into `content` (whole, or the passages that fit) and images into `images`. Providers never
    /// get any.
    #[serde(skip)]
    pub files: Vec<AttachedFile>,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self { role, content: content.into(), images: Vec::new(), files: Vec::new() }
    }
}

/// An image as a provider sends it: its type (`image/png`, `image/jpeg`, `image/gif` or
/// `image/webp`, checked from its bytes on upload) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub media_type: String,
    pub data: std::sync::Arc<[u8]>,
}

impl Image {
    /// The bytes as standard base64 (Anthropic, Ollama).
    pub fn base64(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&self.data)
    }

    /// A `data:` URL (OpenAI's `image_url`).
    pub fn data_url(&self) -> String {
        format!("data:{};base64,{}", self.media_type, self.base64())
    }
}

/// A file attached to a user's message: its text, or the image it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedFile {
    /// As the user named it (shown to the model, so it can refer to the file).
    pub name: String,
    pub content: FileContent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    Text(std::sync::Arc<str>),
    Image(Image),
}

/// One generation request. `model` is the provider's own model name (the registry strips its prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    /// Upper bound on generated tokens; `None` lets the provider pick its default.
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub seed: Option<u64>,
    /// Texts that end the answer when generated (not included in it).
    pub stop: Vec<String>,
    pub presence_penalty: Option<f32>,
    pub frequency_penalty: Option<f32>,
}

impl ChatRequest {
    pub fn new(model: impl Into<String>, messages: Vec<ChatMessage>) -> Self {
        Self {
            model: model.into(),
            messages,
            max_tokens: None,
            temperature: None,
            top_p: None,
            seed: None,
            stop: Vec::new(),
            presence_penalty: None,
            frequency_penalty: None,
        }
    }
}

/// Which optional parameters a provider takes (the answer path drops the others and says so, so
/// that an unsupported one never becomes an upstream error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSupport {
    pub seed: bool,
    pub stop: bool,
    /// presence_penalty and frequency_penalty.
    pub penalties: bool,
}

impl ParamSupport {
    pub const ALL: ParamSupport = ParamSupport { seed: true, stop: true, penalties: true };

    /// Removes what is not supported from `request`; returns the names of the parameters dropped.
    pub fn strip(self, request: &mut ChatRequest) -> Vec<&'static str> {
        let mut dropped = Vec::new();
        if !self.seed && request.seed.take().is_some() {
            dropped.push("seed");
        }
        if !self.stop && !std::mem::take(&mut request.stop).is_empty() {
            dropped.push("stop");
        }
        if !self.penalties {
            if request.presence_penalty.take().is_some() {
                dropped.push("presence_penalty");
            }
            if request.frequency_penalty.take().is_some() {
                dropped.push("frequency_penalty");
            }
        }
        dropped
    }
}

/// Why a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model emitted its end-of-turn token.
    Stop,
    /// `max_tokens` or the context window was reached.
    Length,
}

/// Token accounting reported at the end of a stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// True when these are an estimate because the provider reported none: the call's record
    /// then counts them ([`ChatProvider::count_usage`]) and the ledger marks the row as counted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub counted: bool,
}

impl Usage {
    /// Tokens as the provider reported them.
    pub fn reported(prompt_tokens: u32, completion_tokens: u32) -> Self {
        Self { prompt_tokens, completion_tokens, counted: false }
    }
}

/// A model's list prices in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prices {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

impl Prices {
    /// A model that costs nothing to call (the local one).
    pub const FREE: Prices = Prices { input_per_mtok: 0.0, output_per_mtok: 0.0 };

    /// What `usage` cost, in billionths of a dollar (a per-million price × tokens × 1000), rounded.
    pub fn cost_nano_usd(&self, usage: Usage) -> i64 {
        let nanos = f64::from(usage.prompt_tokens) * self.input_per_mtok * 1000.0
            + f64::from(usage.completion_tokens) * self.output_per_mtok * 1000.0;
        nanos.round() as i64
    }
}

/// What a provider stream yields.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    /// A piece of generated text (may be part of a token or several tokens).
    Delta(String),
    /// The last event of a successful stream.
    Finished { reason: FinishReason, usage: Usage },
}

/// Errors a provider reports. Their `Display` is safe to log; it is never sent to clients as-is.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The model is not known to this provider.
    #[error("unknown model {0:?}")]
    UnknownModel(String),
    /// The model's files are missing. `detail` is for the operator's log (the path, the command
    /// that fetches them); clients are told only that `model` is not installed.
    #[error("model {model} not installed: {detail}")]
    ModelMissing { model: String, detail: String },
    /// The prompt does not fit the model's context window even after trimming.
    #[error("prompt too long: {tokens} tokens, the model takes {limit}")]
    PromptTooLong { tokens: usize, limit: usize },
    /// The provider refused this server's API key (wrong, revoked, or without permission). Only an
    /// administrator can fix that; `provider` names the service for people ("Anthropic").
    #[error("{provider} refused the API key")]
    KeyRefused { provider: String },
    /// The provider is overloaded or refused (HTTP 429/5xx, local queue full).
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// Anything else that went wrong upstream or in the local runtime.
    #[error("provider failed: {0}")]
    Failed(String),
}

pub type ChatStream = BoxStream<'static, Result<ChatEvent, ProviderError>>;

/// A backend that can generate chat completions as a stream.
#[async_trait::async_trait]
pub trait ChatProvider: Send + Sync + 'static {
    /// Short name for logs and metrics labels (`local`, `openai`, ...).
    fn name(&self) -> &str;

    /// The models this provider serves, by their provider-local names.
    async fn models(&self) -> Vec<ModelInfo>;

    /// Starts a generation. Dropping the stream cancels it.
    async fn stream_chat(&self, request: ChatRequest) -> Result<ChatStream, ProviderError>;

    /// Asks the provider's server which models it has (OpenAI's `/v1/models`, Anthropic's model
    /// list, ...), uncached: what a connection test and "available to add" show. A failure says
    /// what went wrong (unreachable, key refused). Providers without a server list what they serve.
    async fn list_upstream(&self) -> Result<Vec<String>, ProviderError> {
        Ok(self.models().await.into_iter().map(|m| m.id).collect())
    }

    /// The optional parameters this provider sends on.
    fn supported_params(&self) -> ParamSupport {
        ParamSupport::ALL
    }

    /// The list prices of `model`, when known (the ledger turns tokens into a cost with them).
    fn prices(&self, model: &str) -> Option<Prices> {
        let _ = model;
        None
    }

    /// Counts the tokens of `messages` as this model would see them, used to trim history to fit.
    /// Providers that cannot count exactly return an estimate that errs on the high side.
    fn count_tokens(&self, model: &str, messages: &[ChatMessage]) -> usize {
        let _ = model;
        messages.iter().map(|m| m.content.len() / 3 + 8).sum()
    }

    /// Counts a call's tokens as exactly as this provider can, for the ledger when the provider
    /// did not report them: `(prompt, reply)`. Off the streaming path (once, when the call ends).
    /// The default is OpenAI's vocabularies ([`tokens`]); a local model counts with its own.
    fn count_usage(&self, model: &str, prompt: &[ChatMessage], reply: &str) -> (usize, usize) {
        (tokens::count_prompt(model, prompt), tokens::count_text(model, reply))
    }
}
