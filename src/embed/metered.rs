//! Embedding calls in the usage ledger: `/v1/embeddings` (the caller's) and ingestion (uploads,
//! crawls and re-embedding: the knowledge base owner's, surface `ingest`). The embedders report no
//! tokens, so each row's tokens are counted ([`count_input`]) and marked so; the cost is at the
//! catalog's price for the model: an administrator's, else the list price ([`prices`]).

use std::time::Instant;

use super::{EmbedError, Embedder};
use crate::{
    answer::{Caller, Outcome, Surface, UsageRecord},
    catalog::{ModelCatalog, PriceTable},
    connections::ConnectionKind,
    ledger::Ledger,
    providers::{Prices, Usage, tokens},
    time::now_ms,
};

/// Where embedding calls are recorded, and what prices them.
#[derive(Clone)]
pub struct Meter {
    pub ledger: Ledger,
    pub catalog: ModelCatalog,
}

/// Who an embedding call is for, as its ledger row names it.
#[derive(Debug, Clone)]
pub struct EmbedFor {
    pub caller: Caller,
    pub surface: Surface,
    /// The knowledge base being ingested, if any.
    pub knowledge_base_id: Option<String>,
}

/// Embeds `input` with `embedder` (the model id `model`), recording one ledger row when there is
/// a meter. Returns the vectors and the input's counted tokens.
pub async fn embed_recorded(
    embedder: &dyn Embedder,
    model: &str,
    input: &[String],
    meter: Option<&Meter>,
    who: EmbedFor,
) -> (Result<Vec<Vec<f32>>, EmbedError>, u32) {
    let prompt_tokens = count_input(model, input);
    let started = Instant::now();
    let started_at_ms = now_ms();
    let result = embedder.embed(input).await;
    if let Some(Meter { ledger, catalog }) = meter {
        let ok = result.is_ok();
        let usage = ok.then_some(Usage { prompt_tokens, completion_tokens: 0, counted: true });
        ledger.record(&UsageRecord {
            caller: who.caller,
            surface: who.surface,
            provider: provider_of(model).to_owned(),
            model: model.to_owned(),
            outcome: if ok { Outcome::Complete } else { Outcome::Failed },
            usage,
            cost_nano_usd: usage.zip(catalog.embedding_prices(model)).map(|(u, p)| p.cost_nano_usd(u)),
            reply: None,
            knowledge_base_id: who.knowledge_base_id,
            started_at_ms,
            ttft_ms: None,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
    }
    (result, prompt_tokens)
}

/// The provider part of an embedding model id: `openai` of `openai:text-embedding-3-small`.
pub fn provider_of(model: &str) -> &str {
    model.split_once(':').map_or(model, |(p, _)| p)
}

/// An embedding model's list price: the local one is free; `openai:` and `bedrock:` models are
/// priced from the bundled price table (LiteLLM's), `None` for a model it does not know.
pub fn prices(model: &str) -> Option<Prices> {
    let (kind, upstream) = match model.split_once(':')? {
        ("local", _) => return Some(Prices::FREE),
        ("openai", id) => (ConnectionKind::Openai, id),
        ("bedrock", id) => (ConnectionKind::Bedrock, id),
        _ => return None,
    };
    let facts = PriceTable::bundled().lookup(kind, upstream)?;
    Some(Prices { input_per_mtok: facts.input_per_mtok?, output_per_mtok: 0.0 })
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
    fn embedding_models_are_priced_from_the_table_and_the_local_one_is_free() {
        assert_eq!(prices("local:all-minilm-l6-v2"), Some(Prices::FREE));
        // LiteLLM's list prices: $0.02 per million tokens for both.
        for model in ["openai:text-embedding-3-small", "bedrock:amazon.titan-embed-text-v2:0"] {
            let p = prices(model).unwrap_or_else(|| panic!("{model} has a price"));
            assert_eq!(p.cost_nano_usd(Usage::reported(1_000_000, 0)), 20_000_000, "{model}");
        }
        assert_eq!(prices("openai:my-own-embedder"), None, "unknown: no price rather than a guess");
        assert_eq!(prices("nonsense"), None);
    }

    #[test]
    fn inputs_are_counted_with_openais_vocabulary_for_its_models_and_estimated_otherwise() {
        let input = vec!["hello world".to_owned(), "x".to_owned()];
        assert_eq!(count_input("openai:text-embedding-3-small", &input), 3);
        assert_eq!(count_input("local:all-minilm-l6-v2", &input), 3 + 1);
    }
}
