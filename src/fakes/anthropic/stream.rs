//! The streamed answer, event for event as Anthropic documents it: `message_start`,
//! `content_block_start`, `ping`, `content_block_delta`…, `content_block_stop`, `message_delta`,
//! `message_stop`; or an `error` event part-way.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;

use super::AnthropicFailure;
use super::handlers::{count, reply_for};
use super::request::ParsedRequest;
use super::wire::{self, DeltaUsage, ErrorObject, Event, MessageDelta, TextBlock, TextDelta};

pub(super) fn response(message_id: String, request: ParsedRequest, failure: Option<AnthropicFailure>) -> Response {
    let (chunks, stop_reason) = reply_for(&request);
    let fail_after = match failure {
        Some(AnthropicFailure::ErrorEventAfter(n)) => Some(n),
        _ => None,
    };
    let mut frames: Vec<Bytes> = Vec::with_capacity(chunks.len() + 6);
    let start = wire::Message {
        id: &message_id,
        kind: "message",
        role: "assistant",
        model: &request.model,
        content: Vec::new(),
        stop_reason: None,
        stop_sequence: None,
        usage: wire::Usage { input_tokens: request.input_tokens, output_tokens: 1 },
    };
    frames.push(Event::MessageStart { message: start }.frame());
    frames.push(Event::ContentBlockStart { index: 0, content_block: TextBlock::new("") }.frame());
    frames.push(Bytes::from_static(wire::PING));
    for (sent, text) in chunks.iter().enumerate() {
        if fail_after == Some(sent) {
            frames.push(overloaded_event());
            return sse_response(frames);
        }
        frames.push(Event::ContentBlockDelta { index: 0, delta: TextDelta { kind: "text_delta", text } }.frame());
    }
    // A failure after the last delta still fires, so `ErrorEventAfter(reply length)` fails a
    // stream that delivered all its text but not its ending.
    if fail_after.is_some_and(|n| n >= chunks.len()) {
        frames.push(overloaded_event());
        return sse_response(frames);
    }
    frames.push(Event::ContentBlockStop { index: 0 }.frame());
    let delta = MessageDelta { stop_reason, stop_sequence: None };
    frames.push(Event::MessageDelta { delta, usage: DeltaUsage { output_tokens: count(chunks.len()) } }.frame());
    frames.push(Event::MessageStop.frame());
    sse_response(frames)
}

fn overloaded_event() -> Bytes {
    Event::Error { error: ErrorObject::new("overloaded_error", "Overloaded") }.frame()
}

/// An SSE response with the headers Anthropic sends, one body chunk per event.
fn sse_response(frames: Vec<Bytes>) -> Response {
    let body = futures::stream::iter(frames.into_iter().map(Ok::<Bytes, std::io::Error>));
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
