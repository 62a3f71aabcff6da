//! The fake's endpoints: the request log, header checks, the canned error answers, the model list
//! and the non-streaming answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::request::{self, ParsedRequest};
use super::wire::{self, ErrorBody, ErrorObject};
use super::{AnthropicFailure, FakeAnthropicRequest, Shared, reply_to, stream};

/// Bodies larger than this are not recorded whole (no test sends one).
const MAX_RECORDED_BODY: usize = 4 << 20;
/// API versions Anthropic accepts in `anthropic-version`: the first, the one Web+ speaks, and
/// the one Anthropic's SDKs send since their October 2026 majors.
const VERSIONS: &[&str] = &["2023-01-01", "2023-06-01", "2026-10-21"];

/// Records every request (headers and JSON body) before it is handled, refused ones included.
pub(super) async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_RECORDED_BODY).await.unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body_json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
    shared.requests().push(FakeAnthropicRequest { method: parts.method.to_string(), path, headers, body: body_json });
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

pub(super) async fn messages(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = next_id(&shared, "req_fake");
    let version = match check_headers(&headers, &shared.config.api_key) {
        Ok(version) => version,
        Err((status, refusal)) => return error(status, refusal, &request_id),
    };
    let parsed = serde_json::from_slice::<serde_json::Value>(&body)
        .map_err(|_| "There was an issue with the format of your request: the body is not valid JSON".to_owned())
        .and_then(|body| request::parse(&body, version));
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(message) => {
            return error(StatusCode::BAD_REQUEST, ErrorObject::new("invalid_request_error", message), &request_id);
        }
    };
    if !shared.config.models.contains(&parsed.model) {
        let message = format!("model: {}", parsed.model);
        return error(StatusCode::NOT_FOUND, ErrorObject::new("not_found_error", message), &request_id);
    }
    let failure = shared.failures().pop_front();
    if let Some(refused) = failure.and_then(|f| status_failure(f, &request_id)) {
        return refused;
    }
    let message_id = next_id(&shared, "msg_fake");
    let response =
        if parsed.stream { stream::response(message_id, parsed, failure) } else { complete(&message_id, &parsed) };
    with_request_id(response, &request_id)
}

/// The whole answer at once.
fn complete(message_id: &str, request: &ParsedRequest) -> Response {
    let (chunks, stop_reason) = reply_for(request);
    let text = chunks.concat();
    let body = wire::Message {
        id: message_id,
        kind: "message",
        role: "assistant",
        model: &request.model,
        content: vec![wire::TextBlock::new(&text)],
        stop_reason: Some(stop_reason),
        stop_sequence: None,
        usage: wire::Usage { input_tokens: request.input_tokens, output_tokens: count(chunks.len()) },
    };
    Json(body).into_response()
}

/// The reply's chunks (one output token each) and why it ends: all of it, or `max_tokens` of it.
pub(super) fn reply_for(request: &ParsedRequest) -> (Vec<String>, &'static str) {
    let mut chunks = crate::fakes::openai::word_tokens(&reply_to(&request.last_user_text));
    if chunks.len() > request.max_tokens {
        chunks.truncate(request.max_tokens);
        (chunks, "max_tokens")
    } else {
        (chunks, "end_turn")
    }
}

pub(super) async fn list_models(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let request_id = next_id(&shared, "req_fake");
    if let Err((status, refusal)) = check_headers(&headers, &shared.config.api_key) {
        return error(status, refusal, &request_id);
    }
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => 20.min(shared.config.max_page_size),
        Some(Ok(n)) if (1..=1000).contains(&n) => n.min(shared.config.max_page_size),
        Some(_) => {
            let message = ErrorObject::new("invalid_request_error", "limit: Input should be between 1 and 1000");
            return error(StatusCode::BAD_REQUEST, message, &request_id);
        }
    };
    let ids: Vec<&str> = shared.config.models.iter().map(String::as_str).collect();
    let position = |id: &String| ids.iter().position(|m| m == id);
    let (start, end) = match (query.get("after_id").and_then(position), query.get("before_id").and_then(position)) {
        (Some(after), _) => (after + 1, (after + 1 + limit).min(ids.len())),
        (None, Some(before)) => (before.saturating_sub(limit), before),
        (None, None) => (0, limit.min(ids.len())),
    };
    let page = &ids[start..end];
    let has_more = if query.contains_key("before_id") { start > 0 } else { end < ids.len() };
    let data = page
        .iter()
        .map(|id| wire::ModelInfo { kind: "model", id, display_name: id, created_at: "2025-09-29T00:00:00Z" })
        .collect();
    let body = wire::ModelPage { data, has_more, first_id: page.first().copied(), last_id: page.last().copied() };
    with_request_id(Json(body).into_response(), &request_id)
}

pub(super) async fn unknown_url(State(shared): State<Arc<Shared>>) -> Response {
    let request_id = next_id(&shared, "req_fake");
    error(StatusCode::NOT_FOUND, ErrorObject::new("not_found_error", "Not Found"), &request_id)
}

/// The key first (401, as Anthropic words it), then the API version (400); the version when both
/// pass. The key is read from `x-api-key`, as documented, or else from `Authorization: Bearer`,
/// which is how Anthropic's SDKs send it since their October 2026 majors.
fn check_headers(headers: &HeaderMap, expected_key: &str) -> Result<&'static str, (StatusCode, ErrorObject)> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let key = header("x-api-key")
        .or_else(|| header("authorization").and_then(|v| v.strip_prefix("Bearer ")))
        .map(str::trim)
        .unwrap_or_default();
    if key.is_empty() {
        return Err((
            StatusCode::UNAUTHORIZED,
            ErrorObject::new("authentication_error", "x-api-key header is required"),
        ));
    }
    if key != expected_key {
        return Err((StatusCode::UNAUTHORIZED, ErrorObject::new("authentication_error", "invalid x-api-key")));
    }
    let message = match header("anthropic-version") {
        Some(v) => match VERSIONS.iter().find(|known| **known == v) {
            Some(known) => return Ok(known),
            None => format!("anthropic-version: invalid version {v}"),
        },
        None => "anthropic-version: header is required".to_owned(),
    };
    Err((StatusCode::BAD_REQUEST, ErrorObject::new("invalid_request_error", message)))
}

/// The error answer for a failure that replaces the whole response; `None` for mid-stream ones.
fn status_failure(failure: AnthropicFailure, request_id: &str) -> Option<Response> {
    let (status, error_object) = match failure {
        AnthropicFailure::RateLimited { retry_after_secs } => {
            let message = "Number of request tokens has exceeded your per-minute rate limit (fake limit)";
            let mut response =
                error(StatusCode::TOO_MANY_REQUESTS, ErrorObject::new("rate_limit_error", message), request_id);
            response.headers_mut().insert("retry-after", HeaderValue::from(retry_after_secs));
            return Some(response);
        }
        AnthropicFailure::Overloaded => (overloaded_status(), ErrorObject::new("overloaded_error", "Overloaded")),
        AnthropicFailure::ServerError => {
            (StatusCode::INTERNAL_SERVER_ERROR, ErrorObject::new("api_error", "Internal server error"))
        }
        AnthropicFailure::KeyRevoked => {
            (StatusCode::UNAUTHORIZED, ErrorObject::new("authentication_error", "invalid x-api-key"))
        }
        AnthropicFailure::ErrorEventAfter(_) => return None,
    };
    Some(error(status, error_object, request_id))
}

/// 529, Anthropic's own status for "overloaded" (not in the IANA registry, so built from a number).
fn overloaded_status() -> StatusCode {
    StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

fn error(status: StatusCode, error: ErrorObject, request_id: &str) -> Response {
    let body = ErrorBody { kind: "error", error, request_id: request_id.to_owned() };
    let mut response = Json(body).into_response();
    *response.status_mut() = status;
    with_request_id(response, request_id)
}

/// Every Anthropic answer carries its id in a `request-id` header.
fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("request-id", v);
    }
    response
}

fn next_id(shared: &Shared, prefix: &str) -> String {
    format!("{prefix}{:018}", shared.next_id.fetch_add(1, Ordering::Relaxed))
}

pub(super) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
