//! What the fake's endpoints share: the parsed request, the reply to send, auth, error bodies and
//! the SSE response. Below `handlers`, `stream` and `embeddings`, so none of them depends on another.

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::FakeOpenAiConfig;
use super::wire::ErrorBody;

/// The parts of a chat request the fake acts on. Everything else is recorded but ignored.
pub(super) struct ParsedRequest {
    pub model: String,
    pub stream: bool,
    pub include_usage: bool,
    pub max_tokens: Option<usize>,
    pub prompt_tokens: u32,
}

/// The chunks to send and why the answer ends: all of the reply, or as many as `max_tokens` allows.
pub(super) fn reply_for<'c>(request: &ParsedRequest, config: &'c FakeOpenAiConfig) -> (&'c [String], &'static str) {
    match request.max_tokens {
        Some(max) if max < config.reply.len() => (&config.reply[..max], "length"),
        _ => (&config.reply[..], "stop"),
    }
}

/// The 401 OpenAI would send for these headers, if any.
pub(super) fn auth_failure(headers: &HeaderMap, expected: &str) -> Option<Response> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(key) if key == expected => None,
        Some(key) if !key.is_empty() => Some(error(
            StatusCode::UNAUTHORIZED,
            ErrorBody::new(
                format!(
                    "Incorrect API key provided: {}. You can find your API key at https://platform.openai.com/account/api-keys.",
                    mask_key(key)
                ),
                "invalid_request_error",
                Some("invalid_api_key"),
            ),
        )),
        _ => Some(error(
            StatusCode::UNAUTHORIZED,
            ErrorBody::new(
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                None,
            ),
        )),
    }
}

pub(super) fn server_error() -> ErrorBody {
    ErrorBody::new("The server had an error while processing your request. Sorry about that!", "server_error", None)
}

pub(super) fn error(status: StatusCode, body: ErrorBody) -> Response {
    let mut response = Json(body).into_response();
    *response.status_mut() = status;
    response
}

pub(super) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(super) fn now_secs() -> u64 {
    u64::try_from(crate::time::now_ms() / 1000).unwrap_or(0)
}

/// An SSE response with the headers OpenAI sends.
pub(super) fn sse_response(body: Body) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/event-stream; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache"));
    response
}

/// OpenAI echoes the first three and last four characters of a wrong key, so a client that copies
/// the upstream message into its own errors would leak part of the key. The fake does the same so
/// tests catch that.
fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}
