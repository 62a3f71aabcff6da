//! `Converse` and `ConverseStream`: the checks in Bedrock's order, then the answer, whole or as
//! events in the documented order: `messageStart`, `contentBlockDelta`…, `contentBlockStop`,
//! `messageStop`, `metadata`; or an exception frame part-way.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::eventstream::{self, Ending};
use super::handlers::{accept, aws_error, failure_response, request_id};
use super::request::{self, ParsedConverse};
use super::wire::{self, Metrics, StreamError, Text, TokenUsage};
use super::{BedrockFailure, InFlight, Shared, StreamException, reply_to};

/// The latency the fake reports in `metrics`.
const LATENCY_MS: u64 = 21;
/// Padding for the `p` member, cut to a length that varies from event to event.
const PADDING: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0";

pub(super) async fn converse_stream(
    State(shared): State<Arc<Shared>>,
    Path(model_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match checked(&shared, "ConverseStream", &model_id, &headers, &body) {
        Ok((parsed, failure, in_flight)) => stream(&parsed, failure, in_flight),
        Err(refused) => *refused,
    }
}

pub(super) async fn converse(
    State(shared): State<Arc<Shared>>,
    Path(model_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (parsed, _failure, _in_flight) = match checked(&shared, "Converse", &model_id, &headers, &body) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let (chunks, stop_reason) = reply_for(&parsed);
    let text = chunks.concat();
    let answer = wire::ConverseResponse {
        output: wire::Output {
            message: wire::OutputMessage { role: "assistant", content: vec![Text { text: &text }] },
        },
        stop_reason,
        usage: TokenUsage::new(parsed.input_tokens, count(chunks.len())),
        metrics: Metrics { latency_ms: LATENCY_MS },
    };
    let mut response = Json(answer).into_response();
    response.headers_mut().insert("x-amzn-requestid", request_id());
    response
}

/// The signature, the model, the body and the failure queue, in that order: the request to answer
/// and a stream failure to apply, or the refusal.
fn checked(
    shared: &Arc<Shared>,
    operation: &'static str,
    model_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(ParsedConverse, Option<BedrockFailure>, InFlight), Box<Response>> {
    let (request, in_flight) = accept(shared, operation, model_id, headers, body)?;
    let invalid = |message: &str| Box::new(aws_error(StatusCode::BAD_REQUEST, "ValidationException", message));
    if !shared.config.chat_models.iter().any(|m| m == model_id) {
        return Err(invalid("The provided model identifier is invalid."));
    }
    let parsed = request::parse(&request.body).map_err(|message| invalid(&message))?;
    let failure = shared.next_failure();
    if let Some(refused) = failure.and_then(failure_response) {
        return Err(Box::new(refused));
    }
    Ok((parsed, failure, in_flight))
}

/// The reply's chunks (one output token each) and why it ends: all of it, or `maxTokens` of it.
fn reply_for(request: &ParsedConverse) -> (Vec<String>, &'static str) {
    let mut chunks = crate::fakes::openai::word_tokens(&reply_to(&request.last_user_text));
    if chunks.len() > request.max_tokens {
        chunks.truncate(request.max_tokens);
        (chunks, "max_tokens")
    } else {
        (chunks, "end_turn")
    }
}

fn stream(request: &ParsedConverse, failure: Option<BedrockFailure>, in_flight: InFlight) -> Response {
    let (chunks, stop_reason) = reply_for(request);
    let (cut_after, ending) = match failure {
        Some(BedrockFailure::ExceptionAfter { deltas, .. }) => (Some(deltas.min(chunks.len())), Ending::Close),
        Some(BedrockFailure::StallAfter(deltas)) => (Some(deltas.min(chunks.len())), Ending::Stall),
        _ => (None, Ending::Close),
    };
    let mut frames = Vec::with_capacity(chunks.len() + 4);
    frames.push(eventstream::event("messageStart", &wire::MessageStart { role: "assistant", p: pad(0) }));
    for (i, text) in chunks.iter().enumerate().take(cut_after.unwrap_or(usize::MAX)) {
        let delta = wire::ContentBlockDelta { content_block_index: 0, delta: Text { text }, p: pad(i + 1) };
        frames.push(eventstream::event("contentBlockDelta", &delta));
    }
    if let Some(BedrockFailure::ExceptionAfter { exception, .. }) = failure {
        frames.push(exception_frame(exception));
    }
    if cut_after.is_some() {
        return eventstream::response(frames, ending, in_flight);
    }
    let p = pad(chunks.len() + 1);
    frames.push(eventstream::event("contentBlockStop", &wire::ContentBlockStop { content_block_index: 0, p }));
    frames.push(eventstream::event("messageStop", &wire::MessageStop { stop_reason, p }));
    let usage = TokenUsage::new(request.input_tokens, count(chunks.len()));
    frames.push(eventstream::event(
        "metadata",
        &wire::Metadata { usage, metrics: Metrics { latency_ms: LATENCY_MS }, p },
    ));
    eventstream::response(frames, Ending::Close, in_flight)
}

fn exception_frame(exception: StreamException) -> Bytes {
    let plain = |message| StreamError { message, original_status_code: None, original_message: None };
    match exception {
        StreamException::ModelStreamError => eventstream::exception(
            "modelStreamErrorException",
            &StreamError {
                message: "Received error from the model while streaming the response.",
                original_status_code: Some(500),
                original_message: Some("Internal model error"),
            },
        ),
        StreamException::InternalServer => {
            eventstream::exception("internalServerException", &plain("The server encountered an internal error."))
        }
        StreamException::Throttling => {
            eventstream::exception("throttlingException", &plain("Too many tokens, please wait before trying again."))
        }
        StreamException::Validation => {
            eventstream::exception("validationException", &plain("The model produced output that failed validation."))
        }
        StreamException::ServiceUnavailable => eventstream::exception(
            "serviceUnavailableException",
            &plain("The service is temporarily unable to handle the request."),
        ),
    }
}

fn pad(n: usize) -> &'static str {
    &PADDING[..(n * 7) % PADDING.len() + 1]
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
