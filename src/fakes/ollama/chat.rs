//! `POST /api/chat` and `POST /api/generate`: the answer derived from the prompt, streamed as
//! JSON lines (the default) or whole, and loading/unloading a model with an empty prompt.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::handlers::{model_field, model_not_found, parse_body};
use super::wire::{self, Line, Message, Stats};
use super::{OllamaFailure, Shared, lock};
use crate::time::{ms_to_rfc3339, now_ms};

/// Ollama's default `keep_alive`: five minutes.
const DEFAULT_KEEP_ALIVE_MS: i64 = 5 * 60 * 1000;
/// What Ollama's scheduler says when its queue is full.
const BUSY: &str = "server busy, please try again.  maximum pending requests exceeded";
/// What a runner that died mid-answer reports.
const RUNNER_FAILED: &str = "an error was encountered while running the model: unexpected EOF";

/// The answer to a prompt: what the fake "generates" from the last user turn.
pub fn reply_to(last_user_text: &str) -> String {
    format!("You said: {last_user_text}")
}

/// Which endpoint is answering: the text goes in `message.content` or in `response`.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Chat,
    Generate,
}

pub(super) async fn chat(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let fields = match parse_body(&body) {
        Ok(fields) => fields,
        Err(refusal) => return *refusal,
    };
    let name = model_field(&fields);
    if name.is_empty() {
        return wire::error(StatusCode::BAD_REQUEST, "model is required");
    }
    if shared.installed_model(&name).is_none() {
        return wire::error(StatusCode::NOT_FOUND, format!("model \"{name}\" not found, try pulling it first"));
    }
    let messages = fields.get("messages").and_then(Value::as_array).cloned().unwrap_or_default();
    let failure = lock(&shared.chat_failures).pop_front();
    match failure {
        Some(OllamaFailure::Busy) => return wire::error(StatusCode::SERVICE_UNAVAILABLE, BUSY),
        Some(OllamaFailure::KeyRevoked) => return wire::error(StatusCode::UNAUTHORIZED, "unauthorized"),
        _ => {}
    }
    let fail_after = match failure {
        Some(OllamaFailure::ErrorLineAfter(n)) => Some(n),
        _ => None,
    };
    // Ollama decodes each image before the model sees it.
    for image in messages.iter().filter_map(|m| m["images"].as_array()).flatten() {
        if let Err(e) = crate::fakes::image::decode(image.as_str().unwrap_or_default()) {
            return wire::error(StatusCode::BAD_REQUEST, format!("illegal image data: {e}"));
        }
    }
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    let prompt_tokens =
        messages.iter().filter_map(|m| m["content"].as_str()).map(|c| c.split_whitespace().count() + 4).sum();
    answer(&shared, Kind::Chat, &name, &fields, messages.is_empty(), &last_user, prompt_tokens, fail_after)
}

pub(super) async fn generate(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let fields = match parse_body(&body) {
        Ok(fields) => fields,
        Err(refusal) => return *refusal,
    };
    let name = model_field(&fields);
    if shared.installed_model(&name).is_none() {
        return model_not_found(&name);
    }
    let prompt = fields.get("prompt").and_then(Value::as_str).unwrap_or_default().to_owned();
    let prompt_tokens = prompt.split_whitespace().count() + 4;
    answer(&shared, Kind::Generate, &name, &fields, prompt.is_empty(), &prompt, prompt_tokens, None)
}

/// Loads (or, with `keep_alive: 0` and nothing to answer, unloads) the model, then answers.
#[allow(clippy::too_many_arguments)]
fn answer(
    shared: &Shared,
    kind: Kind,
    name: &str,
    fields: &Map<String, Value>,
    nothing_to_answer: bool,
    prompt: &str,
    prompt_tokens: usize,
    fail_after: Option<usize>,
) -> Response {
    let keep_alive = match wire::keep_alive_ms(fields.get("keep_alive")) {
        Ok(keep_alive) => keep_alive.unwrap_or(DEFAULT_KEEP_ALIVE_MS),
        Err(message) => return wire::error(StatusCode::BAD_REQUEST, message),
    };
    let canonical = super::canonical(name);
    if nothing_to_answer && keep_alive == 0 {
        lock(&shared.loaded).remove(&canonical);
        return Json(done_line(kind, name, "unload", None)).into_response();
    }
    if keep_alive > 0 {
        lock(&shared.loaded).insert(canonical, now_ms().saturating_add(keep_alive));
    } else {
        // Loaded for this answer only.
        lock(&shared.loaded).remove(&canonical);
    }
    if nothing_to_answer {
        return Json(done_line(kind, name, "load", None)).into_response();
    }

    let mut tokens = crate::fakes::openai::word_tokens(&reply_to(prompt));
    let limit = fields.get("options").and_then(|o| o.get("num_predict")).and_then(Value::as_i64);
    let reason = match limit.and_then(|n| usize::try_from(n).ok()) {
        Some(limit) if tokens.len() > limit => {
            tokens.truncate(limit);
            "length"
        }
        _ => "stop",
    };
    let stats = Stats::new(count(prompt_tokens), count(tokens.len()));
    let stream = fields.get("stream").and_then(Value::as_bool).unwrap_or(true);
    if !stream {
        let mut whole = done_line(kind, name, reason, Some(stats));
        set_text(&mut whole, kind, tokens.concat());
        return Json(whole).into_response();
    }
    let mut lines: Vec<Bytes> = Vec::with_capacity(tokens.len() + 1);
    for (sent, token) in tokens.into_iter().enumerate() {
        if fail_after == Some(sent) {
            break;
        }
        let mut line = Line {
            model: name,
            created_at: ms_to_rfc3339(now_ms()),
            message: None,
            response: None,
            done_reason: None,
            done: false,
            stats: None,
        };
        set_text(&mut line, kind, token);
        lines.push(wire::ndjson_line(&line));
    }
    // A failure after the last text still fires, so `ErrorLineAfter(reply length)` fails a stream
    // that delivered all its text but not its `done` line.
    if fail_after.is_some() {
        lines.push(wire::ndjson_line(&wire::ErrorBody { error: RUNNER_FAILED.to_owned() }));
    } else {
        let mut last = done_line(kind, name, reason, Some(stats));
        set_text(&mut last, kind, String::new());
        lines.push(wire::ndjson_line(&last));
    }
    ndjson_response(lines)
}

/// A `done` answer with no text (a load, an unload, or the end of a stream).
fn done_line<'a>(kind: Kind, name: &'a str, reason: &'static str, stats: Option<Stats>) -> Line<'a> {
    let mut line = Line {
        model: name,
        created_at: ms_to_rfc3339(now_ms()),
        message: None,
        response: None,
        done_reason: Some(reason),
        done: true,
        stats,
    };
    set_text(&mut line, kind, String::new());
    line
}

fn set_text(line: &mut Line<'_>, kind: Kind, text: String) {
    match kind {
        Kind::Chat => line.message = Some(Message { role: "assistant", content: text }),
        Kind::Generate => line.response = Some(text),
    }
}

/// A stream of JSON lines, one body chunk per line, as Ollama flushes them.
pub(super) fn ndjson_response(lines: Vec<Bytes>) -> Response {
    let body = futures::stream::iter(lines.into_iter().map(Ok::<Bytes, std::io::Error>));
    ndjson_body(Body::from_stream(body))
}

pub(super) fn ndjson_body(body: Body) -> Response {
    let mut response = Response::new(body);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    response
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
