//! What Web+ sends Ollama: the body of `POST /api/chat` built from a [`ChatRequest`], and the
//! `keep_alive` both the chat and the model manager send.
//!
//! Ollama takes the roles as they are (system messages stay in place, neighbours of one role are
//! fine) and the sampling settings under `options`, where the token limit is `num_predict`.

use serde::Serialize;

use crate::providers::{ChatMessage, ChatRequest, Role};

#[derive(Debug, Serialize)]
pub(super) struct ChatBody {
    pub model: String,
    pub messages: Vec<WireMessage>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Options::is_empty")]
    pub options: Options,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<KeepAlive>,
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub(super) struct WireMessage {
    pub role: &'static str,
    pub content: String,
    /// Base64 images for a multimodal model (Ollama's `images`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
}

/// The Modelfile parameters a request may set; unset ones keep the model's own.
#[derive(Debug, Default, Serialize)]
pub(super) struct Options {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_predict: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f32>,
}

impl Options {
    fn is_empty(&self) -> bool {
        self.temperature.is_none()
            && self.top_p.is_none()
            && self.seed.is_none()
            && self.num_predict.is_none()
            && self.stop.is_empty()
            && self.presence_penalty.is_none()
            && self.frequency_penalty.is_none()
    }
}

/// How long Ollama keeps a model loaded after a request. Ollama reads a JSON number as seconds
/// and a string as a Go duration (`"10m"`, `"1h30m"`), so a setting written as a plain number
/// (`"-1"`, `"0"`, `"300"`) is sent as a number: as a string Ollama would refuse it ("missing
/// unit"). Negative means forever.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub(super) enum KeepAlive {
    Seconds(f64),
    Duration(String),
}

impl KeepAlive {
    pub fn parse(setting: &str) -> KeepAlive {
        let setting = setting.trim();
        match setting.parse::<f64>() {
            Ok(seconds) if seconds.is_finite() => KeepAlive::Seconds(seconds),
            _ => KeepAlive::Duration(setting.to_owned()),
        }
    }
}

/// The streaming request for `request`.
pub(super) fn chat_body(request: ChatRequest, keep_alive: Option<&str>) -> ChatBody {
    ChatBody {
        model: request.model,
        messages: request.messages.into_iter().map(wire_message).collect(),
        stream: true,
        options: Options {
            temperature: request.temperature,
            top_p: request.top_p,
            // Ollama's seed is a signed 64-bit integer; reinterpreting the bits keeps every u64
            // seed distinct and reproducible, where a range check would have to drop some.
            seed: request.seed.map(|s| i64::from_ne_bytes(s.to_ne_bytes())),
            num_predict: request.max_tokens,
            stop: request.stop,
            presence_penalty: request.presence_penalty,
            frequency_penalty: request.frequency_penalty,
        },
        keep_alive: keep_alive.map(KeepAlive::parse),
    }
}

fn wire_message(message: ChatMessage) -> WireMessage {
    let role = match message.role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
    };
    WireMessage { role, images: message.images.iter().map(|i| i.base64()).collect(), content: message.content }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_history_goes_as_it_is_with_the_settings_under_options() {
        let mut request = ChatRequest::new(
            "llama3.2",
            vec![
                ChatMessage::new(Role::System, "Be brief."),
                ChatMessage::new(Role::User, "Hi"),
                ChatMessage::new(Role::User, "Still there?"),
                ChatMessage::new(Role::Assistant, "Yes"),
            ],
        );
        request.max_tokens = Some(64);
        request.temperature = Some(0.5);
        request.seed = Some(u64::MAX);
        let json = serde_json::to_value(chat_body(request, Some("10m"))).unwrap_or_default();
        assert_eq!(
            json,
            json!({
                "model": "llama3.2",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hi"},
                    {"role": "user", "content": "Still there?"},
                    {"role": "assistant", "content": "Yes"},
                ],
                "stream": true,
                "options": {"temperature": 0.5, "seed": -1, "num_predict": 64},
                "keep_alive": "10m",
            })
        );
    }

    #[test]
    fn without_settings_there_is_no_options_object_and_no_keep_alive() {
        let json = serde_json::to_value(chat_body(ChatRequest::new("m", vec![]), None)).unwrap_or_default();
        assert!(json.get("options").is_none() && json.get("keep_alive").is_none(), "{json}");
    }

    #[test]
    fn a_keep_alive_written_as_a_number_is_sent_as_seconds() {
        assert_eq!(serde_json::to_value(KeepAlive::parse("-1")).ok(), Some(json!(-1.0)));
        assert_eq!(serde_json::to_value(KeepAlive::parse(" 300 ")).ok(), Some(json!(300.0)));
        assert_eq!(serde_json::to_value(KeepAlive::parse("1h30m")).ok(), Some(json!("1h30m")));
    }
}
