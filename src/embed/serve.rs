//! Embeddings on request (`POST /v1/embeddings`): the caller names one of the knowledge bases'
//! embedders (`local:all-minilm-l6-v2`, `openai:<model>`, `bedrock:<model id>`) and gets one
//! vector per text, if the catalog lets the caller use that model. Each call is one usage-ledger
//! row.

use super::metered::{self, EmbedFor, Meter, embed_recorded};
use crate::{
    Error, Result,
    answer::{Caller, Surface},
    sitechat::EmbedderSet,
};

/// Texts one request may carry (OpenAI's limit).
pub const MAX_INPUTS: usize = 2048;
/// Characters one text may have (about 8k tokens, the largest window of the embedders offered).
pub const MAX_CHARS: usize = 32_768;

/// What was embedded.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    pub model: String,
    pub vectors: Vec<Vec<f32>>,
    /// Counted ([`super::metered::count_input`]): the embedders report none.
    pub prompt_tokens: u32,
}

/// An embedding model this server embeds with, as `/v1/models` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingModel {
    /// The id `/v1/embeddings` and knowledge bases name it by (`local:all-minilm-l6-v2`).
    pub id: String,
    /// `local`, `openai` or `bedrock`.
    pub provider: String,
    pub dimensions: usize,
}

/// Every embedding model of `embedders`, by id.
pub fn models(embedders: &EmbedderSet) -> Vec<EmbeddingModel> {
    embedders
        .iter()
        .map(|(id, embedder)| EmbeddingModel {
            id: id.to_owned(),
            provider: metered::provider_of(id).to_owned(),
            dimensions: embedder.dims(),
        })
        .collect()
}

/// Embeds `input` with the embedder `model`, checking the request first: a model the catalog lets
/// the caller use, 1 to [`MAX_INPUTS`] texts of 1 to [`MAX_CHARS`] characters, and `dimensions`,
/// when given, equal to the model's.
pub async fn embed(
    embedders: &EmbedderSet,
    meter: &Meter,
    caller: Caller,
    model: &str,
    input: Vec<String>,
    dimensions: Option<usize>,
) -> Result<Embedded> {
    if input.is_empty() || input.len() > MAX_INPUTS {
        return Err(Error::invalid("input", format!("give 1 to {MAX_INPUTS} texts")));
    }
    if let Some(i) = input.iter().position(|t| t.trim().is_empty()) {
        return Err(Error::invalid("input", format!("text {i} is empty")));
    }
    if let Some(i) = input.iter().position(|t| t.chars().count() > MAX_CHARS) {
        return Err(Error::invalid("input", format!("text {i} is longer than {MAX_CHARS} characters; split it")));
    }
    meter.catalog.check_embedding(model, &caller, "model").await?;
    let embedder = embedders.get(model).map_err(|e| Error::invalid("model", e.to_string()))?;
    if let Some(d) = dimensions
        && d != embedder.dims()
    {
        return Err(Error::invalid("dimensions", format!("{model} gives {} dimensions, not {d}", embedder.dims())));
    }
    let who = EmbedFor { caller, surface: Surface::Api, knowledge_base_id: None };
    let (result, prompt_tokens) = embed_recorded(embedder.as_ref(), model, &input, Some(meter), who).await;
    let vectors = result.map_err(|e| crate::sitechat::embed_error_on(e, "input"))?;
    Ok(Embedded { model: model.to_owned(), vectors, prompt_tokens })
}
