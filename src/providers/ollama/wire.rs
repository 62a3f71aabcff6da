//! What Ollama sends (docs/api.md of ollama/ollama). Only the fields Web+ reads are declared;
//! Ollama adds fields over time (`thinking`, `logprobs`, `context_length`, ...), and unknown ones
//! are ignored. Ollama leaves out zero counts and empty strings (Go's `omitempty`), so nearly
//! everything has a default.

use serde::Deserialize;

/// `{"error": "..."}`: an error answer, and a line of a stream that failed part-way.
#[derive(Debug, Deserialize)]
pub(super) struct ErrorBody {
    pub error: String,
}

/// One line of a `POST /api/chat` stream. The last has `done: true`, why it stopped and the
/// counts; a line with `error` (and nothing else) can come instead of any of them.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ChatLine {
    #[serde(default)]
    pub message: Option<LineMessage>,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub done_reason: Option<String>,
    #[serde(default)]
    pub prompt_eval_count: Option<u32>,
    #[serde(default)]
    pub eval_count: Option<u32>,
    #[serde(default)]
    pub error: Option<String>,
}

/// The message fragment of a chat line. A thinking model's `thinking` text is not passed on.
#[derive(Debug, Default, Deserialize)]
pub(super) struct LineMessage {
    #[serde(default)]
    pub content: String,
}

/// `GET /api/tags`: the models installed, most recently modified first.
#[derive(Debug, Deserialize)]
pub(super) struct Tags {
    #[serde(default)]
    pub models: Vec<TagEntry>,
}

#[derive(Debug, Deserialize)]
pub(super) struct TagEntry {
    /// `name` since the start; newer servers send the same text as `model` too (an alias
    /// would refuse the two together as a duplicate).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub modified_at: String,
    #[serde(default)]
    pub details: Details,
}

/// `details` of a model in `/api/tags`, `/api/ps` and `/api/show`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Details {
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub parameter_size: Option<String>,
    #[serde(default)]
    pub quantization_level: Option<String>,
}

/// `GET /api/ps`: the models loaded in memory, the longest to stay first.
#[derive(Debug, Deserialize)]
pub(super) struct Ps {
    #[serde(default)]
    pub models: Vec<PsEntry>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PsEntry {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub size_vram: u64,
    /// RFC 3339 with Ollama's local offset and nanoseconds.
    #[serde(default)]
    pub expires_at: String,
}

/// `POST /api/show`.
#[derive(Debug, Deserialize)]
pub(super) struct Show {
    #[serde(default)]
    pub details: Details,
    #[serde(default)]
    pub parameters: Option<String>,
    #[serde(default)]
    pub template: Option<String>,
    /// The GGUF metadata; its `<architecture>.context_length` is the model's trained window.
    #[serde(default)]
    pub model_info: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// One line of a `POST /api/pull` stream.
#[derive(Debug, Deserialize)]
pub(super) struct PullLine {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub completed: Option<u64>,
    #[serde(default)]
    pub error: Option<String>,
}

impl TagEntry {
    pub fn name(&self) -> &str {
        if self.name.is_empty() { &self.model } else { &self.name }
    }
}

impl PsEntry {
    pub fn name(&self) -> &str {
        if self.name.is_empty() { &self.model } else { &self.name }
    }
}

/// `GET /api/version`.
#[derive(Debug, Deserialize)]
pub(super) struct Version {
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(json: &str) -> T {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn the_documented_chat_lines_parse() {
        let line: ChatLine = parse(
            r#"{"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"The","images":null},"done":false}"#,
        );
        assert_eq!(line.message.map(|m| m.content).as_deref(), Some("The"));
        let last: ChatLine = parse(
            r#"{"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,"prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}"#,
        );
        assert!(last.done);
        assert_eq!(
            (last.done_reason.as_deref(), last.prompt_eval_count, last.eval_count),
            (Some("stop"), Some(26), Some(282))
        );
        let failed: ChatLine = parse(r#"{"error":"an error was encountered while running the model"}"#);
        assert!(failed.error.is_some() && !failed.done);
    }

    #[test]
    fn the_documented_model_lists_parse() {
        let tags: Tags = parse(
            r#"{"models":[{"name":"codellama:13b","modified_at":"2023-11-04T14:56:49.277302595-07:00","size":7365960935,"digest":"9f43","details":{"format":"gguf","family":"llama","families":null,"parameter_size":"13B","quantization_level":"Q4_0"}}]}"#,
        );
        assert_eq!(tags.models[0].name(), "codellama:13b");
        assert_eq!(tags.models[0].details.parameter_size.as_deref(), Some("13B"));
        let ps: Ps = parse(
            r#"{"models":[{"name":"mistral:latest","model":"mistral:latest","size":5137025024,"digest":"2ae6","details":{},"expires_at":"2024-06-04T14:38:31.83753-07:00","size_vram":5137025024}]}"#,
        );
        assert_eq!(ps.models[0].name(), "mistral:latest");
        assert_eq!(
            (ps.models[0].size_vram, ps.models[0].expires_at.as_str()),
            (5137025024, "2024-06-04T14:38:31.83753-07:00")
        );
    }
}
