//! OpenAI response shapes: `chat.completion` and `chat.completion.chunk` SSE frames.

use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use webplus::providers::{ChatEvent, ChatStream, FinishReason, Usage};

pub struct Meta {
    pub id: String,
    pub created: u64,
    pub model: String,
}

fn reason(r: FinishReason) -> &'static str {
    match r {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
    }
}

fn usage_json(u: Usage) -> Value {
    json!({ "prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
            "total_tokens": u.prompt_tokens + u.completion_tokens })
}

pub fn completion(meta: &Meta, text: &str, finish: FinishReason, usage: Usage) -> Value {
    json!({
        "id": meta.id, "object": "chat.completion", "created": meta.created, "model": meta.model,
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": text },
                      "logprobs": null, "finish_reason": reason(finish) }],
        "usage": usage_json(usage),
    })
}

fn chunk(meta: &Meta, delta: Value, finish: Option<&str>) -> String {
    json!({
        "id": meta.id, "object": "chat.completion.chunk", "created": meta.created, "model": meta.model,
        "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }],
    })
    .to_string()
}

/// The `data:` payloads of a streamed completion, ending with `[DONE]`. An error mid-stream becomes
/// an `{"error": …}` frame (as OpenAI sends) and ends the stream without `[DONE]`.
pub fn sse_stream(
    mut stream: ChatStream,
    meta: Meta,
    include_usage: bool,
    request_id: String,
) -> impl Stream<Item = String> {
    async_stream::stream! {
        yield chunk(&meta, json!({ "role": "assistant", "content": "" }), None);
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(ChatEvent::Delta(t)) => yield chunk(&meta, json!({ "content": t }), None),
                Ok(ChatEvent::Finished { reason: r, usage }) => {
                    yield chunk(&meta, json!({}), Some(reason(r)));
                    if include_usage {
                        yield json!({ "id": meta.id, "object": "chat.completion.chunk", "created": meta.created,
                                      "model": meta.model, "choices": [], "usage": usage_json(usage) }).to_string();
                    }
                    yield "[DONE]".to_string();
                    return;
                }
                Err(e) => {
                    let api = crate::http::ApiError::from_engine(e.into(), &request_id);
                    yield api.body().to_string();
                    return;
                }
            }
        }
        // The provider ended without a finish event: close the way OpenAI does.
        yield chunk(&meta, json!({}), Some("stop"));
        yield "[DONE]".to_string();
    }
}
