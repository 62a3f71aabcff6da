//! OpenAI response shapes: `chat.completion` and `chat.completion.chunk` SSE frames.

use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use webplus::providers::{ChatEvent, ChatStream, FinishReason, Usage};

pub struct Meta {
    pub id: String,
    pub created: u64,
    pub model: String,
    /// Extension: the passages the answer was given when `knowledge_bases` were asked for (a
    /// top-level `sources` array on the completion, or on the first chunk of a stream).
    pub sources: Option<Value>,
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
    let mut v = json!({
        "id": meta.id, "object": "chat.completion", "created": meta.created, "model": meta.model,
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": text },
                      "logprobs": null, "finish_reason": reason(finish) }],
        "usage": usage_json(usage),
    });
    if let Some(sources) = &meta.sources {
        v["sources"] = sources.clone();
    }
    v
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
        let first = chunk(&meta, json!({ "role": "assistant", "content": "" }), None);
        yield match &meta.sources {
            Some(sources) => {
                let mut v: Value = serde_json::from_str(&first).unwrap_or_default();
                v["sources"] = sources.clone();
                v.to_string()
            }
            None => first,
        };
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
