//! What the fake Ollama sends, field for field as Ollama's Go types serialise (names, and the
//! `omitempty` fields left out when empty), and how it reads `keep_alive`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One line of a chat or generate stream, or the whole non-streamed answer.
#[derive(Debug, Serialize)]
pub(super) struct Line<'a> {
    pub model: &'a str,
    pub created_at: String,
    /// Chat answers carry the text here ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// ... generate answers here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done_reason: Option<&'static str>,
    pub done: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub stats: Option<Stats>,
}

#[derive(Debug, Serialize)]
pub(super) struct Message {
    pub role: &'static str,
    pub content: String,
}

/// The counts and durations (nanoseconds) of a finished answer.
#[derive(Debug, Serialize)]
pub(super) struct Stats {
    pub total_duration: u64,
    pub load_duration: u64,
    pub prompt_eval_count: u32,
    pub prompt_eval_duration: u64,
    pub eval_count: u32,
    pub eval_duration: u64,
}

impl Stats {
    /// Plausible durations for `prompt` and `eval` tokens (fixed per token, so deterministic).
    pub fn new(prompt: u32, eval: u32) -> Stats {
        let prompt_eval_duration = u64::from(prompt) * 2_000_000;
        let eval_duration = u64::from(eval) * 20_000_000;
        let load_duration = 5_000_000;
        Stats {
            total_duration: load_duration + prompt_eval_duration + eval_duration,
            load_duration,
            prompt_eval_count: prompt,
            prompt_eval_duration,
            eval_count: eval,
            eval_duration,
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct Details<'a> {
    pub parent_model: &'static str,
    pub format: &'static str,
    pub family: &'a str,
    pub families: [&'a str; 1],
    pub parameter_size: &'a str,
    pub quantization_level: &'a str,
}

#[derive(Debug, Serialize)]
pub(super) struct ListResponse<'a> {
    pub models: Vec<ListModel<'a>>,
}

#[derive(Debug, Serialize)]
pub(super) struct ListModel<'a> {
    pub name: &'a str,
    pub model: &'a str,
    pub modified_at: String,
    pub size: u64,
    pub digest: &'a str,
    pub details: Details<'a>,
}

#[derive(Debug, Serialize)]
pub(super) struct ProcessResponse<'a> {
    pub models: Vec<ProcessModel<'a>>,
}

#[derive(Debug, Serialize)]
pub(super) struct ProcessModel<'a> {
    pub name: &'a str,
    pub model: &'a str,
    pub size: u64,
    pub digest: &'a str,
    pub details: Details<'a>,
    pub expires_at: String,
    pub size_vram: u64,
    pub context_length: u32,
}

#[derive(Debug, Serialize)]
pub(super) struct ShowResponse<'a> {
    pub license: &'static str,
    pub modelfile: String,
    pub parameters: &'static str,
    pub template: &'static str,
    pub details: Details<'a>,
    pub model_info: serde_json::Map<String, serde_json::Value>,
    pub capabilities: [&'static str; 1],
    pub modified_at: String,
}

/// One line of a pull.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Progress {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<u64>,
}

impl Progress {
    pub fn status(status: impl Into<String>) -> Progress {
        Progress { status: status.into(), digest: None, total: None, completed: None }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct VersionResponse<'a> {
    pub version: &'a str,
}

#[derive(Debug, Serialize)]
pub(super) struct ErrorBody {
    pub error: String,
}

/// Ollama's error answer: `{"error": "..."}` with `status`.
pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(ErrorBody { error: message.into() })).into_response()
}

/// A line of a stream, JSON and a newline.
pub(super) fn ndjson_line<T: Serialize>(value: &T) -> axum::body::Bytes {
    let mut line = serde_json::to_vec(value).unwrap_or_default();
    line.push(b'\n');
    axum::body::Bytes::from(line)
}

/// Far enough for "never": Ollama adds the longest Go duration (about 292 years).
const FOREVER_MS: i64 = i64::MAX / 1_000_000;

/// `keep_alive` in milliseconds as Ollama reads it: a number is seconds, a string a Go duration
/// (`"5m"`, `"1h30m"`, `"0"`); negative is for ever. The error is Go's message for a bad string.
pub(super) fn keep_alive_ms(value: Option<&serde_json::Value>) -> Result<Option<i64>, String> {
    let ms = match value {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Number(n)) => n.as_f64().map(|s| s * 1000.0).ok_or("invalid duration")?,
        Some(serde_json::Value::String(s)) => {
            go_duration_ms(s).ok_or_else(|| format!("time: invalid duration {s:?}"))?
        }
        Some(_) => return Err("invalid duration".into()),
    };
    Ok(Some(if ms < 0.0 { FOREVER_MS } else { ms as i64 }))
}

/// Go's `time.ParseDuration`, in milliseconds: an optional sign, then numbers with units.
fn go_duration_ms(text: &str) -> Option<f64> {
    let (sign, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let per_unit = match &rest[..unit_end] {
            "ns" => 1e-6,
            "us" | "µs" => 1e-3,
            "ms" => 1.0,
            "s" => 1e3,
            "m" => 60e3,
            "h" => 3600e3,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += number * per_unit;
    }
    Some(sign * total)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keep_alive_is_read_as_ollama_reads_it() {
        assert_eq!(keep_alive_ms(Some(&json!("5m"))), Ok(Some(300_000)));
        assert_eq!(keep_alive_ms(Some(&json!("1h30m"))), Ok(Some(5_400_000)));
        assert_eq!(keep_alive_ms(Some(&json!(10))), Ok(Some(10_000)));
        assert_eq!(keep_alive_ms(Some(&json!(0))), Ok(Some(0)));
        assert_eq!(keep_alive_ms(Some(&json!("0"))), Ok(Some(0)));
        assert_eq!(keep_alive_ms(Some(&json!(-1))), Ok(Some(FOREVER_MS)));
        assert_eq!(keep_alive_ms(None), Ok(None));
        assert!(keep_alive_ms(Some(&json!("-1"))).is_err(), "Go refuses a number without a unit");
    }
}
