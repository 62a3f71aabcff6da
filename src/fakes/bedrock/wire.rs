//! Converse's JSON as Bedrock sends it: the payloads of the stream's events and exceptions, and the
//! non-streaming answer.
//!
//! Bedrock pads every stream event with a `p` member of varying length, so that frame sizes do
//! not give the tokens away; clients must ignore it, and the fake sends one to make sure they do.

use serde::Serialize;

#[derive(Serialize)]
pub(super) struct MessageStart<'a> {
    pub role: &'a str,
    pub p: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContentBlockDelta<'a> {
    pub content_block_index: u32,
    pub delta: Text<'a>,
    pub p: &'a str,
}

/// A text delta, and a text block of a whole message.
#[derive(Serialize)]
pub(super) struct Text<'a> {
    pub text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContentBlockStop<'a> {
    pub content_block_index: u32,
    pub p: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MessageStop<'a> {
    pub stop_reason: &'a str,
    pub p: &'a str,
}

#[derive(Serialize)]
pub(super) struct Metadata<'a> {
    pub usage: TokenUsage,
    pub metrics: Metrics,
    pub p: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TokenUsage {
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub total_tokens: u32,
}

impl TokenUsage {
    pub fn new(input_tokens: u32, output_tokens: u32) -> Self {
        Self { input_tokens, output_tokens, total_tokens: input_tokens.saturating_add(output_tokens) }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Metrics {
    pub latency_ms: u64,
}

/// The payload of an exception frame; `modelStreamErrorException` also says what the model said.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StreamError<'a> {
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_message: Option<&'a str>,
}

/// The answer of `POST /model/{modelId}/converse`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConverseResponse<'a> {
    pub output: Output<'a>,
    pub stop_reason: &'a str,
    pub usage: TokenUsage,
    pub metrics: Metrics,
}

#[derive(Serialize)]
pub(super) struct Output<'a> {
    pub message: OutputMessage<'a>,
}

#[derive(Serialize)]
pub(super) struct OutputMessage<'a> {
    pub role: &'a str,
    pub content: Vec<Text<'a>>,
}
