//! Provider connections: the model servers an organisation uses (OpenAI-compatible, Anthropic,
//! Bedrock, Ollama), several of each kind, each under a name that qualifies its model ids.
//!
//! Administrators add, change, test and remove them while the server runs (stored in the
//! database, keys sealed with the server's connection key: `crypto.rs`); the settings can declare
//! more for headless setups (read-only here). Every change rebuilds the registry's connections, so
//! the next request sees it. Keys never leave: the views carry only whether there is one.

mod build;
pub mod crypto;
mod ollama;
mod priced;
mod spec;
#[cfg(all(test, feature = "fakes"))]
mod tests;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use crypto::KeyCipher;
pub use ollama::{Ollama, OllamaEvent, OllamaModel, PullJob, PullStatus};
pub use spec::{ConnectionKind, ConnectionSpec};

use crate::auth::Principal;
use crate::catalog::{BUILTIN, CatalogConnection, CatalogModel, EMBEDDINGS, ModelCatalog, ModelInput};
use futures::StreamExt;

use crate::providers::{ChatEvent, ChatMessage, ChatProvider, ChatRequest, ProviderError, Registry, Role};
use crate::settings::Secret;
use crate::storage::{ConnectionFields, ConnectionRow, Db, new_id};
use crate::{Error, Result};

/// Longest a connection test or a model listing waits for the server.
const TEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a connection comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionSource {
    /// Added by an administrator (stored in the database; editable).
    Admin,
    /// Declared in the settings (read-only while the server runs).
    Settings,
}

/// A connection as administrators see it: never the key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Connection {
    pub id: String,
    pub kind: ConnectionKind,
    pub name: String,
    pub base_url: Option<String>,
    pub region: Option<String>,
    pub models: Vec<String>,
    pub has_key: bool,
    pub source: ConnectionSource,
    /// What stops it from working, in plain words (a key that no longer decrypts).
    pub problem: Option<String>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

/// A change to a connection: absent fields stay. `api_key: Some(None)` removes the key.
#[derive(Debug, Clone, Default)]
pub struct ConnectionPatch {
    pub name: Option<String>,
    pub base_url: Option<Option<String>>,
    pub region: Option<Option<String>>,
    pub api_key: Option<Option<Secret>>,
    pub models: Option<Vec<String>>,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestReport {
    pub ok: bool,
    /// How many models the server listed (when it answered).
    pub models: Option<usize>,
    pub latency_ms: u64,
    /// What failed and what to do, in plain words; nothing of the upstream's answer.
    pub error: Option<String>,
}

/// A model the connection's server reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AvailableModel {
    /// The upstream id.
    pub id: String,
    /// The id clients use (`connection/upstream`).
    pub model: String,
    /// Whether users can pick it (it has a catalog entry, or the connection is declared in the
    /// settings, and the connection's model list allows it).
    pub offered: bool,
    /// Whether it has a catalog entry.
    pub in_catalog: bool,
}

/// The connections service (cheap to clone).
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    cipher: KeyCipher,
    registry: Registry,
    /// Told of every change of names; holds the entries of the connections' models.
    catalog: ModelCatalog,
    declared: Vec<ConnectionSpec>,
    /// One rebuild of the registry at a time, so the last change wins.
    reload: tokio::sync::Mutex<()>,
    /// Ollama connections' model managers, events and pulls.
    ollama: ollama::Hub,
}

impl Connections {
    /// Validates the declared connections, loads the stored ones and puts them all in the
    /// catalog's registry.
    pub async fn start(
        db: Db,
        cipher: KeyCipher,
        catalog: ModelCatalog,
        declared: Vec<ConnectionSpec>,
    ) -> Result<Self> {
        let mut checked: Vec<ConnectionSpec> = Vec::with_capacity(declared.len());
        for spec in declared {
            let spec = spec.validated()?;
            if checked.iter().any(|c| c.name == spec.name) {
                return Err(Error::invalid(
                    "name",
                    format!("two connections in the settings are named {:?}", spec.name),
                ));
            }
            checked.push(spec);
        }
        let this = Self {
            inner: Arc::new(Inner {
                db,
                cipher,
                registry: catalog.registry().clone(),
                catalog,
                declared: checked,
                reload: tokio::sync::Mutex::new(()),
                ollama: ollama::Hub::default(),
            }),
        };
        this.reload().await?;
        Ok(this)
    }

    /// Ends the live Ollama event streams (at shutdown; pulls are left to the runtime).
    pub fn shutdown(&self) {
        self.inner.ollama.close();
    }

    fn require_admin(who: &Principal) -> Result<()> {
        if who.is_admin() { Ok(()) } else { Err(Error::Forbidden("only administrators can manage connections".into())) }
    }

    pub async fn list(&self, who: &Principal) -> Result<Vec<Connection>> {
        Self::require_admin(who)?;
        let mut out: Vec<Connection> = self.inner.declared.iter().map(declared_view).collect();
        for row in self.inner.db.list_connections().await? {
            out.push(self.stored(&row).0);
        }
        Ok(out)
    }

    pub async fn get(&self, who: &Principal, id: &str) -> Result<Connection> {
        Self::require_admin(who)?;
        Ok(self.find(id).await?.0)
    }

    pub async fn create(&self, who: &Principal, spec: ConnectionSpec) -> Result<Connection> {
        Self::require_admin(who)?;
        let spec = spec.validated()?;
        self.check_name_free(&spec.name)?;
        let id = new_id();
        let sealed = spec.api_key.as_ref().map(|k| self.inner.cipher.seal(&id, k));
        let models = models_json(&spec.models);
        let row = self.inner.db.insert_connection(Some(&id), &fields(&spec, sealed.as_deref(), &models)).await?;
        tracing::info!(connection = %row.name, kind = %row.kind, by = %who.user_id, "connection added");
        self.reload().await?;
        self.inner.catalog.ensure(&row.id, &spec.models).await?;
        Ok(self.stored(&row).0)
    }

    pub async fn update(&self, who: &Principal, id: &str, patch: ConnectionPatch) -> Result<Connection> {
        Self::require_admin(who)?;
        let (_, current) = self.find(id).await?;
        let Some((row, key)) = current else {
            return Err(Error::Conflict("this connection is declared in the server settings; change it there".into()));
        };
        let key = match patch.api_key {
            Some(new) => new,
            None => match key {
                KeyState::None => None,
                KeyState::Open(k) => Some(k),
                KeyState::Unreadable => {
                    return Err(Error::invalid(
                        "api_key",
                        "the saved key cannot be decrypted with this server's connection key; enter the key again",
                    ));
                }
            },
        };
        let spec = ConnectionSpec {
            kind: ConnectionKind::parse(&row.kind).ok_or_else(|| unknown_kind(&row))?,
            name: patch.name.unwrap_or(row.name.clone()),
            base_url: patch.base_url.unwrap_or(row.base_url.clone()),
            region: patch.region.unwrap_or(row.region.clone()),
            api_key: key,
            models: patch.models.unwrap_or_else(|| parse_models(&row.models)),
        }
        .validated()?;
        if spec.name != row.name {
            self.check_name_free(&spec.name)?;
        }
        let sealed = spec.api_key.as_ref().map(|k| self.inner.cipher.seal(id, k));
        let models = models_json(&spec.models);
        let updated = self
            .inner
            .db
            .update_connection(id, &fields(&spec, sealed.as_deref(), &models))
            .await?
            .ok_or(Error::NotFound("connection"))?;
        tracing::info!(connection = %updated.name, by = %who.user_id, "connection changed");
        self.reload().await?;
        self.inner.catalog.ensure(id, &spec.models).await?;
        Ok(self.stored(&updated).0)
    }

    pub async fn delete(&self, who: &Principal, id: &str) -> Result<()> {
        Self::require_admin(who)?;
        if self.inner.declared.iter().any(|d| declared_id(&d.name) == id) {
            return Err(Error::Conflict("this connection is declared in the server settings; remove it there".into()));
        }
        if !self.inner.db.delete_connection(id).await? {
            return Err(Error::NotFound("connection"));
        }
        tracing::info!(connection = id, by = %who.user_id, "connection removed");
        self.inner.ollama.forget(id);
        self.reload().await?;
        self.inner.catalog.forget_connection(id).await
    }

    /// Adds a connection's model to the catalog (Admin → Models "Add", `POST /api/v1/admin/models`).
    /// A stored connection that names its models serves only those, so the model joins its list:
    /// what an administrator adds is what users can pick.
    pub async fn add_model(&self, who: &Principal, input: ModelInput) -> Result<CatalogModel> {
        let created = self.inner.catalog.create(who, input).await?;
        if [BUILTIN, EMBEDDINGS].contains(&created.connection_id.as_str()) {
            return Ok(created);
        }
        if let (_, Some((row, _))) = self.find(&created.connection_id).await? {
            let mut models = parse_models(&row.models);
            if !models.is_empty() && !models.contains(&created.upstream_id) {
                models.push(created.upstream_id.clone());
                let patch = ConnectionPatch { models: Some(models), ..ConnectionPatch::default() };
                self.update(who, &created.connection_id, patch).await?;
                // Read again: served now.
                return self.inner.catalog.get(who, &created.id).await;
            }
        }
        Ok(created)
    }

    /// Asks the connection's server for its models, within a few seconds.
    pub async fn test(&self, who: &Principal, id: &str) -> Result<TestReport> {
        Self::require_admin(who)?;
        let spec = self.spec_of(id).await?;
        let started = Instant::now();
        let listed = self.list_upstream(&spec).await;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(match listed {
            Ok(ids) => TestReport { ok: true, models: Some(ids.len()), latency_ms, error: None },
            Err(e) => TestReport { ok: false, models: None, latency_ms, error: Some(e.to_string()) },
        })
    }

    /// The models the connection's server reports, and whether each is offered already: what
    /// Admin → Models offers to add.
    pub async fn available_models(&self, who: &Principal, id: &str) -> Result<Vec<AvailableModel>> {
        Self::require_admin(who)?;
        if id == EMBEDDINGS {
            return self.inner.catalog.available_embeddings(who);
        }
        let spec = self.spec_of(id).await?;
        let declared = self.inner.declared.iter().any(|d| declared_id(&d.name) == id);
        let ids = self.list_upstream(&spec).await.map_err(|e| match e {
            Error::Unavailable(m) => Error::Unavailable(m),
            other => Error::Unavailable(other.to_string()),
        })?;
        Ok(ids
            .into_iter()
            .map(|upstream| {
                let in_catalog = self.inner.catalog.has_entry(id, &upstream);
                AvailableModel {
                    model: format!("{}/{upstream}", spec.name),
                    offered: (spec.models.is_empty() || spec.models.contains(&upstream)) && (in_catalog || declared),
                    in_catalog,
                    id: upstream,
                }
            })
            .collect())
    }

    /// The upstream list, or what failed in words an administrator can act on.
    async fn list_upstream(&self, spec: &ConnectionSpec) -> Result<Vec<String>> {
        let label = spec.kind.label();
        let provider = build::provider(spec);
        match tokio::time::timeout(TEST_TIMEOUT, probe(spec.kind, provider)).await {
            Err(_) => Err(Error::Unavailable(format!(
                "no answer from {} within {} s; check the URL and that the server is running",
                spec.effective_base_url().unwrap_or(label),
                TEST_TIMEOUT.as_secs()
            ))),
            Ok(Ok(ids)) => Ok(ids),
            Ok(Err(e)) => {
                tracing::warn!(connection = %spec.name, error = %e, "connection test failed");
                Err(Error::Unavailable(plain_failure(spec, &e)))
            }
        }
    }

    fn check_name_free(&self, name: &str) -> Result<()> {
        if self.inner.declared.iter().any(|d| d.name == name) {
            return Err(Error::Conflict(format!(
                "a connection named {name:?} is declared in the server settings; pick another name"
            )));
        }
        Ok(())
    }

    /// A connection by id: its view, and for a stored one its row and key.
    async fn find(&self, id: &str) -> Result<(Connection, Option<(ConnectionRow, KeyState)>)> {
        if let Some(d) = self.inner.declared.iter().find(|d| declared_id(&d.name) == id) {
            return Ok((declared_view(d), None));
        }
        let row = self.inner.db.connection(id).await?.ok_or(Error::NotFound("connection"))?;
        let (view, key) = self.stored(&row);
        Ok((view, Some((row, key))))
    }

    /// The engine's spec of a connection, key opened.
    async fn spec_of(&self, id: &str) -> Result<ConnectionSpec> {
        if let Some(d) = self.inner.declared.iter().find(|d| declared_id(&d.name) == id) {
            return Ok(d.clone());
        }
        let row = self.inner.db.connection(id).await?.ok_or(Error::NotFound("connection"))?;
        match self.stored_spec(&row) {
            Ok(spec) => Ok(spec),
            Err(problem) => Err(Error::Unavailable(problem)),
        }
    }

    fn open_key(&self, row: &ConnectionRow) -> KeyState {
        match &row.api_key {
            None => KeyState::None,
            Some(sealed) => match self.inner.cipher.open(&row.id, sealed) {
                Ok(k) => KeyState::Open(k),
                Err(_) => KeyState::Unreadable,
            },
        }
    }

    fn stored(&self, row: &ConnectionRow) -> (Connection, KeyState) {
        let key = self.open_key(row);
        let problem = spec_from(row, &key).err();
        let view = Connection {
            id: row.id.clone(),
            kind: ConnectionKind::parse(&row.kind).unwrap_or(ConnectionKind::Openai),
            name: row.name.clone(),
            base_url: row.base_url.clone(),
            region: row.region.clone(),
            models: parse_models(&row.models),
            has_key: row.api_key.is_some(),
            source: ConnectionSource::Admin,
            problem,
            created_at: Some(row.created_at),
            updated_at: Some(row.updated_at),
        };
        (view, key)
    }

    /// The spec of a stored row, or why it cannot be used.
    fn stored_spec(&self, row: &ConnectionRow) -> Result<ConnectionSpec, String> {
        spec_from(row, &self.open_key(row))
    }

    /// Rebuilds the registry's connections: declared ones first, then the stored ones that work.
    async fn reload(&self) -> Result<()> {
        let _one_at_a_time = self.inner.reload.lock().await;
        let rows = self.inner.db.list_connections().await?;
        let mut providers = Vec::with_capacity(self.inner.declared.len() + rows.len());
        let mut named = Vec::with_capacity(providers.capacity());
        for spec in &self.inner.declared {
            providers.push((spec.name.clone(), build::provider(spec)));
            named.push(CatalogConnection {
                id: declared_id(&spec.name),
                name: spec.name.clone(),
                kind: spec.kind,
                region: spec.region.clone(),
                curated: false,
            });
        }
        for row in &rows {
            if self.inner.declared.iter().any(|d| d.name == row.name) {
                tracing::warn!(connection = %row.name, "a stored connection has a declared connection's name; the declared one is used");
                continue;
            }
            named.push(CatalogConnection {
                id: row.id.clone(),
                name: row.name.clone(),
                kind: ConnectionKind::parse(&row.kind).unwrap_or(ConnectionKind::Openai),
                region: row.region.clone(),
                curated: true,
            });
            match self.stored_spec(row) {
                Ok(spec) => providers.push((spec.name.clone(), build::provider(&spec))),
                Err(problem) => tracing::error!(connection = %row.name, problem, "connection left out"),
            }
        }
        self.inner.registry.set_connections(providers);
        self.inner.catalog.set_connections(named);
        Ok(())
    }
}

/// The spec of a stored row with its key as opened, or why it cannot be used.
fn spec_from(row: &ConnectionRow, key: &KeyState) -> Result<ConnectionSpec, String> {
    let kind = ConnectionKind::parse(&row.kind).ok_or_else(|| format!("unknown connection kind {:?}", row.kind))?;
    let api_key = match key {
        KeyState::None => None,
        KeyState::Open(k) => Some(k.clone()),
        KeyState::Unreadable => {
            return Err(
                "the saved key cannot be decrypted with this server's connection key; enter the key again".into()
            );
        }
    };
    Ok(ConnectionSpec {
        kind,
        name: row.name.clone(),
        base_url: row.base_url.clone(),
        region: row.region.clone(),
        api_key,
        models: parse_models(&row.models),
    })
}

enum KeyState {
    None,
    Open(Secret),
    Unreadable,
}

/// Declared connections have stable ids derived from their names.
fn declared_id(name: &str) -> String {
    format!("settings-{name}")
}

fn declared_view(spec: &ConnectionSpec) -> Connection {
    Connection {
        id: declared_id(&spec.name),
        kind: spec.kind,
        name: spec.name.clone(),
        base_url: spec.effective_base_url().map(str::to_owned),
        region: spec.region.clone(),
        models: spec.models.clone(),
        has_key: spec.api_key.is_some(),
        source: ConnectionSource::Settings,
        problem: None,
        created_at: None,
        updated_at: None,
    }
}

fn unknown_kind(row: &ConnectionRow) -> Error {
    Error::internal(anyhow::anyhow!("connection {} has the unknown kind {:?}", row.id, row.kind))
}

fn fields<'a>(spec: &'a ConnectionSpec, sealed: Option<&'a [u8]>, models: &'a str) -> ConnectionFields<'a> {
    ConnectionFields {
        kind: spec.kind.as_str(),
        name: &spec.name,
        base_url: spec.base_url.as_deref(),
        region: spec.region.as_deref(),
        api_key: sealed,
        models,
    }
}

fn models_json(models: &[String]) -> String {
    serde_json::to_string(models).unwrap_or_else(|_| "[]".into())
}

fn parse_models(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// What a test asks: the server's model list. Bedrock's runtime cannot list models, so it is asked
/// for one token from the first configured model (credentials, region and model access at once;
/// a probe, not recorded in the usage ledger).
async fn probe(kind: ConnectionKind, provider: Arc<dyn ChatProvider>) -> Result<Vec<String>, ProviderError> {
    if kind != ConnectionKind::Bedrock {
        return provider.list_upstream().await;
    }
    let models = provider.list_upstream().await?;
    let Some(first) = models.first() else { return Ok(models) };
    let mut request = ChatRequest::new(first.clone(), vec![ChatMessage::new(Role::User, "Hi")]);
    request.max_tokens = Some(1);
    let mut stream = provider.stream_chat(request).await?;
    while let Some(event) = stream.next().await {
        if matches!(event?, ChatEvent::Finished { .. }) {
            break;
        }
    }
    Ok(models)
}

/// A provider failure in words an administrator can act on; never the upstream's answer.
fn plain_failure(spec: &ConnectionSpec, e: &ProviderError) -> String {
    let label = spec.kind.label();
    let at = spec.effective_base_url().unwrap_or(label);
    match e {
        ProviderError::KeyRefused { .. } => format!("{label} refused the key; check it and save it again"),
        ProviderError::Unavailable(reason) => format!("{at}: {reason}"),
        _ => format!("{at} did not answer as the {label} API does; check the URL (the server log has the details)"),
    }
}
