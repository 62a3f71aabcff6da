//! OpenAI and OpenAI-compatible servers: async-openai's wire types over our own reqwest calls.
//!
//! Any server speaking the Chat Completions API works: point `base_url` at it (vLLM, llama.cpp's
//! server, Ollama, OpenRouter, ...). Only streaming is used; the non-streaming endpoint is never
//! needed because callers can always collect a stream.

mod errors;
mod models;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use async_openai::types::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage, ChatCompletionRequestMessageContentPartImage,
    ChatCompletionRequestMessageContentPartText, ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, ChatCompletionRequestUserMessageContentPart, ChatCompletionStreamOptions,
    CreateChatCompletionRequest, ImageDetail, ImageUrl, Stop,
};

use super::listing::ListedModels;
use super::{ChatMessage, ChatProvider, ChatRequest, ChatStream, ModelInfo, ProviderError, Role};
use crate::settings::Secret;

/// How to reach one OpenAI-compatible server. `Default` is OpenAI itself, without a key.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// Label for logs, metrics and [`ModelInfo::provider`].
    pub name: String,
    /// Up to and including the version, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    pub api_key: Secret,
    /// Models offered to users. Empty: ask the server (`GET /models`) once and use its list.
    pub models: Vec<String>,
    /// Context window assumed for every model, in tokens.
    pub context_window: usize,
    /// Longest wait for the server's first chunk and between two chunks (not for the whole answer,
    /// which may legitimately take minutes); also bounds model listing.
    pub timeout: Duration,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        Self {
            name: "openai".to_owned(),
            base_url: "https://api.openai.com/v1".to_owned(),
            api_key: Secret::new(""),
            models: Vec::new(),
            context_window: 128_000,
            timeout: Duration::from_secs(60),
        }
    }
}

pub struct OpenAiProvider {
    /// Label for logs and metrics (shared, as every stream's metrics carry it).
    name: Arc<str>,
    /// async-openai supplies the wire types but not the transport; see `stream.rs` for why.
    http: Result<reqwest::Client, String>,
    chat_url: String,
    models_url: String,
    key: Secret,
    models: Vec<String>,
    listed: ListedModels,
    context_window: usize,
    timeout: Duration,
}

impl OpenAiProvider {
    pub fn new(config: OpenAiConfig) -> Self {
        // A key read from a file often ends in a newline, which no real key contains.
        let key = Secret::new(config.api_key.expose().trim());
        // Paths are appended verbatim, and `.../v1//models` is a 404 on most servers.
        let base = config.base_url.trim_end_matches('/');
        let http = super::sse::client(config.timeout, &config.name);
        Self {
            name: Arc::from(config.name),
            chat_url: format!("{base}/chat/completions"),
            models_url: format!("{base}/models"),
            http,
            key,
            models: config.models,
            listed: ListedModels::default(),
            context_window: config.context_window,
            timeout: config.timeout,
        }
    }

    /// A key with a control character cannot go into a header; saying so beats reqwest's generic
    /// "builder error".
    fn check_key(&self) -> Result<(), ProviderError> {
        if self.key.expose().bytes().all(|b| (b >= 0x20 && b != 0x7f) || b == b'\t') {
            Ok(())
        } else {
            Err(ProviderError::Failed("the API key contains characters that cannot be sent in an HTTP header".into()))
        }
    }

    fn http(&self) -> Result<&reqwest::Client, ProviderError> {
        self.http.as_ref().map_err(|e| ProviderError::Failed(format!("the HTTP client could not be set up: {e}")))
    }
}

#[async_trait::async_trait]
impl ChatProvider for OpenAiProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn models(&self) -> Vec<ModelInfo> {
        let ids = if self.models.is_empty() { self.listed_models().await } else { self.models.clone() };
        ids.into_iter()
            .map(|id| ModelInfo { id, provider: self.name.to_string(), context_window: self.context_window })
            .collect()
    }

    async fn stream_chat(&self, request: ChatRequest) -> Result<ChatStream, ProviderError> {
        self.check_key()?;
        let http = self.http()?;
        let estimated_prompt_tokens =
            u32::try_from(self.count_tokens(&request.model, &request.messages)).unwrap_or(u32::MAX);
        let body = to_openai_request(request);
        let ctx = stream::StreamContext {
            provider: Arc::clone(&self.name),
            key: self.key.clone(),
            idle_timeout: self.timeout,
            estimated_prompt_tokens,
        };
        stream::start(http, self.chat_url.clone(), &body, ctx).await
    }

    async fn list_upstream(&self) -> Result<Vec<String>, ProviderError> {
        self.request_models().await
    }
}

fn to_openai_request(request: ChatRequest) -> CreateChatCompletionRequest {
    // `max_tokens` is deprecated by OpenAI in favour of `max_completion_tokens`, but it is the one
    // every OpenAI-compatible server understands, and OpenAI still honours it for chat models.
    #[allow(deprecated)]
    CreateChatCompletionRequest {
        model: request.model,
        messages: request.messages.into_iter().map(to_openai_message).collect(),
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        top_p: request.top_p,
        // OpenAI takes a signed seed; reinterpreting the bits keeps every u64 seed distinct and
        // reproducible, where a range check would have to drop some.
        seed: request.seed.map(|s| i64::from_ne_bytes(s.to_ne_bytes())),
        stop: (!request.stop.is_empty()).then_some(Stop::StringArray(request.stop)),
        presence_penalty: request.presence_penalty,
        frequency_penalty: request.frequency_penalty,
        stream: Some(true),
        // Without this, OpenAI sends no token counts on a stream.
        stream_options: Some(ChatCompletionStreamOptions { include_usage: true }),
        ..Default::default()
    }
}

fn to_openai_message(message: ChatMessage) -> ChatCompletionRequestMessage {
    match message.role {
        Role::System => ChatCompletionRequestSystemMessage::from(message.content).into(),
        Role::User if message.images.is_empty() => ChatCompletionRequestUserMessage::from(message.content).into(),
        // The text, then the images as data URLs (OpenAI's vision input).
        Role::User => {
            let text = ChatCompletionRequestMessageContentPartText { text: message.content };
            let parts = std::iter::once(ChatCompletionRequestUserMessageContentPart::Text(text))
                .chain(message.images.iter().map(|image| {
                    // `auto` is OpenAI's default; sent because async-openai writes an unset one as null.
                    let image_url = ImageUrl { url: image.data_url(), detail: Some(ImageDetail::Auto) };
                    ChatCompletionRequestUserMessageContentPart::ImageUrl(
                        ChatCompletionRequestMessageContentPartImage { image_url },
                    )
                }))
                .collect();
            ChatCompletionRequestUserMessage {
                content: ChatCompletionRequestUserMessageContent::Array(parts),
                name: None,
            }
            .into()
        }
        Role::Assistant => ChatCompletionRequestAssistantMessage::from(message.content).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_follow_the_text_as_data_urls() {
        let mut message = ChatMessage::new(Role::User, "What is this?");
        message
            .images
            .push(super::super::Image { media_type: "image/png".into(), data: std::sync::Arc::from(&b"png"[..]) });
        let json = serde_json::to_value(to_openai_message(message)).unwrap();
        assert_eq!(
            json["content"],
            serde_json::json!([
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,cG5n", "detail": "auto"}}
            ])
        );
    }

    #[test]
    fn the_request_asks_for_a_stream_with_usage_and_keeps_the_history_in_order() {
        let request = ChatRequest::new(
            "gpt-4o-mini",
            vec![
                ChatMessage::new(Role::System, "Be brief."),
                ChatMessage::new(Role::User, "Hi"),
                ChatMessage::new(Role::Assistant, "Hello"),
                ChatMessage::new(Role::User, "Bye"),
            ],
        );
        let json = serde_json::to_value(to_openai_request(request)).unwrap_or_default();
        assert_eq!(json["stream"], true);
        assert_eq!(json["stream_options"]["include_usage"], true);
        let roles: Vec<&str> = json["messages"]
            .as_array()
            .map(|m| m.iter().filter_map(|m| m["role"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        assert_eq!(json["messages"][2]["content"], "Hello");
    }

    #[test]
    fn a_large_seed_is_sent_rather_than_dropped() {
        let mut request = ChatRequest::new("m", vec![]);
        request.seed = Some(u64::MAX);
        assert_eq!(to_openai_request(request).seed, Some(-1));
    }

    #[test]
    fn a_key_with_a_control_character_is_refused_with_a_clear_error() {
        let provider =
            OpenAiProvider::new(OpenAiConfig { api_key: Secret::new("sk-abc\u{0}def"), ..OpenAiConfig::default() });
        assert!(matches!(provider.check_key(), Err(ProviderError::Failed(_))));
    }

    #[test]
    fn the_configured_label_is_the_name() {
        let provider = OpenAiProvider::new(OpenAiConfig { name: "groq".into(), ..OpenAiConfig::default() });
        assert_eq!(provider.name(), "groq");
    }
}
