//! `POST /v1/embeddings`: OpenAI's embeddings endpoint, answered with hashed bags of words.
//!
//! The answer is OpenAI's JSON byte for byte in field order (`object`, `data[{object, index,
//! embedding}]`, `model`, `usage`), floats or `encoding_format: "base64"` (little-endian f32s), and
//! the errors are OpenAI's: 401 for the key, 404 for the model, 400 for bad input or `dimensions`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Serialize;

use super::Shared;
use super::common::{auth_failure, count, error, server_error};
use super::wire::ErrorBody;
use crate::fakes::hashed_bag;

/// An embedding model the fake serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeEmbeddingModel {
    pub id: String,
    /// The native vector size, used when the request has no `dimensions`.
    pub dims: usize,
    pub dimensions: DimensionsParam,
}

impl FakeEmbeddingModel {
    pub fn new(id: impl Into<String>, dims: usize, dimensions: DimensionsParam) -> Self {
        Self { id: id.into(), dims, dimensions }
    }

    /// OpenAI's three: text-embedding-3-small (1536) and -large (3072) shorten on request,
    /// ada-002 (1536) refuses `dimensions`.
    pub fn openai_defaults() -> Vec<Self> {
        vec![
            Self::new("text-embedding-3-small", 1536, DimensionsParam::Honoured),
            Self::new("text-embedding-3-large", 3072, DimensionsParam::Honoured),
            Self::new("text-embedding-ada-002", 1536, DimensionsParam::Rejected),
        ]
    }
}

/// What a model does with a request's `dimensions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DimensionsParam {
    /// Vectors of that size (up to the native one), as text-embedding-3 models do.
    Honoured,
    /// OpenAI's 400 "This model does not support specifying dimensions.", as ada-002 does.
    Rejected,
    /// Native-size vectors anyway, as some OpenAI-compatible servers do.
    Ignored,
}

/// A failure for one embeddings request, queued with `FakeOpenAi::fail_next_embeddings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingFailure {
    /// OpenAI's 429 with `retry-after-ms` and `retry-after` (whole seconds, rounded up) headers.
    RateLimited { retry_after: Duration },
    /// This status with OpenAI's error JSON for it.
    Status(u16),
}

#[derive(Serialize)]
struct List<'a> {
    object: &'static str,
    data: Vec<Item>,
    model: &'a str,
    usage: Usage,
}

#[derive(Serialize)]
struct Item {
    object: &'static str,
    index: usize,
    embedding: Vector,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Vector {
    Floats(Vec<f32>),
    Base64(String),
}

#[derive(Serialize)]
struct Usage {
    prompt_tokens: u32,
    total_tokens: u32,
}

pub(super) async fn embeddings(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<serde_json::Value>(&body);
    shared.embedding_requests().push(match &parsed {
        Ok(v) => v.clone(),
        Err(_) => serde_json::Value::String(String::from_utf8_lossy(&body).into_owned()),
    });
    let config = shared.config().clone();
    if let Some(denied) = auth_failure(&headers, &config.api_key) {
        return denied;
    }
    let Ok(body) = parsed else {
        return invalid(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.",
        );
    };
    let model_id = body.get("model").and_then(|m| m.as_str()).unwrap_or_default();
    let Some(model) = config.embedding_models.iter().find(|m| m.id == model_id) else {
        let message = format!("The model `{model_id}` does not exist or you do not have access to it.");
        return error(StatusCode::NOT_FOUND, ErrorBody::new(message, "invalid_request_error", Some("model_not_found")));
    };
    let Some(inputs) = inputs(&body) else {
        return invalid(
            "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
        );
    };
    let dims = match (body.get("dimensions").and_then(|d| d.as_u64()), model.dimensions) {
        (None, _) | (Some(_), DimensionsParam::Ignored) => model.dims,
        (Some(_), DimensionsParam::Rejected) => return invalid("This model does not support specifying dimensions."),
        (Some(d), DimensionsParam::Honoured) if d >= 1 && d <= model.dims as u64 => d as usize,
        (Some(d), DimensionsParam::Honoured) => {
            return invalid(format!(
                "Invalid value for 'dimensions' = {d}. Must be between 1 and {} for model {}.",
                model.dims, model.id
            ));
        }
    };
    // Checked last, so a queued failure hits a request that would otherwise have worked.
    if let Some(failure) = shared.next_embedding_failure() {
        return failure_response(failure);
    }
    let base64 = body.get("encoding_format").and_then(|f| f.as_str()) == Some("base64");
    let words: usize = inputs.iter().map(|t| t.split_whitespace().count()).sum();
    let data = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let vector = hashed_bag(text, dims);
            let embedding = if base64 { Vector::Base64(encode_base64(&vector)) } else { Vector::Floats(vector) };
            Item { object: "embedding", index, embedding }
        })
        .collect();
    let tokens = count(words);
    Json(List { object: "list", data, model: &model.id, usage: Usage { prompt_tokens: tokens, total_tokens: tokens } })
        .into_response()
}

/// `input` as OpenAI accepts it here: a string or 1 to 2048 strings, none empty.
fn inputs(body: &serde_json::Value) -> Option<Vec<String>> {
    let texts: Vec<String> = match body.get("input")? {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => {
            items.iter().map(|i| i.as_str().map(str::to_owned)).collect::<Option<Vec<String>>>()?
        }
        _ => return None,
    };
    let fine = (1..=2048).contains(&texts.len()) && texts.iter().all(|t| !t.is_empty());
    fine.then_some(texts)
}

/// OpenAI's base64 embeddings: the f32s' little-endian bytes.
fn encode_base64(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn invalid(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, ErrorBody::new(message, "invalid_request_error", None))
}

fn failure_response(failure: EmbeddingFailure) -> Response {
    match failure {
        EmbeddingFailure::RateLimited { retry_after } => {
            let seconds = format!("{}", retry_after.as_secs_f64().ceil() as u64);
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorBody::new(
                    format!(
                        "Rate limit reached for text-embedding-3-small on requests per min (RPM): Limit 3000, Used 3000, Requested 1. Please try again in {}ms.",
                        retry_after.as_millis()
                    ),
                    "requests",
                    Some("rate_limit_exceeded"),
                ),
            );
            let headers = response.headers_mut();
            if let Ok(ms) = HeaderValue::from_str(&retry_after.as_millis().to_string()) {
                headers.insert("retry-after-ms", ms);
            }
            if let Ok(secs) = HeaderValue::from_str(&seconds) {
                headers.insert("retry-after", secs);
            }
            response
        }
        EmbeddingFailure::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = if status.is_server_error() {
                server_error()
            } else {
                ErrorBody::new(format!("Fake failure with HTTP {code}"), "invalid_request_error", None)
            };
            error(status, body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_vectors_are_little_endian_f32s() {
        assert_eq!(encode_base64(&[1.0]), "AACAPw==");
    }

    #[test]
    fn input_must_be_a_non_empty_string_or_list_of_them() {
        assert_eq!(inputs(&serde_json::json!({"input": "hi"})), Some(vec!["hi".to_owned()]));
        assert_eq!(inputs(&serde_json::json!({"input": ["a", "b"]})).map(|v| v.len()), Some(2));
        for bad in [serde_json::json!({"input": []}), serde_json::json!({"input": [""]}), serde_json::json!({})] {
            assert_eq!(inputs(&bad), None, "{bad}");
        }
    }

    #[test]
    fn the_list_serializes_in_openais_field_order() {
        let list = List {
            object: "list",
            data: vec![Item { object: "embedding", index: 0, embedding: Vector::Floats(vec![0.5]) }],
            model: "m",
            usage: Usage { prompt_tokens: 2, total_tokens: 2 },
        };
        assert_eq!(
            serde_json::to_string(&list).unwrap_or_default(),
            r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5]}],"model":"m","usage":{"prompt_tokens":2,"total_tokens":2}}"#
        );
    }
}
