//! The body of `POST /v1/messages`, built from a [`ChatRequest`].
//!
//! The Messages API has no system role: system text goes in the top-level `system` field. Turns
//! alternate between user and assistant, so neighbours with the same role are joined (both in
//! `turns.rs`, shared with Bedrock). `max_tokens` is required. There is no `seed`, and unknown fields are refused, so it is not sent.

use serde::Serialize;

use crate::providers::ChatRequest;
use crate::providers::turns::{Turn, split_system};

#[derive(Debug, Serialize)]
pub(super) struct MessagesRequest {
    pub model: String,
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub messages: Vec<Turn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
    pub stream: bool,
}

/// The streaming request for `request`; `default_max_tokens` when it names no limit.
pub(super) fn messages_request(request: ChatRequest, default_max_tokens: u32) -> MessagesRequest {
    let (system, messages) = split_system(request.messages);
    MessagesRequest {
        model: request.model,
        // Anthropic takes at least 1.
        max_tokens: request.max_tokens.unwrap_or(default_max_tokens).max(1),
        system,
        messages,
        // Anthropic's range is 0 to 1, OpenAI's (which `/v1` callers use) 0 to 2: a hotter
        // request gets the hottest Anthropic has rather than a refusal.
        temperature: request.temperature.map(|t| t.clamp(0.0, 1.0)),
        top_p: request.top_p,
        stop_sequences: request.stop,
        stream: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::turns::TurnRole;
    use crate::providers::{ChatMessage, Role};

    fn turn(role: TurnRole, content: &str) -> Turn {
        Turn::text(role, content)
    }

    #[test]
    fn system_messages_go_to_the_system_field_joined_and_never_into_the_turns() {
        let request = ChatRequest::new(
            "claude",
            vec![
                ChatMessage::new(Role::System, "Sources: [1] a"),
                ChatMessage::new(Role::User, "Hi"),
                ChatMessage::new(Role::System, "Be brief."),
                ChatMessage::new(Role::Assistant, "Hello"),
                ChatMessage::new(Role::User, "Bye"),
            ],
        );
        let body = messages_request(request, 4096);
        assert_eq!(body.system.as_deref(), Some("Sources: [1] a\n\nBe brief."));
        let expected = [turn(TurnRole::User, "Hi"), turn(TurnRole::Assistant, "Hello"), turn(TurnRole::User, "Bye")];
        assert_eq!(body.messages, expected);
    }

    #[test]
    fn neighbouring_turns_of_one_role_are_joined_and_empty_ones_dropped() {
        let request = ChatRequest::new(
            "claude",
            vec![
                ChatMessage::new(Role::User, "One"),
                ChatMessage::new(Role::Assistant, " "),
                ChatMessage::new(Role::User, "Two"),
                ChatMessage::new(Role::System, "S"),
                ChatMessage::new(Role::User, "Three"),
                ChatMessage::new(Role::Assistant, "A"),
                ChatMessage::new(Role::Assistant, "B"),
            ],
        );
        let body = messages_request(request, 4096);
        let expected = [turn(TurnRole::User, "One\n\nTwo\n\nThree"), turn(TurnRole::Assistant, "A\n\nB")];
        assert_eq!(body.messages, expected);
    }

    #[test]
    fn the_json_has_max_tokens_and_stream_and_no_seed_or_empty_system() {
        let mut request = ChatRequest::new("claude-x", vec![ChatMessage::new(Role::User, "Hi")]);
        request.seed = Some(7);
        request.temperature = Some(1.5);
        let json = serde_json::to_value(messages_request(request, 4096)).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({
                "model": "claude-x",
                "max_tokens": 4096,
                "messages": [{"role": "user", "content": "Hi"}],
                "temperature": 1.0,
                "stream": true,
            })
        );
    }

    #[test]
    fn the_requests_own_max_tokens_wins_over_the_default() {
        let mut request = ChatRequest::new("claude-x", vec![ChatMessage::new(Role::User, "Hi")]);
        request.max_tokens = Some(12);
        assert_eq!(messages_request(request.clone(), 4096).max_tokens, 12);
        request.max_tokens = Some(0);
        assert_eq!(messages_request(request, 4096).max_tokens, 1);
    }
}
