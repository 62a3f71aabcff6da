//! Embeddings on request (`POST /v1/embeddings`): the caller names one of the knowledge bases'
//! embedders (`local:all-minilm-l6-v2`, `openai:<model>`, `bedrock:<model id>`) and gets one
//! vector per text. Each call is one usage-ledger row.

use std::time::Instant;

use crate::{
    Error, Result,
    answer::{Caller, Outcome, Surface, UsageRecord},
    ledger::Ledger,
    providers::Usage,
    sitechat::EmbedderSet,
    time::now_ms,
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
    /// Estimated (a token per 4 characters, at least one a text): the embedders report none.
    pub prompt_tokens: u32,
}

/// Embeds `input` with the embedder `model`, checking the request first: 1 to [`MAX_INPUTS`]
/// texts of 1 to [`MAX_CHARS`] characters, and `dimensions`, when given, equal to the model's.
pub async fn embed(
    embedders: &EmbedderSet,
    ledger: Option<&Ledger>,
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
    let embedder = embedders.get(model).map_err(|_| {
        Error::invalid(
            "model",
            format!("unknown embedding model {model:?}; the models are {}", embedders.ids().join(", ")),
        )
    })?;
    if let Some(d) = dimensions
        && d != embedder.dims()
    {
        return Err(Error::invalid("dimensions", format!("{model} gives {} dimensions, not {d}", embedder.dims())));
    }
    let prompt_tokens: u32 = input.iter().map(|t| t.chars().count().div_ceil(4).max(1) as u32).sum();
    let started = Instant::now();
    let started_at_ms = now_ms();
    let result = embedder.embed(&input).await;
    if let Some(ledger) = ledger {
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        ledger.record(&UsageRecord {
            caller,
            surface: Surface::Api,
            provider: model.split_once(':').map_or(model, |(p, _)| p).to_owned(),
            model: model.to_owned(),
            outcome: if result.is_ok() { Outcome::Complete } else { Outcome::Failed },
            usage: result.is_ok().then_some(Usage { prompt_tokens, completion_tokens: 0 }),
            // The local embedder is free; remote ones' prices come with the model catalog.
            cost_nano_usd: (result.is_ok() && model.starts_with("local:")).then_some(0),
            reply: None,
            started_at_ms,
            ttft_ms: None,
            elapsed_ms,
        });
    }
    let vectors = result.map_err(|e| crate::sitechat::embed_error_on(e, "input"))?;
    Ok(Embedded { model: model.to_owned(), vectors, prompt_tokens })
}
