//! The fake's HTTP endpoints: auth, request checks and the canned error answers.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::common::{ParsedRequest, auth_failure, count, error, now_secs, reply_for, server_error};
use super::wire::{self, ErrorBody};
use super::{Failure, FakeOpenAiConfig, Shared, stream};

pub(super) async fn chat_completions(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let parsed_body = serde_json::from_slice::<serde_json::Value>(&body);
    // Recorded before any check so tests can see exactly what reached the wire, failed or not.
    shared.requests().push(match &parsed_body {
        Ok(v) => v.clone(),
        Err(_) => serde_json::Value::String(String::from_utf8_lossy(&body).into_owned()),
    });
    // One snapshot per request: a test changing the failure mid-stream affects the next request.
    let config = shared.config().clone();
    if let Some(denied) = auth_failure(&headers, &config.api_key) {
        return denied;
    }
    let Ok(body) = parsed_body else {
        return error(
            StatusCode::BAD_REQUEST,
            ErrorBody::new(
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.",
                "invalid_request_error",
                None,
            ),
        );
    };
    let request = parse_request(&body);
    if !config.models.contains(&request.model) {
        return error(
            StatusCode::NOT_FOUND,
            ErrorBody::new(
                format!("The model `{}` does not exist or you do not have access to it.", request.model),
                "invalid_request_error",
                Some("model_not_found"),
            ),
        );
    }
    if let Some(Failure::Status(code)) = config.failure {
        return status_failure(code);
    }
    let id = format!("chatcmpl-fake{:016}", shared.next_id.fetch_add(1, Ordering::Relaxed));
    if request.stream { stream::response(id, request, config) } else { complete(&id, &request, &config) }
}

/// The non-streaming answer. Mid-stream failures do not apply: there is no stream to break.
fn complete(id: &str, request: &ParsedRequest, config: &FakeOpenAiConfig) -> Response {
    let (chunks, finish_reason) = reply_for(request, config);
    let content: String = chunks.concat();
    let body = wire::Completion {
        id,
        object: "chat.completion",
        created: now_secs(),
        model: &request.model,
        choices: [wire::CompletionChoice {
            index: 0,
            message: wire::Message { role: "assistant", content: &content, refusal: None, annotations: [] },
            logprobs: None,
            finish_reason,
        }],
        usage: wire::Usage::new(request.prompt_tokens, count(chunks.len())),
        service_tier: "default",
        system_fingerprint: wire::SYSTEM_FINGERPRINT,
    };
    Json(body).into_response()
}

pub(super) async fn list_models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let config = shared.config().clone();
    if let Some(denied) = auth_failure(&headers, &config.api_key) {
        return denied;
    }
    let data = config
        .models
        .iter()
        .map(|id| wire::Model { id, object: "model", created: 1_686_935_002, owned_by: "system" })
        .collect();
    Json(wire::ModelList { object: "list", data }).into_response()
}

pub(super) async fn unknown_url(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        ErrorBody::new(format!("Invalid URL ({method} {})", uri.path()), "invalid_request_error", None),
    )
}

fn status_failure(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match status.as_u16() {
        429 => ErrorBody::new(
            "Rate limit reached for requests. Limit: 3 / min. Please try again in 20s.",
            "requests",
            Some("rate_limit_exceeded"),
        ),
        503 => ErrorBody::new("The engine is currently overloaded, please try again later", "server_error", None),
        500..=599 => server_error(),
        _ => ErrorBody::new(format!("Fake failure with HTTP {code}"), "invalid_request_error", None),
    };
    error(status, body)
}

fn parse_request(body: &serde_json::Value) -> ParsedRequest {
    let model = body.get("model").and_then(|m| m.as_str()).unwrap_or_default().to_owned();
    let stream = body.get("stream").and_then(|s| s.as_bool()).unwrap_or(false);
    let include_usage = body.pointer("/stream_options/include_usage").and_then(|v| v.as_bool()).unwrap_or(false);
    let max_tokens = ["max_completion_tokens", "max_tokens"]
        .iter()
        .find_map(|k| body.get(*k).and_then(|v| v.as_u64()))
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    // A rough count (words plus a few tokens of framing per message) is enough for tests that
    // check usage is passed through; nobody should assert on its exact value.
    let prompt_tokens = body
        .get("messages")
        .and_then(|m| m.as_array())
        .map(|messages| messages.iter().map(|m| message_words(m) + 4).sum::<usize>())
        .unwrap_or(0);
    ParsedRequest { model, stream, include_usage, max_tokens, prompt_tokens: count(prompt_tokens) }
}

/// Words in a message whose content is a string or an array of `{"type":"text","text":..}` parts.
fn message_words(message: &serde_json::Value) -> usize {
    match message.get("content") {
        Some(serde_json::Value::String(s)) => s.split_whitespace().count(),
        Some(serde_json::Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(|t| t.as_str()))
            .map(|t| t.split_whitespace().count())
            .sum(),
        _ => 0,
    }
}
