//! `POST /v1/embeddings` in OpenAI's shape: a text or a list of texts in, one vector per text out,
//! as floats or (`encoding_format: "base64"`, what OpenAI's SDKs ask for by default) as the
//! base64 of little-endian f32s. The engine (`webplus::embed::serve`) checks and embeds.

use axum::{
    Json,
    extract::{State, rejection::JsonRejection},
    http::HeaderMap,
};
use base64::Engine;
use serde::{Deserialize, Serialize};
use webplus::answer::Caller;

use super::request::rejection;
use crate::http::{ApiError, Authenticated, error::request_id};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingsRequest {
    model: String,
    input: Input,
    #[serde(default)]
    encoding_format: Format,
    dimensions: Option<usize>,
    /// OpenAI's end-user id: accepted and ignored.
    #[serde(default, rename = "user")]
    _user: Option<String>,
}

/// A text, texts, or token ids (which we cannot take: token ids are the model's own).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Input {
    One(String),
    Many(Vec<String>),
    Tokens(serde::de::IgnoredAny),
}

#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Float,
    Base64,
}

#[derive(Serialize)]
pub struct EmbeddingList {
    object: &'static str,
    data: Vec<EmbeddingOut>,
    model: String,
    usage: EmbeddingUsage,
}

#[derive(Serialize)]
struct EmbeddingOut {
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
struct EmbeddingUsage {
    prompt_tokens: u32,
    total_tokens: u32,
}

pub async fn embeddings(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    body: Result<Json<EmbeddingsRequest>, JsonRejection>,
) -> Result<Json<EmbeddingList>, ApiError> {
    let Json(body) = body.map_err(rejection)?;
    let input = match body.input {
        Input::One(text) => vec![text],
        Input::Many(texts) => texts,
        Input::Tokens(_) => {
            return Err(ApiError::invalid(
                "invalid_value",
                "input: give a text or a list of texts (token ids are not accepted)",
            ));
        }
    };
    let caller = Caller::of(&me);
    // The meter the server wired at start-up (state.rs): the ledger and the catalog.
    let meter = state.services.sitechat.meter().ok_or_else(|| {
        ApiError::from_engine(
            webplus::Error::internal(anyhow::anyhow!("no embedding meter was wired at start-up")),
            &request_id(&headers),
        )
    })?;
    let done = webplus::embed::serve::embed(
        state.services.sitechat.embedders(),
        meter,
        caller,
        &body.model,
        input,
        body.dimensions,
    )
    .await
    .map_err(|e| ApiError::from_engine(e, &request_id(&headers)))?;
    let data = done
        .vectors
        .into_iter()
        .enumerate()
        .map(|(index, v)| EmbeddingOut { object: "embedding", index, embedding: vector(v, &body.encoding_format) })
        .collect();
    let usage = EmbeddingUsage { prompt_tokens: done.prompt_tokens, total_tokens: done.prompt_tokens };
    Ok(Json(EmbeddingList { object: "list", data, model: done.model, usage }))
}

fn vector(v: Vec<f32>, format: &Format) -> Vector {
    match format {
        Format::Float => Vector::Floats(v),
        Format::Base64 => {
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            Vector::Base64(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
    }
}
