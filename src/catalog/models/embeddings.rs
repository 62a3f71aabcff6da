//! Embedding models in the catalog. The embedders the server embeds with (declared in the
//! settings: the local all-MiniLM-L6-v2, OpenAI-compatible and Bedrock Titan models) are offered
//! without an entry, as the built-in chat model is. An entry (connection [`EMBEDDINGS`], upstream
//! id the embedder's id, such as `local:all-minilm-l6-v2`) renames one, overrides its input price,
//! restricts it to administrators or disables it.
//!
//! A model a caller may not use is unknown to them in `/v1/embeddings`, `/v1/models` and when
//! creating a knowledge base or switching one to it. Knowledge bases that use it already keep
//! working: their vectors are that model's, and searching them needs its query embeddings.

use super::*;
use crate::embed::metered;

/// The connection id of embedding models' catalog entries.
pub const EMBEDDINGS: &str = "embeddings";

/// An embedding model a caller may use, as `/v1/models` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferedEmbedding {
    /// The id `/v1/embeddings` and knowledge bases name it by.
    pub id: String,
    /// What people see.
    pub name: String,
    /// `local`, `openai` or `bedrock`.
    pub provider: String,
    pub dimensions: usize,
}

/// Fields only chat models have; an embedding entry refuses a value for any of them.
const CHAT_ONLY: &[&str] =
    &["context_window", "max_output", "output_price_per_mtok", "cached_input_price_per_mtok", "vision", "tools"];

/// The embedder behind an entry, if the row is an embedding model's and the server has it.
pub(super) fn of_row<'s>(state: &'s State, row: &CatalogRow) -> Option<&'s EmbeddingModel> {
    (row.connection_id == EMBEDDINGS).then(|| state.embedders.iter().find(|e| e.id == row.upstream_id)).flatten()
}

/// A new embedding entry must name an embedder the server has.
pub(super) fn check_new(state: &State, upstream: &str, input: &ModelInput) -> Result<()> {
    if !state.embedders.iter().any(|e| e.id == upstream) {
        let ids: Vec<&str> = state.embedders.iter().map(|e| e.id.as_str()).collect();
        return Err(Error::invalid(
            "upstream_id",
            format!("no embedding model {upstream:?} on this server; the embedding models are {}", ids.join(", ")),
        ));
    }
    check_change(input)
}

/// An embedding entry takes a name, an input price, `enabled` and `access`: a value for a field
/// only chat models have is refused (clearing one, as the admin form does, is fine).
pub(super) fn check_change(input: &ModelInput) -> Result<()> {
    let given = [
        input.context_window.flatten().is_some(),
        input.max_output.flatten().is_some(),
        input.output_price_per_mtok.flatten().is_some(),
        input.cached_input_price_per_mtok.flatten().is_some(),
        input.vision.flatten().is_some(),
        input.tools.flatten().is_some(),
    ];
    if let Some(i) = given.iter().position(|&g| g) {
        return Err(Error::invalid(
            CHAT_ONLY[i],
            "an embedding model takes only a name, an input price, enabled and who may use it",
        ));
    }
    if input.json_output.flatten().is_some() {
        return Err(Error::invalid("json_output", "an embedding model has no JSON output"));
    }
    if input.default_params.as_ref().is_some_and(|p| *p != Params::default()) {
        return Err(Error::invalid("default_params", "an embedding model has no sampling parameters"));
    }
    if input.fallbacks.as_ref().is_some_and(|f| !f.is_empty()) {
        return Err(Error::invalid("fallbacks", "an embedding model has no fallbacks (vectors of two models differ)"));
    }
    Ok(())
}

impl ModelCatalog {
    /// The embedders the server has (at start-up: they come from the settings).
    pub fn set_embedding_models(&self, models: Vec<EmbeddingModel>) {
        self.replace(|_, e, _| *e = models);
    }

    /// The embedding models a caller (`admin` or not) may use, by id.
    pub fn offered_embeddings(&self, admin: bool) -> Vec<OfferedEmbedding> {
        let state = self.state();
        state
            .embedders
            .iter()
            .filter_map(|e| {
                let (ok, entry) = Self::admits(&state, &e.id, admin);
                ok.then(|| OfferedEmbedding {
                    id: e.id.clone(),
                    name: entry.and_then(|r| r.display_name.clone()).unwrap_or_else(|| e.id.clone()),
                    provider: e.provider.clone(),
                    dimensions: e.dimensions,
                })
            })
            .collect()
    }

    /// Whether `caller` may use the embedding model `model` (an embedder of this server, enabled,
    /// and for everyone or the caller an administrator). Refused: [`Error::Invalid`] on
    /// `field`, naming the models the caller may use.
    pub async fn check_embedding(&self, model: &str, caller: &Caller, field: &'static str) -> Result<()> {
        let state = self.state();
        let known = state.embedders.iter().any(|e| e.id == model);
        let (mut ok, entry) = Self::admits(&state, model, true);
        if known && ok && entry.is_some_and(|e| Access::parse(&e.access) == Access::Admins) {
            ok = self.is_admin(caller).await?;
        }
        if known && ok {
            return Ok(());
        }
        let admin = self.is_admin(caller).await?;
        let ids: Vec<String> = self.offered_embeddings(admin).into_iter().map(|m| m.id).collect();
        let list = if ids.is_empty() { "none".to_owned() } else { ids.join(", ") };
        Err(Error::invalid(field, format!("unknown embedding model {model:?}; the models you can use are {list}")))
    }

    /// What an embedding model's calls cost per million input tokens: the entry's price, else the
    /// list price ([`metered::prices`]); `None` when neither is known.
    pub fn embedding_prices(&self, model: &str) -> Option<Prices> {
        let state = self.state();
        let set = state.entry(model).filter(|e| e.connection_id == EMBEDDINGS).and_then(|e| e.input_price_per_mtok);
        match set {
            Some(input) => Some(Prices { input_per_mtok: input, output_per_mtok: 0.0 }),
            None => metered::prices(model),
        }
    }

    /// The embedders, and which have an entry: what Admin → Models offers to add under
    /// "Embedding models".
    pub fn available_embeddings(&self, who: &Principal) -> Result<Vec<crate::connections::AvailableModel>> {
        Self::require_admin(who)?;
        let state = self.state();
        Ok(state
            .embedders
            .iter()
            .map(|e| crate::connections::AvailableModel {
                id: e.id.clone(),
                model: e.id.clone(),
                offered: Self::admits(&state, &e.id, true).0,
                in_catalog: state.entry(&e.id).is_some_and(|r| r.connection_id == EMBEDDINGS),
            })
            .collect())
    }
}
