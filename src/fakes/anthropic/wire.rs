//! The JSON the fake sends, in the field order of Anthropic's documentation.
//!
//! Plain `Serialize` structs rather than `serde_json::json!`, which sorts keys.

use axum::body::Bytes;
use serde::Serialize;

/// The message object: of a whole answer, and (empty, before any text) of `message_start`.
#[derive(Serialize)]
pub(super) struct Message<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub role: &'static str,
    pub model: &'a str,
    pub content: Vec<TextBlock<'a>>,
    pub stop_reason: Option<&'static str>,
    pub stop_sequence: Option<()>,
    pub usage: Usage,
}

#[derive(Serialize)]
pub(super) struct TextBlock<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: &'a str,
}

impl<'a> TextBlock<'a> {
    pub fn new(text: &'a str) -> Self {
        Self { kind: "text", text }
    }
}

#[derive(Serialize)]
pub(super) struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// The events of a stream; `type` repeats the SSE event name.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Event<'a> {
    MessageStart { message: Message<'a> },
    ContentBlockStart { index: u32, content_block: TextBlock<'a> },
    ContentBlockDelta { index: u32, delta: TextDelta<'a> },
    ContentBlockStop { index: u32 },
    MessageDelta { delta: MessageDelta, usage: DeltaUsage },
    MessageStop,
    Error { error: ErrorObject },
}

impl Event<'_> {
    fn name(&self) -> &'static str {
        match self {
            Event::MessageStart { .. } => "message_start",
            Event::ContentBlockStart { .. } => "content_block_start",
            Event::ContentBlockDelta { .. } => "content_block_delta",
            Event::ContentBlockStop { .. } => "content_block_stop",
            Event::MessageDelta { .. } => "message_delta",
            Event::MessageStop => "message_stop",
            Event::Error { .. } => "error",
        }
    }

    /// One SSE frame: `event: <type>\ndata: <json>\n\n`.
    pub fn frame(&self) -> Bytes {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(self.name().as_bytes());
        out.extend_from_slice(b"\ndata: ");
        // Serializing these plain structs into a Vec cannot fail; fall back to an empty object
        // rather than panic inside a test server.
        if serde_json::to_writer(&mut out, self).is_err() {
            out.extend_from_slice(b"{}");
        }
        out.extend_from_slice(b"\n\n");
        Bytes::from(out)
    }
}

/// Anthropic writes its pings with a space after the colon, unlike its other events.
pub(super) const PING: &[u8] = b"event: ping\ndata: {\"type\": \"ping\"}\n\n";

#[derive(Serialize)]
pub(super) struct TextDelta<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: &'a str,
}

#[derive(Serialize)]
pub(super) struct MessageDelta {
    pub stop_reason: &'static str,
    pub stop_sequence: Option<()>,
}

#[derive(Serialize)]
pub(super) struct DeltaUsage {
    pub output_tokens: u32,
}

/// `{"type":"error","error":{"type","message"},"request_id"}`, the body of every error answer.
#[derive(Serialize, Clone, Debug)]
pub(super) struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub error: ErrorObject,
    pub request_id: String,
}

#[derive(Serialize, Clone, Debug)]
pub(super) struct ErrorObject {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: String,
}

impl ErrorObject {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

/// `GET /v1/models`: a page of models, newest first.
#[derive(Serialize)]
pub(super) struct ModelPage<'a> {
    pub data: Vec<ModelInfo<'a>>,
    pub has_more: bool,
    pub first_id: Option<&'a str>,
    pub last_id: Option<&'a str>,
}

#[derive(Serialize)]
pub(super) struct ModelInfo<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: &'a str,
    pub display_name: &'a str,
    pub created_at: &'a str,
}
