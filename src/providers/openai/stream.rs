//! Sends a streaming chat request and adapts the SSE answer to [`ChatEvent`]s.
//!
//! The HTTP side is plain reqwest rather than async-openai's `create_stream`: that one runs the
//! request through reqwest-eventsource, which *reconnects* when a stream fails half-way, silently
//! posting the same (billed) request again after the caller has given up on it, and which drops
//! the error body of a failed request. async-openai still provides the request type; a chunk is
//! read into [`ChunkIn`], the few fields Web+ uses, so the id, model and fingerprint every chunk
//! repeats are skipped rather than allocated for every token.

use std::{sync::Arc, time::Duration};

use async_openai::error::ApiError;
use async_openai::types::CreateChatCompletionRequest;
use eventsource_stream::EventStreamError;
use futures::StreamExt;
use reqwest::header::{ACCEPT, HeaderValue};

use super::super::sse::{self, BodyError, OpenError};
use super::super::{ChatEvent, ChatStream, FinishReason, ProviderError, Usage};
use super::errors;
use crate::settings::Secret;

/// What one stream needs besides the upstream bytes.
pub(super) struct StreamContext {
    pub provider: Arc<str>,
    pub key: Secret,
    /// Longest wait for the answer's headers, for the first chunk and between two chunks.
    pub idle_timeout: Duration,
    /// Our own prompt estimate, reported if the server sends no usage.
    pub estimated_prompt_tokens: u32,
}

/// `{"error": {...}}`, as an error answer or as an SSE event in the middle of a stream.
#[derive(serde::Deserialize)]
pub(super) struct ErrorEnvelope {
    pub error: ApiError,
}

/// Posts the request and waits for the first chunk, then hands back the rest as a stream.
///
/// Waiting first means failures before any text (wrong key, rate limit, unreachable server) come
/// back from `stream_chat` itself, while the caller can still answer with a proper HTTP status
/// instead of a broken stream.
pub(super) async fn start(
    http: &reqwest::Client,
    url: String,
    request: &CreateChatCompletionRequest,
    ctx: StreamContext,
) -> Result<ChatStream, ProviderError> {
    let mut upstream = Upstream::open(http, url, request, &ctx).await?;
    let first = upstream.next_chunk(&ctx).await?;
    let stream = async_stream::stream! {
        let mut state = State::default();
        let mut next = first;
        // Looked up once per stream, not per token.
        let tokens = metrics::counter!("webplus_tokens_generated_total", "provider" => Arc::clone(&ctx.provider));
        loop {
            let Some(chunk) = next else {
                yield state.finish(&ctx);
                break;
            };
            if let Some(text) = state.absorb(chunk) {
                tokens.increment(1);
                yield Ok(ChatEvent::Delta(text));
            }
            next = match upstream.next_chunk(&ctx).await {
                Ok(next) => next,
                // The model already said why it stopped; losing the connection before `[DONE]`
                // (some servers just close) loses nothing the caller needs.
                Err(e) if state.finish_reason.is_some() => {
                    tracing::debug!(provider = &*ctx.provider, error = %e, "stream cut after the finish chunk");
                    None
                }
                Err(e) => {
                    yield Err(e);
                    break;
                }
            };
        }
        // Dropping `upstream` (here, or when the caller drops this stream) closes the connection,
        // which is how OpenAI-compatible servers learn to stop generating.
    };
    Ok(Box::pin(stream))
}

/// The response body being read, as server-sent events.
struct Upstream {
    events: sse::Events,
}

impl Upstream {
    async fn open(
        http: &reqwest::Client,
        url: String,
        request: &CreateChatCompletionRequest,
        ctx: &StreamContext,
    ) -> Result<Upstream, ProviderError> {
        let send = http
            .post(url)
            // `bearer_auth` marks the header sensitive, so reqwest never prints it either.
            .bearer_auth(ctx.key.expose())
            .header(ACCEPT, HeaderValue::from_static("text/event-stream"))
            .json(request);
        match sse::open(send, ctx.idle_timeout).await {
            Ok(events) => Ok(Upstream { events }),
            Err(OpenError::Silent) => Err(silent(ctx)),
            Err(OpenError::Http(e)) => Err(errors::from_reqwest(&e, &ctx.provider, &ctx.key)),
            Err(OpenError::Status { status, body, .. }) => {
                let error = serde_json::from_slice::<ErrorEnvelope>(&body).ok().map(|envelope| envelope.error);
                Err(errors::from_status(status, error.as_ref(), &ctx.provider, &ctx.key))
            }
            Err(OpenError::UnexpectedContentType) => Err(ProviderError::Failed(
                "the provider did not answer with an event stream; check the base URL".into(),
            )),
        }
    }

    /// The next chunk; `Ok(None)` at `[DONE]`.
    async fn next_chunk(&mut self, ctx: &StreamContext) -> Result<Option<ChunkIn>, ProviderError> {
        loop {
            match self.events.next().await {
                // Only `data` matters for Chat Completions; an event without any is skipped.
                Some(Ok(event)) if event.data.is_empty() => {}
                Some(Ok(event)) => return parse_event(&event.data, ctx),
                None => {
                    return Err(ProviderError::Unavailable("the provider closed the stream before it finished".into()));
                }
                Some(Err(EventStreamError::Transport(BodyError::Http(e)))) => {
                    return Err(errors::from_reqwest(&e, &ctx.provider, &ctx.key));
                }
                Some(Err(EventStreamError::Transport(BodyError::Silent))) => return Err(silent(ctx)),
                Some(Err(EventStreamError::Transport(BodyError::TooLarge))) => {
                    return Err(ProviderError::Failed("the provider sent an oversized stream".into()));
                }
                Some(Err(e)) => {
                    tracing::warn!(provider = &*ctx.provider, error = %e, "unreadable event stream from the provider");
                    return Err(ProviderError::Failed("the provider sent an unreadable event stream".into()));
                }
            }
        }
    }
}

/// What Web+ reads of a `chat.completion.chunk`: unknown fields are skipped, `choices` is
/// required (so an error object or anything else is not taken for an empty chunk).
#[derive(serde::Deserialize)]
pub(super) struct ChunkIn {
    choices: Vec<ChoiceIn>,
    #[serde(default)]
    usage: Option<UsageIn>,
}

#[derive(serde::Deserialize)]
struct ChoiceIn {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    delta: Option<DeltaIn>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(serde::Deserialize)]
struct DeltaIn {
    #[serde(default)]
    content: Option<String>,
}

#[derive(serde::Deserialize)]
struct UsageIn {
    prompt_tokens: u32,
    completion_tokens: u32,
}

fn parse_event(data: &str, ctx: &StreamContext) -> Result<Option<ChunkIn>, ProviderError> {
    if data == "[DONE]" {
        return Ok(None);
    }
    let chunk_error = match serde_json::from_str::<ChunkIn>(data) {
        Ok(chunk) => return Ok(Some(chunk)),
        Err(e) => e,
    };
    if let Ok(envelope) = serde_json::from_str::<ErrorEnvelope>(data) {
        return Err(errors::mid_stream(&envelope.error, &ctx.provider, &ctx.key));
    }
    let start: String = data.chars().take(200).collect();
    tracing::warn!(
        provider = &*ctx.provider,
        error = %chunk_error,
        event = %errors::redact(&start, &ctx.key),
        "unreadable chunk from the provider"
    );
    Err(ProviderError::Failed("the provider sent an event that is not an OpenAI chat completion chunk".into()))
}

fn silent(ctx: &StreamContext) -> ProviderError {
    tracing::warn!(provider = &*ctx.provider, timeout = ?ctx.idle_timeout, "provider went silent");
    ProviderError::Unavailable(format!("the provider sent nothing for {} s", ctx.idle_timeout.as_secs_f32()))
}

#[derive(Default)]
struct State {
    finish_reason: Option<FinishReason>,
    usage: Option<Usage>,
    deltas: u32,
}

impl State {
    /// Takes in one chunk; returns its text, if any. Only choice 0 counts: Web+ never asks for `n > 1`.
    fn absorb(&mut self, chunk: ChunkIn) -> Option<String> {
        if let Some(u) = chunk.usage {
            self.usage = Some(Usage::reported(u.prompt_tokens, u.completion_tokens));
        }
        let choice = chunk.choices.into_iter().find(|c| c.index == 0)?;
        if let Some(reason) = choice.finish_reason {
            // Tools are never offered and a content-filter stop (or a reason this version does
            // not know) is still a stop: the text so far is all there will be.
            self.finish_reason = Some(if reason == "length" { FinishReason::Length } else { FinishReason::Stop });
        }
        let text = choice.delta?.content.filter(|t| !t.is_empty())?;
        self.deltas = self.deltas.saturating_add(1);
        Some(text)
    }

    fn finish(&self, ctx: &StreamContext) -> Result<ChatEvent, ProviderError> {
        let Some(reason) = self.finish_reason else {
            return Err(ProviderError::Unavailable(
                "the provider ended the stream without saying why it stopped".into(),
            ));
        };
        // Servers that ignore `stream_options.include_usage` send no usage; an estimate (one token
        // per chunk is how OpenAI-compatible servers stream) beats reporting zero, and the call's
        // record counts the tokens properly (`counted`).
        let usage = self.usage.unwrap_or(Usage {
            prompt_tokens: ctx.estimated_prompt_tokens,
            completion_tokens: self.deltas,
            counted: true,
        });
        Ok(ChatEvent::Finished { reason, usage })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> StreamContext {
        StreamContext {
            provider: Arc::from("openai"),
            key: Secret::new("sk-test-0123456789".to_owned()),
            idle_timeout: Duration::from_secs(1),
            estimated_prompt_tokens: 7,
        }
    }

    /// A chunk as OpenAI sends it, every field there.
    const CHUNK: &str = r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" Paris"},"logprobs":null,"finish_reason":null}],"usage":null}"#;

    #[test]
    fn text_finish_and_usage_are_read_and_the_rest_is_skipped() {
        let mut state = State::default();
        let first = parse_event(r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#, &ctx());
        assert_eq!(state.absorb(first.unwrap().unwrap()), None, "an empty delta is no text");
        assert_eq!(state.absorb(parse_event(CHUNK, &ctx()).unwrap().unwrap()).as_deref(), Some(" Paris"));
        let end = r#"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#;
        assert_eq!(state.absorb(parse_event(end, &ctx()).unwrap().unwrap()), None);
        let usage = r#"{"id":"c","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}"#;
        state.absorb(parse_event(usage, &ctx()).unwrap().unwrap());
        match state.finish(&ctx()).unwrap() {
            ChatEvent::Finished { reason, usage } => {
                assert_eq!(reason, FinishReason::Length);
                assert_eq!((usage.prompt_tokens, usage.completion_tokens), (9, 1));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_event("[DONE]", &ctx()).unwrap().is_none());
    }

    #[test]
    fn an_error_object_or_anything_else_is_an_error_not_an_empty_chunk() {
        let error = r#"{"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}"#;
        assert!(parse_event(error, &ctx()).is_err());
        assert!(matches!(parse_event(r#"{"id":"x"}"#, &ctx()), Err(ProviderError::Failed(_))));
        assert!(matches!(parse_event("not json", &ctx()), Err(ProviderError::Failed(_))));
    }

    #[test]
    fn without_a_usage_chunk_the_chunks_are_counted() {
        let mut state = State::default();
        for _ in 0..3 {
            state.absorb(parse_event(CHUNK, &ctx()).unwrap().unwrap());
        }
        let stop = r#"{"choices":[{"index":0,"delta":{},"finish_reason":"content_filter"}]}"#;
        state.absorb(parse_event(stop, &ctx()).unwrap().unwrap());
        match state.finish(&ctx()).unwrap() {
            ChatEvent::Finished { reason, usage } => {
                assert_eq!(reason, FinishReason::Stop);
                assert_eq!((usage.prompt_tokens, usage.completion_tokens, usage.counted), (7, 3, true));
            }
            other => panic!("{other:?}"),
        }
    }
}
