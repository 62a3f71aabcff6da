//! The model catalog: which models users may pick, under what name, with what limits, prices,
//! default parameters and fallbacks, and who may use them.
//!
//! A catalog entry is a connection's upstream model (table `catalog_models`). Values an
//! administrator leaves empty come from the bundled price table or the provider. The rule for
//! what is offered (`/v1/models`, the model picker, and what an answer may use):
//! - a model with an entry is offered when the entry is enabled and its access lets the caller in;
//! - a model without one is offered when the operator declared it: the built-in local model and
//!   the models of connections declared in the settings (an entry can still rename, reprice,
//!   restrict or disable them);
//! - a model of a connection an administrator added is offered only once it has an entry ("add"
//!   in Admin → Models; naming models on the connection or pulling one into Ollama adds them).
//!
//! The entries are kept in memory (read on every answer) and reloaded after every change.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Deserializer, Serialize};

use super::{ModelFacts, PriceTable};
use crate::answer::{Caller, Params};
use crate::auth::Principal;
use crate::connections::ConnectionKind;
use crate::domain::UserRole;
use crate::embed::serve::EmbeddingModel;
use crate::providers::{ChatProvider, ModelInfo, Prices, Registry};
use crate::storage::{CatalogFields, CatalogRow, Db};
use crate::{Error, Result};

mod embeddings;

pub use embeddings::{EMBEDDINGS, OfferedEmbedding};

/// The connection id catalog entries of the built-in local model name.
pub const BUILTIN: &str = "local";
/// Fallbacks one model may name.
const MAX_FALLBACKS: usize = 4;
const MAX_NAME_CHARS: usize = 100;
const MAX_UPSTREAM_CHARS: usize = 200;
/// Above any real model; catches a typo of a few zeros.
const MAX_WINDOW: u32 = 100_000_000;
const MAX_PRICE_PER_MTOK: f64 = 100_000.0;

/// Who may use a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Everyone,
    Admins,
}

impl Access {
    fn parse(s: &str) -> Access {
        if s == "admins" { Access::Admins } else { Access::Everyone }
    }

    fn as_str(self) -> &'static str {
        match self {
            Access::Everyone => "everyone",
            Access::Admins => "admins",
        }
    }
}

/// A connection as the catalog needs it (given by `Connections` whenever they change).
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogConnection {
    pub id: String,
    pub name: String,
    pub kind: ConnectionKind,
    pub region: Option<String>,
    /// Added by an administrator: its models are offered only with an entry.
    pub curated: bool,
}

/// A model users may pick, as `/v1/models` and the model picker list it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferedModel {
    /// The id clients pass as `model`.
    pub id: String,
    /// What people see.
    pub name: String,
    /// The connection's name (`local` for the built-in model).
    pub provider: String,
    pub context_window: usize,
    pub max_output: Option<u32>,
    pub vision: bool,
    pub tools: bool,
    pub json_output: bool,
}

/// A catalog entry as administrators see it: what was set, and what applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogModel {
    pub id: String,
    /// `chat`, or `embedding` for an embedding model (connection `embeddings`).
    pub kind: &'static str,
    /// An embedding model's vector size.
    pub dimensions: Option<usize>,
    /// The id clients use in `/v1` (None when its connection is gone from the settings).
    pub model: Option<String>,
    pub connection_id: String,
    pub connection: Option<String>,
    pub upstream_id: String,
    /// The display name (the upstream id unless set).
    pub name: String,
    pub context_window: Option<u32>,
    pub max_output: Option<u32>,
    pub input_price_per_mtok: Option<f64>,
    pub output_price_per_mtok: Option<f64>,
    pub cached_input_price_per_mtok: Option<f64>,
    pub vision: bool,
    pub tools: bool,
    pub json_output: bool,
    /// The fields an administrator set (the others come from the price table or the provider).
    pub overridden: Vec<&'static str>,
    pub enabled: bool,
    pub access: Access,
    pub default_params: Params,
    pub fallbacks: Vec<String>,
    /// Whether its connection serves it right now.
    pub served: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A new entry or a change to one. Absent fields stay; `null` clears an override (the price
/// table's or the provider's value applies again). `connection_id` and `upstream_id` are given
/// on creation only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInput {
    pub connection_id: Option<String>,
    pub upstream_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub context_window: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    pub max_output: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    pub input_price_per_mtok: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    pub output_price_per_mtok: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    pub cached_input_price_per_mtok: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    pub vision: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    pub tools: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    pub json_output: Option<Option<bool>>,
    pub enabled: Option<bool>,
    pub access: Option<Access>,
    pub default_params: Option<Params>,
    pub fallbacks: Option<Vec<String>>,
}

/// A field given, possibly as `null` (`Some(None)`), as opposed to absent (`None`, by `default`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// What an answer uses of a model: its provider, its description with the catalog's window, its
/// prices, default parameters and fallbacks.
pub struct ResolvedModel {
    pub provider: Arc<dyn ChatProvider>,
    pub info: ModelInfo,
    pub prices: Option<Prices>,
    pub defaults: Params,
    pub fallbacks: Vec<String>,
    /// Whether the model is shown images (its catalog entry's setting, else the price table's;
    /// false for a model without an entry).
    pub vision: bool,
}

/// The catalog service (cheap to clone).
#[derive(Clone)]
pub struct ModelCatalog {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    registry: Registry,
    state: RwLock<Arc<State>>,
}

#[derive(Default)]
struct State {
    connections: Vec<CatalogConnection>,
    /// The embedders the server embeds with (knowledge bases, `/v1/embeddings`).
    embedders: Vec<EmbeddingModel>,
    rows: Vec<CatalogRow>,
    /// Client model id → index in `rows` (rows whose connection is known).
    by_model: HashMap<String, usize>,
}

impl State {
    fn new(connections: Vec<CatalogConnection>, embedders: Vec<EmbeddingModel>, rows: Vec<CatalogRow>) -> Self {
        let mut by_model = HashMap::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            if let Some(id) = model_id(&connections, &row.connection_id, &row.upstream_id) {
                by_model.insert(id, i);
            }
        }
        Self { connections, embedders, rows, by_model }
    }

    fn connection(&self, id: &str) -> Option<&CatalogConnection> {
        self.connections.iter().find(|c| c.id == id)
    }

    /// The connection serving a client model id (by its `name/` prefix; none: built-in).
    fn connection_of(&self, model: &str) -> Option<&CatalogConnection> {
        let (prefix, _) = model.split_once('/')?;
        self.connections.iter().find(|c| c.name == prefix)
    }

    fn entry(&self, model: &str) -> Option<&CatalogRow> {
        self.by_model.get(model).map(|&i| &self.rows[i])
    }

    fn facts(&self, row: &CatalogRow) -> Option<ModelFacts> {
        let c = self.connection(&row.connection_id)?;
        PriceTable::bundled().lookup_in_region(c.kind, &row.upstream_id, c.region.as_deref())
    }
}

fn model_id(connections: &[CatalogConnection], connection_id: &str, upstream: &str) -> Option<String> {
    if connection_id == BUILTIN || connection_id == EMBEDDINGS {
        return Some(upstream.to_owned());
    }
    connections.iter().find(|c| c.id == connection_id).map(|c| format!("{}/{upstream}", c.name))
}

impl ModelCatalog {
    /// Reads the entries; connections arrive with [`ModelCatalog::set_connections`].
    pub async fn start(db: Db, registry: Registry) -> Result<Self> {
        let rows = db.list_catalog_models().await?;
        let state = State::new(Vec::new(), Vec::new(), rows);
        let inner = Inner { db, registry, state: RwLock::new(Arc::new(state)) };
        Ok(Self { inner: Arc::new(inner) })
    }

    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    fn state(&self) -> Arc<State> {
        self.inner.state.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Replaces what `change` changes of the state (a copy of the current one).
    fn replace(
        &self,
        change: impl FnOnce(&mut Vec<CatalogConnection>, &mut Vec<EmbeddingModel>, &mut Vec<CatalogRow>),
    ) {
        let mut guard = self.inner.state.write().unwrap_or_else(PoisonError::into_inner);
        let (mut connections, mut embedders, mut rows) =
            (guard.connections.clone(), guard.embedders.clone(), guard.rows.clone());
        change(&mut connections, &mut embedders, &mut rows);
        *guard = Arc::new(State::new(connections, embedders, rows));
    }

    /// The connections as they are now (their names make the entries' model ids).
    pub fn set_connections(&self, connections: Vec<CatalogConnection>) {
        self.replace(|c, _, _| *c = connections);
    }

    async fn reload(&self) -> Result<()> {
        let fresh = self.inner.db.list_catalog_models().await?;
        self.replace(|_, _, rows| *rows = fresh);
        Ok(())
    }

    /// Whether `model` may be offered to a caller (`admin` or not), and the entry if it has one.
    fn admits<'s>(state: &'s State, model: &str, admin: bool) -> (bool, Option<&'s CatalogRow>) {
        match state.entry(model) {
            Some(e) => (e.enabled != 0 && (admin || Access::parse(&e.access) == Access::Everyone), Some(e)),
            None => (!state.connection_of(model).is_some_and(|c| c.curated), None),
        }
    }

    /// The models a caller may pick, in the registry's order.
    pub async fn offered(&self, admin: bool) -> Vec<OfferedModel> {
        let state = self.state();
        let mut out = Vec::new();
        for m in self.inner.registry.models().await {
            let (ok, entry) = Self::admits(&state, &m.id, admin);
            if !ok {
                continue;
            }
            let facts = entry.and_then(|e| state.facts(e));
            let flag = |set: Option<i64>, table: fn(&ModelFacts) -> bool| {
                set.map_or_else(|| facts.as_ref().is_some_and(table), |v| v != 0)
            };
            out.push(OfferedModel {
                name: entry.and_then(|e| e.display_name.clone()).unwrap_or_else(|| m.id.clone()),
                context_window: entry.and_then(|e| e.context_window).map_or(m.context_window, |w| w as usize),
                max_output: entry
                    .and_then(|e| e.max_output)
                    .map(|n| n as u32)
                    .or(facts.as_ref().and_then(|f| f.max_output)),
                vision: flag(entry.and_then(|e| e.vision), |f| f.vision),
                tools: flag(entry.and_then(|e| e.tools), |f| f.tools),
                json_output: flag(entry.and_then(|e| e.json_output), |f| f.json_output),
                provider: m.provider,
                id: m.id,
            });
        }
        out
    }

    /// The model an answer for `caller` uses. A model the caller may not use is unknown to them
    /// (disabled, administrators only, or not added to the catalog).
    pub async fn resolve(&self, model: &str, caller: &Caller) -> Result<ResolvedModel> {
        let state = self.state();
        let unknown = || Error::UnknownModel(model.to_owned());
        let (mut ok, entry) = Self::admits(&state, model, true);
        if let Some(e) = entry.filter(|e| ok && Access::parse(&e.access) == Access::Admins) {
            ok = self.is_admin(caller).await?;
            tracing::debug!(model, entry = %e.id, admitted = ok, "a model for administrators only");
        }
        if !ok {
            return Err(unknown());
        }
        let (provider, mut info) = self.inner.registry.resolve(model).await.ok_or_else(unknown)?;
        let mut prices = provider.prices(&info.id);
        let (mut defaults, mut fallbacks, mut vision) = (Params::default(), Vec::new(), false);
        if let Some(e) = entry {
            vision = e.vision.map_or_else(|| state.facts(e).is_some_and(|f| f.vision), |v| v != 0);
            if let Some(w) = e.context_window {
                info.context_window = w as usize;
            }
            prices = match (e.input_price_per_mtok, e.output_price_per_mtok, prices) {
                (Some(i), Some(o), _) => Some(Prices { input_per_mtok: i, output_per_mtok: o }),
                (i, o, Some(p)) => Some(Prices {
                    input_per_mtok: i.unwrap_or(p.input_per_mtok),
                    output_per_mtok: o.unwrap_or(p.output_per_mtok),
                }),
                (_, _, None) => None,
            };
            defaults = serde_json::from_str(&e.default_params).unwrap_or_default();
            fallbacks = serde_json::from_str(&e.fallbacks).unwrap_or_default();
        }
        Ok(ResolvedModel { provider, info, prices, defaults, fallbacks, vision })
    }

    /// Whether the account behind `caller` (a widget visitor's: the knowledge base's owner) is an
    /// administrator now.
    async fn is_admin(&self, caller: &Caller) -> Result<bool> {
        let account = match caller {
            Caller::User { user_id, .. } => user_id,
            Caller::Visitor { owner_id, .. } => owner_id,
        };
        let user = self.inner.db.user_by_id(account).await?;
        Ok(user.is_some_and(|u| u.role() == UserRole::Admin))
    }

    fn require_admin(who: &Principal) -> Result<()> {
        if who.is_admin() { Ok(()) } else { Err(Error::Forbidden("only administrators can manage models".into())) }
    }

    /// Every entry, with what applies.
    pub async fn list(&self, who: &Principal) -> Result<Vec<CatalogModel>> {
        Self::require_admin(who)?;
        let state = self.state();
        let served: HashMap<String, ModelInfo> =
            self.inner.registry.models().await.into_iter().map(|m| (m.id.clone(), m)).collect();
        Ok(state.rows.iter().map(|r| view(&state, r, &served)).collect())
    }

    pub async fn get(&self, who: &Principal, id: &str) -> Result<CatalogModel> {
        Self::require_admin(who)?;
        let state = self.state();
        let row = state.rows.iter().find(|r| r.id == id).ok_or(Error::NotFound("model"))?;
        let served = self.served(&state, row).await;
        Ok(view(&state, row, &served))
    }

    async fn served(&self, state: &State, row: &CatalogRow) -> HashMap<String, ModelInfo> {
        let mut served = HashMap::new();
        if let Some(id) = model_id(&state.connections, &row.connection_id, &row.upstream_id)
            && let Some((_, info)) = self.inner.registry.resolve(&id).await
        {
            served.insert(id, info);
        }
        served
    }

    /// Adds a connection's model. Only `connection_id` and `upstream_id` are needed.
    pub async fn create(&self, who: &Principal, input: ModelInput) -> Result<CatalogModel> {
        Self::require_admin(who)?;
        let state = self.state();
        let connection_id = input.connection_id.clone().unwrap_or_default();
        let upstream = input.upstream_id.clone().unwrap_or_default();
        if connection_id == EMBEDDINGS {
            embeddings::check_new(&state, upstream.trim(), &input)?;
        } else if connection_id != BUILTIN && state.connection(&connection_id).is_none() {
            return Err(Error::invalid(
                "connection_id",
                "no such connection; use an id from /api/v1/admin/connections",
            ));
        }
        let upstream = upstream.trim();
        if upstream.is_empty()
            || upstream.chars().count() > MAX_UPSTREAM_CHARS
            || upstream.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "upstream_id",
                format!("give the model's id on its server (1 to {MAX_UPSTREAM_CHARS} characters)"),
            ));
        }
        let mut fields = CatalogFields::new(&connection_id, upstream);
        let this = model_id(&state.connections, &connection_id, upstream).unwrap_or_default();
        self.check_fallbacks(&state, input.fallbacks.as_deref()).await?;
        apply(&mut fields, input, &this)?;
        let row = self.inner.db.insert_catalog_model(&fields).await?;
        tracing::info!(model = %this, by = %who.user_id, "model added to the catalog");
        self.reload().await?;
        self.get(who, &row.id).await
    }

    pub async fn update(&self, who: &Principal, id: &str, input: ModelInput) -> Result<CatalogModel> {
        Self::require_admin(who)?;
        if input.connection_id.is_some() || input.upstream_id.is_some() {
            return Err(Error::invalid(
                "connection_id",
                "a model's connection and upstream id do not change; add another model instead",
            ));
        }
        let state = self.state();
        let row = state.rows.iter().find(|r| r.id == id).ok_or(Error::NotFound("model"))?.clone();
        let this = model_id(&state.connections, &row.connection_id, &row.upstream_id).unwrap_or_default();
        if row.connection_id == EMBEDDINGS {
            embeddings::check_change(&input)?;
        }
        let mut fields = CatalogFields::from(row);
        self.check_fallbacks(&state, input.fallbacks.as_deref()).await?;
        apply(&mut fields, input, &this)?;
        self.inner.db.update_catalog_model(id, &fields).await?.ok_or(Error::NotFound("model"))?;
        tracing::info!(model = %this, by = %who.user_id, "catalog model changed");
        self.reload().await?;
        self.get(who, id).await
    }

    pub async fn delete(&self, who: &Principal, id: &str) -> Result<()> {
        Self::require_admin(who)?;
        if !self.inner.db.delete_catalog_model(id).await? {
            return Err(Error::NotFound("model"));
        }
        tracing::info!(entry = id, by = %who.user_id, "model removed from the catalog");
        self.reload().await
    }

    /// Each fallback must be a model that can be offered: one with an entry, or one a connection
    /// declared in the settings (or the built-in provider) serves.
    async fn check_fallbacks(&self, state: &State, fallbacks: Option<&[String]>) -> Result<()> {
        for f in fallbacks.unwrap_or_default() {
            let known = state.entry(f).is_some_and(|e| e.connection_id != EMBEDDINGS)
                || (!state.connection_of(f).is_some_and(|c| c.curated)
                    && self.inner.registry.resolve(f).await.is_some());
            if !known {
                return Err(Error::invalid(
                    "fallbacks",
                    format!("{f:?} is not a model users can pick; add it to the catalog or use an id from /v1/models"),
                ));
            }
        }
        Ok(())
    }

    /// Whether `upstream` of the connection has an entry.
    pub fn has_entry(&self, connection_id: &str, upstream: &str) -> bool {
        self.state().rows.iter().any(|r| r.connection_id == connection_id && r.upstream_id == upstream)
    }

    /// Adds models of a connection, enabled for everyone, where they have no entry (an
    /// administrator named them on the connection, or pulled them into Ollama).
    pub async fn ensure(&self, connection_id: &str, upstream: &[String]) -> Result<()> {
        let mut added = false;
        for u in upstream {
            added |= self.inner.db.ensure_catalog_model(connection_id, u).await?;
        }
        if added {
            self.reload().await?;
        }
        Ok(())
    }

    /// Removes a removed connection's entries.
    pub async fn forget_connection(&self, connection_id: &str) -> Result<()> {
        if self.inner.db.delete_catalog_models_of(connection_id).await? > 0 {
            self.reload().await?;
        }
        Ok(())
    }
}

/// Checks `input` and writes it over `fields`. `this` is the model's own client id.
fn apply(fields: &mut CatalogFields, input: ModelInput, this: &str) -> Result<()> {
    if let Some(name) = input.name {
        fields.display_name = match name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) {
            None => None,
            Some(n) if n.chars().count() > MAX_NAME_CHARS || n.chars().any(char::is_control) => {
                return Err(Error::invalid("name", format!("use 1 to {MAX_NAME_CHARS} characters on one line")));
            }
            Some(n) => Some(n),
        };
    }
    for (field, value, slot) in [
        ("context_window", input.context_window, &mut fields.context_window),
        ("max_output", input.max_output, &mut fields.max_output),
    ] {
        if let Some(v) = value {
            if v.is_some_and(|n| n == 0 || n > MAX_WINDOW) {
                return Err(Error::invalid(field, format!("use a number of tokens from 1 to {MAX_WINDOW}")));
            }
            *slot = v.map(i64::from);
        }
    }
    if let (Some(out), Some(window)) = (fields.max_output, fields.context_window)
        && out > window
    {
        return Err(Error::invalid("max_output", "use at most the context window"));
    }
    for (field, value, slot) in [
        ("input_price_per_mtok", input.input_price_per_mtok, &mut fields.input_price_per_mtok),
        ("output_price_per_mtok", input.output_price_per_mtok, &mut fields.output_price_per_mtok),
        ("cached_input_price_per_mtok", input.cached_input_price_per_mtok, &mut fields.cached_input_price_per_mtok),
    ] {
        if let Some(v) = value {
            if v.is_some_and(|p| !p.is_finite() || !(0.0..=MAX_PRICE_PER_MTOK).contains(&p)) {
                return Err(Error::invalid(
                    field,
                    format!("use US dollars per million tokens, from 0 to {MAX_PRICE_PER_MTOK}"),
                ));
            }
            *slot = v;
        }
    }
    for (value, slot) in [
        (input.vision, &mut fields.vision),
        (input.tools, &mut fields.tools),
        (input.json_output, &mut fields.json_output),
    ] {
        if let Some(v) = value {
            *slot = v.map(i64::from);
        }
    }
    if let Some(enabled) = input.enabled {
        fields.enabled = i64::from(enabled);
    }
    if let Some(access) = input.access {
        fields.access = access.as_str().to_owned();
    }
    if let Some(params) = input.default_params {
        params.check()?;
        fields.default_params = serde_json::to_string(&params).map_err(Error::internal)?;
    }
    if let Some(fallbacks) = input.fallbacks {
        if fallbacks.len() > MAX_FALLBACKS {
            return Err(Error::invalid("fallbacks", format!("name at most {MAX_FALLBACKS} models")));
        }
        for (i, f) in fallbacks.iter().enumerate() {
            if f == this || fallbacks[..i].contains(f) {
                return Err(Error::invalid("fallbacks", format!("{f:?} is named twice or is this model itself")));
            }
        }
        fields.fallbacks = serde_json::to_string(&fallbacks).map_err(Error::internal)?;
    }
    Ok(())
}

fn view(state: &State, row: &CatalogRow, served: &HashMap<String, ModelInfo>) -> CatalogModel {
    let model = model_id(&state.connections, &row.connection_id, &row.upstream_id);
    let info = model.as_ref().and_then(|m| served.get(m));
    let facts = state.facts(row);
    let f = facts.as_ref();
    let mut overridden = Vec::new();
    let mut mark = |name: &'static str, set: bool| {
        if set {
            overridden.push(name);
        }
    };
    mark("name", row.display_name.is_some());
    mark("context_window", row.context_window.is_some());
    mark("max_output", row.max_output.is_some());
    mark("input_price_per_mtok", row.input_price_per_mtok.is_some());
    mark("output_price_per_mtok", row.output_price_per_mtok.is_some());
    mark("cached_input_price_per_mtok", row.cached_input_price_per_mtok.is_some());
    mark("vision", row.vision.is_some());
    mark("tools", row.tools.is_some());
    mark("json_output", row.json_output.is_some());
    let flag = |set: Option<i64>, table: bool| set.map_or(table, |v| v != 0);
    let free = row.connection_id == BUILTIN;
    let embedder = embeddings::of_row(state, row);
    let price = |set: Option<f64>, table: Option<f64>| set.or(if free { Some(0.0) } else { table });
    let input_list_price = match &embedder {
        Some(_) => crate::embed::metered::prices(&row.upstream_id).map(|p| p.input_per_mtok),
        None => f.and_then(|f| f.input_per_mtok),
    };
    CatalogModel {
        id: row.id.clone(),
        kind: if row.connection_id == EMBEDDINGS { "embedding" } else { "chat" },
        dimensions: embedder.map(|e| e.dimensions),
        connection_id: row.connection_id.clone(),
        connection: if free || row.connection_id == EMBEDDINGS {
            Some(row.connection_id.clone())
        } else {
            state.connection(&row.connection_id).map(|c| c.name.clone())
        },
        upstream_id: row.upstream_id.clone(),
        name: row.display_name.clone().unwrap_or_else(|| row.upstream_id.clone()),
        context_window: row
            .context_window
            .map(|n| n as u32)
            .or(info.map(|i| i.context_window as u32))
            .or(f.and_then(|f| f.context_window)),
        max_output: row.max_output.map(|n| n as u32).or(f.and_then(|f| f.max_output)),
        input_price_per_mtok: price(row.input_price_per_mtok, input_list_price),
        output_price_per_mtok: price(row.output_price_per_mtok, f.and_then(|f| f.output_per_mtok)),
        cached_input_price_per_mtok: price(row.cached_input_price_per_mtok, f.and_then(|f| f.cached_input_per_mtok)),
        vision: flag(row.vision, f.is_some_and(|f| f.vision)),
        tools: flag(row.tools, f.is_some_and(|f| f.tools)),
        json_output: flag(row.json_output, f.is_some_and(|f| f.json_output)),
        overridden,
        enabled: row.enabled != 0,
        access: Access::parse(&row.access),
        default_params: serde_json::from_str(&row.default_params).unwrap_or_default(),
        fallbacks: serde_json::from_str(&row.fallbacks).unwrap_or_default(),
        served: info.is_some() || embedder.is_some(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        model,
    }
}
