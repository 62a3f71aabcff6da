//! The JSON the fake sends, field for field and in OpenAI's field order.
//!
//! Plain `Serialize` structs rather than `serde_json::json!`: `json!` builds a map that sorts its keys,
//! so the bytes would differ from OpenAI's, and structs serialize faster (the benchmarks compare
//! time-to-first-token through Web+ against this server directly).

use axum::body::Bytes;
use serde::Serialize;

/// Every response carries one; real clients (async-openai among them) accept any string here.
pub(super) const SYSTEM_FINGERPRINT: &str = "fp_fake0openai";

#[derive(Serialize)]
pub(super) struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub total_tokens: u32,
    pub prompt_tokens_details: PromptTokensDetails,
    pub completion_tokens_details: CompletionTokensDetails,
}

#[derive(Serialize)]
pub(super) struct PromptTokensDetails {
    cached_tokens: u32,
    audio_tokens: u32,
}

#[derive(Serialize)]
pub(super) struct CompletionTokensDetails {
    reasoning_tokens: u32,
    audio_tokens: u32,
    accepted_prediction_tokens: u32,
    rejected_prediction_tokens: u32,
}

impl Usage {
    pub fn new(prompt_tokens: u32, completion_tokens: u32) -> Self {
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens.saturating_add(completion_tokens),
            prompt_tokens_details: PromptTokensDetails { cached_tokens: 0, audio_tokens: 0 },
            completion_tokens_details: CompletionTokensDetails {
                reasoning_tokens: 0,
                audio_tokens: 0,
                accepted_prediction_tokens: 0,
                rejected_prediction_tokens: 0,
            },
        }
    }
}

/// `chat.completion.chunk`, one SSE event of a streamed completion.
#[derive(Serialize)]
pub(super) struct Chunk<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created: u64,
    pub model: &'a str,
    pub service_tier: &'static str,
    pub system_fingerprint: &'static str,
    pub choices: Vec<ChunkChoice<'a>>,
    /// Absent unless the client asked for `stream_options.include_usage`; then `null` on every chunk
    /// but the last, as OpenAI does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Option<Usage>>,
}

#[derive(Serialize)]
pub(super) struct ChunkChoice<'a> {
    pub index: u32,
    pub delta: Delta<'a>,
    pub logprobs: Option<()>,
    pub finish_reason: Option<&'static str>,
}

/// The first delta carries the role and an empty content, the following ones only content, the
/// finishing one nothing at all.
#[derive(Serialize, Default)]
pub(super) struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
    /// `Some(None)` prints `"refusal":null`, which OpenAI sends on the role chunk only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Option<()>>,
}

/// `chat.completion`, the whole answer at once.
#[derive(Serialize)]
pub(super) struct Completion<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created: u64,
    pub model: &'a str,
    pub choices: [CompletionChoice<'a>; 1],
    pub usage: Usage,
    pub service_tier: &'static str,
    pub system_fingerprint: &'static str,
}

#[derive(Serialize)]
pub(super) struct CompletionChoice<'a> {
    pub index: u32,
    pub message: Message<'a>,
    pub logprobs: Option<()>,
    pub finish_reason: &'static str,
}

#[derive(Serialize)]
pub(super) struct Message<'a> {
    pub role: &'static str,
    pub content: &'a str,
    pub refusal: Option<()>,
    pub annotations: [(); 0],
}

#[derive(Serialize)]
pub(super) struct ModelList<'a> {
    pub object: &'static str,
    pub data: Vec<Model<'a>>,
}

#[derive(Serialize)]
pub(super) struct Model<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created: u64,
    pub owned_by: &'static str,
}

/// OpenAI's error envelope: `{"error":{"message","type","param","code"}}`.
#[derive(Serialize, Clone, Debug)]
pub(super) struct ErrorBody {
    pub error: ErrorObject,
}

#[derive(Serialize, Clone, Debug)]
pub(super) struct ErrorObject {
    pub message: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub param: Option<&'static str>,
    pub code: Option<&'static str>,
}

impl ErrorBody {
    pub fn new(message: impl Into<String>, kind: &'static str, code: Option<&'static str>) -> Self {
        Self { error: ErrorObject { message: message.into(), kind, param: None, code } }
    }
}

/// Frames a value as one SSE event: `data: <json>\n\n`.
pub(super) fn sse_event<T: Serialize>(value: &T) -> Bytes {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"data: ");
    // Serializing these plain structs into a Vec cannot fail; fall back to an empty object rather
    // than panic inside a test server.
    if serde_json::to_writer(&mut out, value).is_err() {
        out.extend_from_slice(b"{}");
    }
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

pub(super) const SSE_DONE: &[u8] = b"data: [DONE]\n\n";
