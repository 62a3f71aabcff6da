//! The bundled price table and the lookup of a connection's model id in it.
//!
//! LiteLLM names models its own way; [`PriceTable::lookup`] turns the id a connection sends
//! upstream into LiteLLM's keys, most specific first, and only among the entries of that
//! connection's provider (an Ollama `llama3.1` never meets an OpenAI price):
//!
//! - OpenAI: the id as given; a dated snapshot (`gpt-4o-2024-08-06`, `gpt-4-0613`) falls back to
//!   its family (`gpt-4o`, `gpt-4`) only when LiteLLM has no entry for the snapshot itself, since
//!   older snapshots are often priced differently (`gpt-4o-2024-05-13` costs twice `gpt-4o`). A
//!   fine-tuned model (`ft:gpt-4o-mini-2024-07-18:org::id`) is priced as LiteLLM's
//!   `ft:gpt-4o-mini-2024-07-18`, never as its base model.
//! - Anthropic: the id as given (LiteLLM lists both the aliases and the dated ids).
//! - Bedrock: the id as given, then without its cross-region inference prefix (`us.`, `eu.`,
//!   `apac.`, `global.`, ...), each tried as `bedrock/<region>/id` (with
//!   [`PriceTable::lookup_in_region`]), `id` and `bedrock/id`. A prefixed entry LiteLLM has wins:
//!   some regional profiles cost 10% more than the global one.
//! - Ollama: `ollama/<name:tag>`, then `ollama/<name>` (`llama3.1:latest` and `llama3.1:70b` read
//!   `ollama/llama3.1`: a tag is a size or quantisation of the same family).
//!
//! Prices are LiteLLM's list prices for on-demand calls: no batch, priority or long-context tiers.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::connections::ConnectionKind;

static BUNDLED: LazyLock<PriceTable> = LazyLock::new(|| {
    PriceTable::parse(include_str!("model_prices.json"))
        .expect("the bundled model price table parses (a unit test checks it)")
});

/// What a model is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Chat,
    Embedding,
}

/// What the table says about one model. Prices are in US dollars per million tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFacts {
    /// Prompt tokens accepted (LiteLLM's `max_input_tokens`).
    pub context_window: Option<u32>,
    pub max_output: Option<u32>,
    pub input_per_mtok: Option<f64>,
    pub output_per_mtok: Option<f64>,
    /// Prompt tokens read from the provider's prompt cache.
    pub cached_input_per_mtok: Option<f64>,
    /// Prompt tokens written to the prompt cache (Anthropic and Bedrock Claude); not used by
    /// [`ModelFacts::cost_usd`], since Web+ never asks for caching.
    pub cache_write_per_mtok: Option<f64>,
    pub vision: bool,
    /// Function (tool) calling.
    pub tools: bool,
    /// Structured output that follows a JSON schema.
    pub json_output: bool,
    /// An embedding model's vector size.
    pub embedding_dims: Option<u32>,
    pub mode: Mode,
}

impl ModelFacts {
    /// What one call cost in US dollars at these list prices.
    ///
    /// `input_tokens` counts every prompt token, cached ones included, as OpenAI's `prompt_tokens`
    /// does. Anthropic (and Bedrock's Converse) report cache reads and writes apart from their
    /// `input_tokens`: add them in first, as the Anthropic provider's `Usage::prompt_tokens`
    /// already does. `cached_input_tokens` is the part of them read from the prompt cache
    /// (OpenAI's `prompt_tokens_details.cached_tokens`, Anthropic's `cache_read_input_tokens`): it
    /// is priced at the cached rate and the rest at the input rate, so no token is counted twice.
    /// Cache writes are priced as plain input.
    ///
    /// `None` when a price it needs is unknown (input, output, and the cached rate when some tokens
    /// were cached), or when more tokens are cached than the prompt had: Anthropic's separate
    /// count was passed without adding it to `input_tokens`.
    pub fn cost_usd(&self, input_tokens: u64, output_tokens: u64, cached_input_tokens: u64) -> Option<f64> {
        let uncached = input_tokens.checked_sub(cached_input_tokens)?;
        let cached_cost = match cached_input_tokens {
            0 => 0.0,
            n => n as f64 * self.cached_input_per_mtok?,
        };
        let total =
            uncached as f64 * self.input_per_mtok? + cached_cost + output_tokens as f64 * self.output_per_mtok?;
        Some(total / 1e6)
    }
}

/// The models of the four kinds of connection, by LiteLLM key.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    openai: HashMap<String, ModelFacts>,
    anthropic: HashMap<String, ModelFacts>,
    bedrock: HashMap<String, ModelFacts>,
    ollama: HashMap<String, ModelFacts>,
}

/// One entry of the vendored JSON (the script keeps only these fields).
#[derive(Deserialize)]
struct Entry {
    litellm_provider: String,
    mode: Mode,
    max_input_tokens: Option<u32>,
    max_output_tokens: Option<u32>,
    input_cost_per_token: Option<f64>,
    output_cost_per_token: Option<f64>,
    cache_read_input_token_cost: Option<f64>,
    cache_creation_input_token_cost: Option<f64>,
    output_vector_size: Option<u32>,
    #[serde(default)]
    supports_vision: bool,
    #[serde(default)]
    supports_function_calling: bool,
    #[serde(default)]
    supports_response_schema: bool,
}

impl PriceTable {
    /// The table compiled into Web+ (LiteLLM's, filtered; see the module docs).
    pub fn bundled() -> &'static Self {
        &BUNDLED
    }

    /// A table in the vendored format. Entries of other providers are skipped.
    pub fn parse(json: &str) -> serde_json::Result<Self> {
        let entries: HashMap<String, Entry> = serde_json::from_str(json)?;
        let mut table = Self::default();
        for (key, e) in entries {
            let kind = match e.litellm_provider.as_str() {
                "openai" => ConnectionKind::Openai,
                "anthropic" => ConnectionKind::Anthropic,
                "bedrock" | "bedrock_converse" => ConnectionKind::Bedrock,
                "ollama" => ConnectionKind::Ollama,
                _ => continue,
            };
            let facts = ModelFacts {
                context_window: e.max_input_tokens,
                max_output: e.max_output_tokens,
                input_per_mtok: e.input_cost_per_token.map(per_mtok),
                output_per_mtok: e.output_cost_per_token.map(per_mtok),
                cached_input_per_mtok: e.cache_read_input_token_cost.map(per_mtok),
                cache_write_per_mtok: e.cache_creation_input_token_cost.map(per_mtok),
                vision: e.supports_vision,
                tools: e.supports_function_calling,
                json_output: e.supports_response_schema,
                embedding_dims: e.output_vector_size,
                mode: e.mode,
            };
            table.models_mut(kind).insert(key, facts);
        }
        Ok(table)
    }

    /// How many models the table knows for a kind of connection.
    pub fn count(&self, kind: ConnectionKind) -> usize {
        self.models(kind).len()
    }

    /// What the table says about a model a connection of this kind serves (see the module docs for
    /// how ids are matched). Bedrock's region-specific prices need
    /// [`PriceTable::lookup_in_region`].
    pub fn lookup(&self, kind: ConnectionKind, upstream_id: &str) -> Option<ModelFacts> {
        self.lookup_in_region(kind, upstream_id, None)
    }

    /// [`PriceTable::lookup`], preferring LiteLLM's `bedrock/<region>/…` entries for a Bedrock
    /// connection's region (other kinds ignore it).
    pub fn lookup_in_region(
        &self,
        kind: ConnectionKind,
        upstream_id: &str,
        region: Option<&str>,
    ) -> Option<ModelFacts> {
        let id = upstream_id.trim();
        if id.is_empty() {
            return None;
        }
        let models = self.models(kind);
        candidates(kind, id, region).into_iter().find_map(|key| models.get(&key)).cloned()
    }

    fn models(&self, kind: ConnectionKind) -> &HashMap<String, ModelFacts> {
        match kind {
            ConnectionKind::Openai => &self.openai,
            ConnectionKind::Anthropic => &self.anthropic,
            ConnectionKind::Bedrock => &self.bedrock,
            ConnectionKind::Ollama => &self.ollama,
        }
    }

    fn models_mut(&mut self, kind: ConnectionKind) -> &mut HashMap<String, ModelFacts> {
        match kind {
            ConnectionKind::Openai => &mut self.openai,
            ConnectionKind::Anthropic => &mut self.anthropic,
            ConnectionKind::Bedrock => &mut self.bedrock,
            ConnectionKind::Ollama => &mut self.ollama,
        }
    }
}

/// Dollars a token to dollars a million tokens, to a billionth of a dollar: the table's decimal
/// `1.5e-07` reads `0.15`, not the `0.15000000000000002` of a plain product, so prices compare
/// and print as published.
fn per_mtok(per_token: f64) -> f64 {
    (per_token * 1e15).round() / 1e9
}

/// LiteLLM keys to try for an upstream id, most specific first.
fn candidates(kind: ConnectionKind, id: &str, region: Option<&str>) -> Vec<String> {
    match kind {
        ConnectionKind::Anthropic => vec![id.to_owned()],
        ConnectionKind::Openai => {
            let mut keys = vec![id.to_owned()];
            if let Some(tuned) = id.strip_prefix("ft:") {
                let base = tuned.split(':').next().unwrap_or(tuned);
                keys.push(format!("ft:{base}"));
            } else if let Some(family) = without_date(id) {
                keys.push(family.to_owned());
            }
            keys
        }
        ConnectionKind::Bedrock => {
            let mut ids = vec![id];
            if let Some(base) = without_geo_prefix(id) {
                ids.push(base);
            }
            let mut keys = Vec::new();
            for id in ids {
                if let Some(region) = region {
                    keys.push(format!("bedrock/{region}/{id}"));
                }
                keys.push(id.to_owned());
                keys.push(format!("bedrock/{id}"));
            }
            keys
        }
        ConnectionKind::Ollama => {
            let mut keys = vec![format!("ollama/{id}")];
            if let Some((name, _tag)) = id.rsplit_once(':') {
                keys.push(format!("ollama/{name}"));
            }
            keys
        }
    }
}

/// `gpt-4o-2024-08-06` → `gpt-4o`, `gpt-4-0613` → `gpt-4`: OpenAI's two snapshot suffixes.
fn without_date(id: &str) -> Option<&str> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (rest, last) = id.rsplit_once('-')?;
    if last.len() == 4 && digits(last) {
        return Some(rest).filter(|r| !r.is_empty());
    }
    // YYYY-MM-DD: three dash-separated numbers at the end.
    let (rest, month) = rest.rsplit_once('-')?;
    let (family, year) = rest.rsplit_once('-')?;
    let dated = last.len() == 2 && digits(last) && month.len() == 2 && digits(month) && year.len() == 4 && digits(year);
    Some(family).filter(|f| dated && !f.is_empty())
}

/// `us.anthropic.claude-…` → `anthropic.claude-…`: Bedrock's cross-region inference profiles.
fn without_geo_prefix(id: &str) -> Option<&str> {
    const GEOS: [&str; 9] = ["us.", "us-gov.", "eu.", "apac.", "au.", "jp.", "in.", "ca.", "global."];
    GEOS.iter().find_map(|g| id.strip_prefix(g)).filter(|rest| !rest.is_empty())
}

#[cfg(test)]
mod tests;
