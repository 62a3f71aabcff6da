//! Embedding calls in the usage ledger: `/v1/embeddings` (the caller's) and ingestion (uploads,
//! crawls and re-embedding: the knowledge base owner's, surface `ingest`). The embedders report no
//! tokens, so each row's tokens are counted ([`count_input`]) and marked so.

use std::time::Instant;

use super::{EmbedError, Embedder};
use crate::{
    answer::{Caller, Outcome, Surface, UsageRecord},
    ledger::Ledger,
    providers::{Usage, tokens},
    time::now_ms,
};

/// Who an embedding call is for, as its ledger row names it.
#[derive(Debug, Clone)]
pub struct EmbedFor {
    pub caller: Caller,
    pub surface: Surface,
    /// The knowledge base being ingested, if any.
    pub knowledge_base_id: Option<String>,
}

/// Embeds `input` with `embedder` (the model id `model`), recording one ledger row when there is
/// a ledger. Returns the vectors and the input's counted tokens.
pub async fn embed_recorded(
    embedder: &dyn Embedder,
    model: &str,
    input: &[String],
    ledger: Option<&Ledger>,
    who: EmbedFor,
) -> (Result<Vec<Vec<f32>>, EmbedError>, u32) {
    let prompt_tokens = count_input(model, input);
    let started = Instant::now();
    let started_at_ms = now_ms();
    let result = embedder.embed(input).await;
    if let Some(ledger) = ledger {
        let ok = result.is_ok();
        ledger.record(&UsageRecord {
            caller: who.caller,
            surface: who.surface,
            provider: model.split_once(':').map_or(model, |(p, _)| p).to_owned(),
            model: model.to_owned(),
            outcome: if ok { Outcome::Complete } else { Outcome::Failed },
            usage: ok.then_some(Usage { prompt_tokens, completion_tokens: 0, counted: true }),
            // The local embedder is free; remote embedding models have no prices yet.
            cost_nano_usd: (ok && model.starts_with("local:")).then_some(0),
            reply: None,
            knowledge_base_id: who.knowledge_base_id,
            started_at_ms,
            ttft_ms: None,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
    }
    (result, prompt_tokens)
}

/// The tokens of embedding inputs: OpenAI's vocabulary for OpenAI's models (what their API
/// bills), else a token per 4 characters (at least one a text).
pub fn count_input(model: &str, input: &[String]) -> u32 {
    let counted: usize = match model.strip_prefix("openai:") {
        Some(upstream) => input.iter().map(|t| tokens::count_text(upstream, t).max(1)).sum(),
        None => input.iter().map(|t| t.chars().count().div_ceil(4).max(1)).sum(),
    };
    u32::try_from(counted).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_counted_with_openais_vocabulary_for_its_models_and_estimated_otherwise() {
        let input = vec!["hello world".to_owned(), "x".to_owned()];
        assert_eq!(count_input("openai:text-embedding-3-small", &input), 3);
        assert_eq!(count_input("local:all-minilm-l6-v2", &input), 3 + 1);
    }
}
