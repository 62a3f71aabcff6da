//! Posts a streaming Messages request and adapts Anthropic's events to [`ChatEvent`]s.
//!
//! A stream is `message_start` (the prompt's tokens), content blocks (`content_block_start`,
//! `content_block_delta`…, `content_block_stop`), `message_delta` (why it stopped, the cumulative
//! output tokens) and `message_stop`, with `ping`s anywhere. An `error` event can come instead of
//! any of them. A stream is finished only by `message_stop`.

use std::{sync::Arc, time::Duration};

use eventsource_stream::EventStreamError;
use futures::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};

use super::errors::{self, Ctx};
use super::request::MessagesRequest;
use super::wire::{BlockDelta, StreamEvent};
use crate::providers::sse::{self, BodyError, OpenError};
use crate::providers::{ChatEvent, ChatStream, FinishReason, ProviderError, Usage};
use crate::settings::Secret;

/// The API version Web+ speaks (request and event shapes).
pub(super) const API_VERSION: &str = "2023-06-01";

/// What one stream needs besides the upstream bytes.
pub(super) struct StreamContext {
    pub provider: Arc<str>,
    pub key: Secret,
    /// Longest wait for the answer's headers, for the first event and between two events.
    pub idle_timeout: Duration,
}

impl StreamContext {
    fn errors(&self) -> Ctx<'_> {
        Ctx { provider: &self.provider, key: &self.key }
    }
}

/// The headers every Anthropic request carries; the key is marked sensitive so that reqwest never
/// prints it. The caller has checked that the key fits in a header.
pub(super) fn auth_headers(key: &Secret) -> Result<[(HeaderName, HeaderValue); 2], ProviderError> {
    let mut value = HeaderValue::from_str(key.expose())
        .map_err(|_| ProviderError::Failed("the Anthropic API key cannot be sent in an HTTP header".into()))?;
    value.set_sensitive(true);
    Ok([
        (HeaderName::from_static("x-api-key"), value),
        (HeaderName::from_static("anthropic-version"), HeaderValue::from_static(API_VERSION)),
    ])
}

/// Posts the request and reads up to its first event, then hands back the rest as a stream.
///
/// Waiting first means failures before any text (key refused, rate limit, an overload reported
/// as the first event) come back from `stream_chat` itself, while the caller can still answer
/// with a proper HTTP status instead of a broken stream.
pub(super) async fn start(
    http: &reqwest::Client,
    url: String,
    request: &MessagesRequest,
    ctx: StreamContext,
) -> Result<ChatStream, ProviderError> {
    let mut upstream = Upstream::open(http, url, request, &ctx).await?;
    let first = upstream.next_event(&ctx).await?;
    if let Some(StreamEvent::Error { error }) = &first {
        return Err(errors::mid_stream(error, &ctx.errors()));
    }
    let stream = async_stream::stream! {
        // Looked up once per stream, not per token.
        let tokens = metrics::counter!("webplus_tokens_generated_total", "provider" => Arc::clone(&ctx.provider));
        let mut state = State::default();
        let mut next = first;
        loop {
            let Some(event) = next else {
                yield Err(ProviderError::Unavailable("Anthropic closed the stream before message_stop".into()));
                break;
            };
            match state.absorb(event, &ctx) {
                Ok(Some(finished @ ChatEvent::Finished { .. })) => {
                    yield Ok(finished);
                    break;
                }
                Ok(Some(delta)) => {
                    tokens.increment(1);
                    yield Ok(delta);
                }
                Ok(None) => {}
                Err(e) => {
                    yield Err(e);
                    break;
                }
            }
            next = match upstream.next_event(&ctx).await {
                Ok(next) => next,
                Err(e) => {
                    yield Err(e);
                    break;
                }
            };
        }
        // Dropping `upstream` (here, or when the caller drops this stream) closes the connection,
        // which stops the generation upstream.
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
        request: &MessagesRequest,
        ctx: &StreamContext,
    ) -> Result<Upstream, ProviderError> {
        let send = http
            .post(url)
            .headers(auth_headers(&ctx.key)?.into_iter().collect())
            .header(ACCEPT, HeaderValue::from_static("text/event-stream"))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .json(request);
        match sse::open(send, ctx.idle_timeout).await {
            Ok(events) => Ok(Upstream { events }),
            Err(OpenError::Silent) => Err(silent(ctx)),
            Err(OpenError::Http(e)) => Err(errors::from_reqwest(&e, &ctx.errors())),
            Err(OpenError::Status { status, headers, body }) => {
                Err(errors::from_status(status, &headers, &body, &request.model, &ctx.errors()))
            }
            Err(OpenError::UnexpectedContentType) => {
                Err(ProviderError::Failed("Anthropic did not answer with an event stream; check the base URL".into()))
            }
        }
    }

    /// The next event with data; `Ok(None)` when the body ends.
    async fn next_event(&mut self, ctx: &StreamContext) -> Result<Option<StreamEvent>, ProviderError> {
        loop {
            match self.events.next().await {
                Some(Ok(event)) if event.data.is_empty() => {}
                Some(Ok(event)) => return parse_event(&event.event, &event.data, ctx).map(Some),
                None => return Ok(None),
                Some(Err(EventStreamError::Transport(BodyError::Http(e)))) => {
                    return Err(errors::from_reqwest(&e, &ctx.errors()));
                }
                Some(Err(EventStreamError::Transport(BodyError::Silent))) => return Err(silent(ctx)),
                Some(Err(EventStreamError::Transport(BodyError::TooLarge))) => {
                    return Err(ProviderError::Failed("Anthropic sent an oversized stream".into()));
                }
                Some(Err(e)) => {
                    tracing::warn!(provider = &*ctx.provider, error = %e, "unreadable event stream from Anthropic");
                    return Err(ProviderError::Failed("Anthropic sent an unreadable event stream".into()));
                }
            }
        }
    }
}

fn parse_event(name: &str, data: &str, ctx: &StreamContext) -> Result<StreamEvent, ProviderError> {
    serde_json::from_str::<StreamEvent>(data).map_err(|e| {
        let start: String = data.chars().take(200).collect();
        tracing::warn!(
            provider = &*ctx.provider,
            event = name,
            error = %e,
            data = %ctx.key.redact_in(&start),
            "unreadable event from Anthropic"
        );
        ProviderError::Failed(format!("Anthropic sent an unreadable {name} event"))
    })
}

fn silent(ctx: &StreamContext) -> ProviderError {
    tracing::warn!(provider = &*ctx.provider, timeout = ?ctx.idle_timeout, "Anthropic went silent");
    ProviderError::Unavailable(format!("Anthropic sent nothing for {} s", ctx.idle_timeout.as_secs_f32()))
}

/// What the events so far said.
#[derive(Default)]
struct State {
    prompt_tokens: u32,
    completion_tokens: u32,
    reason: Option<FinishReason>,
}

impl State {
    /// Takes in one event: text to pass on, the end of the stream, an error, or nothing to say.
    fn absorb(&mut self, event: StreamEvent, ctx: &StreamContext) -> Result<Option<ChatEvent>, ProviderError> {
        match event {
            StreamEvent::MessageStart { message } => {
                self.prompt_tokens = message.usage.prompt_tokens();
                self.completion_tokens = message.usage.output_tokens;
            }
            StreamEvent::ContentBlockDelta { delta: BlockDelta::TextDelta { text } } if !text.is_empty() => {
                return Ok(Some(ChatEvent::Delta(text)));
            }
            StreamEvent::MessageDelta { delta, usage } => {
                if let Some(usage) = usage {
                    // Cumulative: the last one is the total.
                    self.completion_tokens = usage.output_tokens;
                    if let Some(input) = usage.input_tokens {
                        self.prompt_tokens = input;
                    }
                }
                if let Some(reason) = delta.stop_reason {
                    self.reason = Some(finish_reason(&reason));
                }
            }
            StreamEvent::MessageStop => {
                let usage = Usage::reported(self.prompt_tokens, self.completion_tokens);
                return Ok(Some(ChatEvent::Finished { reason: self.reason.unwrap_or(FinishReason::Stop), usage }));
            }
            StreamEvent::Error { error } => return Err(errors::mid_stream(&error, &ctx.errors())),
            StreamEvent::ContentBlockStart
            | StreamEvent::ContentBlockDelta { .. }
            | StreamEvent::ContentBlockStop
            | StreamEvent::Ping
            | StreamEvent::Unknown => {}
        }
        Ok(None)
    }
}

/// `max_tokens` (and running out of context window) cut the answer; everything else (`end_turn`,
/// `stop_sequence`, `refusal`, ...) is the model stopping: the text so far is all there will be.
fn finish_reason(stop_reason: &str) -> FinishReason {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> StreamContext {
        StreamContext { provider: Arc::from("anthropic"), key: Secret::new("k"), idle_timeout: Duration::from_secs(1) }
    }

    fn feed(events: &[&str]) -> Vec<Result<Option<ChatEvent>, ProviderError>> {
        let mut state = State::default();
        events.iter().map(|e| state.absorb(parse_event("test", e, &ctx()).expect("parses"), &ctx())).collect()
    }

    #[test]
    fn usage_comes_from_message_start_and_the_last_message_delta() {
        let out = feed(&[
            r#"{"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":15}}"#,
            r#"{"type":"message_stop"}"#,
        ]);
        assert!(matches!(&out[1], Ok(Some(ChatEvent::Delta(t))) if t == "Hi"));
        let usage = Usage::reported(25, 15);
        assert!(
            matches!(&out[3], Ok(Some(ChatEvent::Finished { reason: FinishReason::Length, usage: u })) if *u == usage)
        );
    }

    #[test]
    fn stop_reasons_other_than_running_out_are_a_stop() {
        for reason in ["end_turn", "stop_sequence", "refusal", "pause_turn", "something_new"] {
            assert_eq!(finish_reason(reason), FinishReason::Stop, "{reason}");
        }
        assert_eq!(finish_reason("model_context_window_exceeded"), FinishReason::Length);
    }
}
