//! The accepted subset of OpenAI's chat completion request, validated into an engine request.

use axum::extract::rejection::JsonRejection;
use serde::Deserialize;
use webplus::{
    answer::{AnswerStyle, Params},
    providers::{ChatMessage, Role},
};

use crate::http::ApiError;

#[derive(Debug, Deserialize)]
pub struct ChatCompletionRequest {
    pub model: String,
    pub messages: Vec<InMessage>,
    #[serde(default)]
    pub stream: bool,
    pub stream_options: Option<StreamOptions>,
    pub max_tokens: Option<u32>,
    pub max_completion_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub seed: Option<u64>,
    /// A text or a list of texts.
    pub stop: Option<StopTexts>,
    pub presence_penalty: Option<f32>,
    pub frequency_penalty: Option<f32>,
    pub n: Option<u32>,
    /// Extension: answer from these knowledge bases (ids the caller can read), citing them.
    pub knowledge_bases: Option<Vec<String>>,
    /// Extension, with `knowledge_bases`: `quote` (the passages' own sentences that answer) or
    /// `generate` (the model writes the answer); left out, the model's way.
    pub answer_style: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StopTexts {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

#[derive(Debug, Deserialize)]
pub struct InMessage {
    pub role: String,
    pub content: Option<Content>,
}

/// A message's content: a string, or an array of parts of which only text is supported.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Deserialize)]
pub struct Part {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
}

impl ChatCompletionRequest {
    /// The sampling parameters, checked.
    pub fn params(&self) -> Result<Params, ApiError> {
        if self.n.is_some_and(|n| n != 1) {
            return Err(ApiError::invalid("invalid_value", "n: only n = 1 is supported"));
        }
        // Ranges are the engine's (`Params::check`, when the answer is prepared).
        Ok(Params {
            max_tokens: self.max_completion_tokens.or(self.max_tokens),
            temperature: self.temperature,
            top_p: self.top_p,
            seed: self.seed,
            stop: match &self.stop {
                None => Vec::new(),
                Some(StopTexts::One(s)) => vec![s.clone()],
                Some(StopTexts::Many(v)) => v.clone(),
            },
            presence_penalty: self.presence_penalty,
            frequency_penalty: self.frequency_penalty,
        })
    }

    /// How a grounded answer is made, checked: only with `knowledge_bases`.
    pub fn style(&self) -> Result<Option<AnswerStyle>, ApiError> {
        let Some(style) = &self.answer_style else { return Ok(None) };
        if self.knowledge_bases.is_none() {
            return Err(ApiError::invalid(
                "invalid_value",
                "answer_style: it applies to answers from knowledge_bases; give knowledge_bases or leave it out",
            ));
        }
        match style.as_str() {
            "quote" => Ok(Some(AnswerStyle::Quote)),
            "generate" => Ok(Some(AnswerStyle::Generate)),
            other => Err(ApiError::invalid(
                "invalid_value",
                format!("answer_style: use \"quote\" or \"generate\" (got {other:?})"),
            )),
        }
    }

    /// The messages, checked: known roles, text content only.
    pub fn messages(&self) -> Result<Vec<ChatMessage>, ApiError> {
        if self.messages.is_empty() {
            return Err(ApiError::invalid("invalid_value", "messages: send at least one message"));
        }
        let mut messages = Vec::with_capacity(self.messages.len());
        for (i, m) in self.messages.iter().enumerate() {
            // "developer" is OpenAI's newer name for the system role.
            let role = match m.role.as_str() {
                "developer" => Role::System,
                r => Role::parse(r).ok_or_else(|| {
                    ApiError::invalid(
                        "invalid_value",
                        format!("messages[{i}].role: use system, user or assistant (got {:?})", m.role),
                    )
                })?,
            };
            let text = match &m.content {
                None => String::new(),
                Some(Content::Text(t)) => t.clone(),
                Some(Content::Parts(parts)) => {
                    let mut out = String::new();
                    for p in parts {
                        match (p.kind.as_str(), &p.text) {
                            ("text", Some(t)) => out.push_str(t),
                            (kind, _) => {
                                return Err(ApiError::invalid(
                                    "invalid_value",
                                    format!("messages[{i}].content: only text parts are supported (got {kind:?})"),
                                ));
                            }
                        }
                    }
                    out
                }
            };
            messages.push(ChatMessage::new(role, text));
        }
        Ok(messages)
    }
}

/// A body that is not the JSON we expect: say what was wrong.
pub fn rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::invalid("invalid_content_type", "send the body as JSON with `Content-Type: application/json`")
        }
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::invalid("invalid_json", format!("the body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => {
            ApiError::invalid("invalid_value", format!("the body does not match the API: {}", e.body_text()))
        }
        JsonRejection::BytesRejection(_) => ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            "body_too_large",
            "the request body could not be read (too large, or the upload was cut)",
        ),
        other => ApiError::invalid("invalid_request", other.body_text()),
    }
}
