//! What Anthropic sends: stream events, error bodies, the model list. Only the fields Web+ reads are
//! declared; Anthropic adds fields and event types over time, and unknown ones are ignored.

use serde::Deserialize;

/// The `data` of one server-sent event; its `type` repeats the SSE event name.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum StreamEvent {
    MessageStart {
        message: MessageStart,
    },
    /// Blocks are told apart by `index`; only text blocks are asked for, and their deltas are
    /// all that matters.
    ContentBlockStart,
    ContentBlockDelta {
        delta: BlockDelta,
    },
    ContentBlockStop,
    MessageDelta {
        delta: MessageDelta,
        #[serde(default)]
        usage: Option<DeltaUsage>,
    },
    MessageStop,
    Ping,
    Error {
        error: ApiError,
    },
    /// "We may add new event types": a newer one is skipped, not a failure.
    #[serde(other)]
    Unknown,
}

/// The message object of `message_start`: empty content, the prompt's usage.
#[derive(Debug, Deserialize)]
pub(super) struct MessageStart {
    pub usage: StartUsage,
}

#[derive(Debug, Deserialize)]
pub(super) struct StartUsage {
    pub input_tokens: u32,
    /// Prompt tokens written to or read from the prompt cache are counted apart from
    /// `input_tokens`; Web+ never asks for caching, but the prompt is their sum.
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u32>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u32>,
    #[serde(default)]
    pub output_tokens: u32,
}

impl StartUsage {
    pub fn prompt_tokens(&self) -> u32 {
        let cached =
            self.cache_creation_input_tokens.unwrap_or(0).saturating_add(self.cache_read_input_tokens.unwrap_or(0));
        self.input_tokens.saturating_add(cached)
    }
}

/// A content block's increment. Only text is ever asked for; thinking, tool input and citation
/// deltas are skipped.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum BlockDelta {
    TextDelta {
        text: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
pub(super) struct MessageDelta {
    #[serde(default)]
    pub stop_reason: Option<String>,
}

/// Cumulative counts at the end of a message.
#[derive(Debug, Deserialize)]
pub(super) struct DeltaUsage {
    pub output_tokens: u32,
    /// Sent by newer API versions; when present it is the whole prompt's count.
    #[serde(default)]
    pub input_tokens: Option<u32>,
}

/// `{"type":"error","error":{"type":..,"message":..},"request_id":..}`: an error answer, and
/// (without the request id) an `error` event in a stream.
#[derive(Debug, Deserialize)]
pub(super) struct ErrorEnvelope {
    pub error: ApiError,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct ApiError {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub message: String,
}

/// `GET /v1/models`: one page, newest first.
#[derive(Debug, Deserialize)]
pub(super) struct ModelPage {
    pub data: Vec<ModelEntry>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub last_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ModelEntry {
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> StreamEvent {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn the_documented_events_parse() {
        let start = event(
            r#"{"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "claude-x", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}"#,
        );
        assert!(matches!(start, StreamEvent::MessageStart { message } if message.usage.prompt_tokens() == 25));
        let delta =
            event(r#"{"type": "content_block_delta","index": 0,"delta": {"type": "text_delta", "text": "Hello"}}"#);
        assert!(
            matches!(delta, StreamEvent::ContentBlockDelta { delta: BlockDelta::TextDelta { text }, .. } if text == "Hello")
        );
        let end = event(
            r#"{"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence":null}, "usage": {"output_tokens": 15}}"#,
        );
        assert!(
            matches!(end, StreamEvent::MessageDelta { delta, usage: Some(u) } if delta.stop_reason.as_deref() == Some("end_turn") && u.output_tokens == 15)
        );
        assert!(matches!(event(r#"{"type": "ping"}"#), StreamEvent::Ping));
        assert!(matches!(event(r#"{"type": "message_stop"}"#), StreamEvent::MessageStop));
        let error = event(r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#);
        assert!(matches!(error, StreamEvent::Error { error } if error.kind == "overloaded_error"));
    }

    #[test]
    fn unknown_events_and_deltas_are_skipped_not_refused() {
        assert!(matches!(event(r#"{"type": "brand_new_event", "x": {"y": 1}}"#), StreamEvent::Unknown));
        let thinking =
            event(r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Hmm"}}"#);
        assert!(matches!(thinking, StreamEvent::ContentBlockDelta { delta: BlockDelta::Other, .. }));
    }

    #[test]
    fn cached_prompt_tokens_count_towards_the_prompt() {
        let usage: StartUsage = serde_json::from_str(
            r#"{"input_tokens": 10, "cache_creation_input_tokens": 5, "cache_read_input_tokens": 100, "output_tokens": 1}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(usage.prompt_tokens(), 115);
    }
}
