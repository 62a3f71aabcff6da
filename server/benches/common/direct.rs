//! The baseline Web+'s time to first token is compared with: each provider's fake called straight
//! in its own wire protocol, with the smallest request that protocol streams an answer to.

use std::time::Duration;

use serde_json::json;

use super::{bedrock, first_text::time_first_text};

/// How to reach one fake directly.
pub enum Direct {
    /// `POST {base}/chat/completions`, SSE; text in `choices[0].delta.content`.
    OpenAi { base_url: String, api_key: String, model: String },
    /// `POST {base}/v1/messages`, SSE; text in a `content_block_delta` event's `delta.text`.
    Anthropic { base_url: String, api_key: String, model: String },
    /// `POST {base}/api/chat`, JSON lines; text in `message.content`.
    Ollama { base_url: String, model: String },
    /// `ConverseStream` through the AWS SDK; text in a `contentBlockDelta` event.
    Bedrock { client: aws_sdk_bedrockruntime::Client, model: String },
}

impl Direct {
    /// One streamed request: the time from sending it to the first text received.
    pub async fn time_first_text(&self, http: &reqwest::Client) -> anyhow::Result<Duration> {
        let hi = json!([{ "role": "user", "content": "hi" }]);
        match self {
            Direct::OpenAi { base_url, api_key, model } => {
                let body = json!({ "model": model, "stream": true, "messages": hi });
                let request = http.post(format!("{base_url}/chat/completions")).bearer_auth(api_key).json(&body);
                time_first_text(request, "content").await
            }
            Direct::Anthropic { base_url, api_key, model } => {
                let body = json!({ "model": model, "max_tokens": 256, "stream": true, "messages": hi });
                let request = http
                    .post(format!("{base_url}/v1/messages"))
                    .header("x-api-key", api_key)
                    .header("anthropic-version", "2023-06-01")
                    .json(&body);
                // `content_block_start` carries `"text":""`; the first non-empty one is a delta.
                time_first_text(request, "text").await
            }
            Direct::Ollama { base_url, model } => {
                let body = json!({ "model": model, "stream": true, "messages": hi });
                time_first_text(http.post(format!("{base_url}/api/chat")).json(&body), "content").await
            }
            Direct::Bedrock { client, model } => bedrock::time_first_text(client, model).await,
        }
    }
}
