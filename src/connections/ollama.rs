//! Managing an Ollama connection's models (administrators): what is installed and what is loaded
//! until when, loading and unloading, deleting, a model's details, and pulls as jobs that outlive
//! the request, with live events for the admin page.
//!
//! One [`OllamaAdmin`] per connection is kept (its tag cache then works across requests) and
//! rebuilt when the connection changes. Pulls run in tasks of their own (`pulls.rs`); what changes
//! is broadcast per connection. After a pull or a delete the registry is rebuilt, so the model
//! lists users see change at once.

mod input;
mod models;
mod pulls;
#[cfg(all(test, feature = "fakes"))]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Serialize;
use tokio::sync::{broadcast, watch};

pub use models::OllamaModel;
pub use pulls::{PullJob, PullStatus};

use super::{ConnectionKind, ConnectionSpec, Connections, build::PROVIDER_TIMEOUT};
use crate::auth::Principal;
use crate::providers::ollama::{ModelDetails, OllamaAdmin, OllamaAdminError, OllamaConfig};
use crate::{Error, Result};

/// Events a subscriber has not read yet before it starts missing some.
const EVENTS_BUFFER: usize = 64;

/// What changed on a connection, for live pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum OllamaEvent {
    /// The models after a start, stop, delete or finished pull.
    Models(Vec<OllamaModel>),
    /// A pull's progress (at most about ten a second per pull), and its end.
    Pull(PullJob),
}

impl OllamaEvent {
    /// The SSE event name: `models` or `pull`.
    pub fn name(&self) -> &'static str {
        match self {
            OllamaEvent::Models(_) => "models",
            OllamaEvent::Pull(_) => "pull",
        }
    }
}

/// Managers, event channels and pull jobs of every Ollama connection (in [`Connections`]).
pub(super) struct Hub {
    servers: Mutex<HashMap<String, Server>>,
    jobs: pulls::Jobs,
    /// Set at shutdown: live event streams end, so the HTTP server can finish.
    closing: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Self { servers: Mutex::default(), jobs: pulls::Jobs::default(), closing: watch::channel(false).0 }
    }
}

struct Server {
    spec: ConnectionSpec,
    admin: Arc<OllamaAdmin>,
    events: broadcast::Sender<OllamaEvent>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Hub {
    /// Forgets a removed connection's manager (its subscribers' streams end).
    pub(super) fn forget(&self, id: &str) {
        lock(&self.servers).remove(id);
    }

    pub(super) fn close(&self) {
        self.closing.send_replace(true);
    }
}

/// One Ollama connection's models, for an administrator (from [`Connections::ollama`]).
#[derive(Clone)]
pub struct Ollama {
    connections: Connections,
    id: String,
    name: String,
    base_url: String,
    admin: Arc<OllamaAdmin>,
    events: broadcast::Sender<OllamaEvent>,
    by: String,
}

impl Connections {
    /// The model manager of the Ollama connection `id`: administrators only; another kind of
    /// connection is refused.
    pub async fn ollama(&self, who: &Principal, id: &str) -> Result<Ollama> {
        Self::require_admin(who)?;
        let spec = self.spec_of(id).await?;
        if spec.kind != ConnectionKind::Ollama {
            return Err(Error::invalid(
                "connection",
                format!(
                    "{:?} is an {} connection; models can be installed and loaded only on Ollama connections",
                    spec.name,
                    spec.kind.label()
                ),
            ));
        }
        let mut servers = lock(&self.inner.ollama.servers);
        let server = servers.entry(id.to_owned()).or_insert_with(|| Server {
            spec: spec.clone(),
            admin: Arc::new(admin_for(&spec)),
            events: broadcast::channel(EVENTS_BUFFER).0,
        });
        if server.spec != spec {
            // Another URL or key: a new manager (the old one's cache describes another server).
            server.admin = Arc::new(admin_for(&spec));
            server.spec = spec.clone();
        }
        Ok(Ollama {
            connections: self.clone(),
            id: id.to_owned(),
            base_url: spec.effective_base_url().unwrap_or_default().to_owned(),
            name: spec.name,
            admin: Arc::clone(&server.admin),
            events: server.events.clone(),
            by: who.user_id.clone(),
        })
    }
}

fn admin_for(spec: &ConnectionSpec) -> OllamaAdmin {
    OllamaAdmin::new(&OllamaConfig {
        name: spec.name.clone(),
        base_url: spec.effective_base_url().unwrap_or_default().to_owned(),
        api_key: spec.api_key.clone(),
        timeout: PROVIDER_TIMEOUT,
        ..OllamaConfig::default()
    })
}

impl Ollama {
    /// The installed models with what is loaded; the installed list comes from a cache (30 s)
    /// unless `refresh`.
    pub async fn models(&self, refresh: bool) -> Result<Vec<OllamaModel>> {
        let (installed, running) =
            tokio::try_join!(self.admin.list(refresh), self.admin.running()).map_err(|e| self.error(e))?;
        Ok(models::merge(&self.name, installed, &running))
    }

    /// Loads `model` and keeps it loaded for `keep_alive` (`"5m"`, `"1h"`, `"-1"` for ever; none:
    /// Ollama's default, 5 minutes). Returns the models once it is loaded.
    pub async fn start(&self, model: &str, keep_alive: Option<&str>) -> Result<Vec<OllamaModel>> {
        let model = input::model(model)?;
        let keep_alive = keep_alive.map(input::keep_alive).transpose()?;
        self.admin.start(&model, keep_alive.as_deref()).await.map_err(|e| self.error(e))?;
        tracing::info!(connection = %self.name, model, keep_alive, by = %self.by, "loaded an Ollama model");
        self.changed().await
    }

    /// Unloads `model` now (one that is not loaded is no error).
    pub async fn stop(&self, model: &str) -> Result<Vec<OllamaModel>> {
        let model = input::model(model)?;
        self.admin.stop(&model).await.map_err(|e| self.error(e))?;
        tracing::info!(connection = %self.name, model, by = %self.by, "unloaded an Ollama model");
        self.changed().await
    }

    /// Deletes `model` from the server; users stop seeing it at once.
    pub async fn delete(&self, model: &str) -> Result<Vec<OllamaModel>> {
        let model = input::model(model)?;
        self.admin.delete(&model).await.map_err(|e| self.error(e))?;
        tracing::info!(connection = %self.name, model, by = %self.by, "deleted an Ollama model");
        self.connections.reload().await?;
        self.changed().await
    }

    /// What Ollama says about `model`.
    pub async fn show(&self, model: &str) -> Result<ModelDetails> {
        let model = input::model(model)?;
        self.admin.show(&model).await.map_err(|e| self.error(e))
    }

    /// Starts pulling `model` in a task that outlives the request; a pull of the same model on
    /// this connection that is still running is returned instead of starting another.
    pub async fn pull(&self, model: &str) -> Result<PullJob> {
        let model = input::model(model)?;
        pulls::start(self.clone(), model)
    }

    /// A pull of this connection by its id (the last 50 pulls of the server are kept).
    pub fn pull_job(&self, job: &str) -> Result<PullJob> {
        self.connections.inner.ollama.jobs.get(&self.id, job).ok_or(Error::NotFound("pull"))
    }

    /// This connection's events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<OllamaEvent> {
        self.events.subscribe()
    }

    /// The models now, then this connection's events as they happen, until the connection is
    /// removed (and its pulls ended) or the server shuts down. A subscriber that falls behind gets the models as they are instead of what it missed.
    pub async fn live(&self) -> Result<BoxStream<'static, OllamaEvent>> {
        let mut events = self.subscribe();
        let mut closing = self.connections.inner.ollama.closing.subscribe();
        let first = self.models(false).await?;
        // Not `self`: a stream holding the connection's sender would outlive its removal.
        let (admin, name) = (Arc::clone(&self.admin), self.name.clone());
        let stream = async_stream::stream! {
            yield OllamaEvent::Models(first);
            while !*closing.borrow_and_update() {
                let next = tokio::select! {
                    next = events.recv() => next,
                    _ = closing.changed() => break,
                };
                match next {
                    Ok(event) => yield event,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        if let Ok((installed, running)) = tokio::try_join!(admin.list(false), admin.running()) {
                            yield OllamaEvent::Models(models::merge(&name, installed, &running));
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        };
        Ok(stream.boxed())
    }

    /// The models after a change, told to subscribers.
    async fn changed(&self) -> Result<Vec<OllamaModel>> {
        let models = self.models(false).await?;
        let _nobody_listening = self.events.send(OllamaEvent::Models(models.clone()));
        Ok(models)
    }

    /// An Ollama failure in words an administrator can act on.
    fn error(&self, e: OllamaAdminError) -> Error {
        let at = &self.base_url;
        match e {
            OllamaAdminError::NotFound(_) => Error::NotFound("model"),
            OllamaAdminError::Unreachable(reason) => Error::Unavailable(format!(
                "Ollama at {at} is not reachable ({reason}); check the URL and that Ollama is running"
            )),
            OllamaAdminError::KeyRefused => Error::Unavailable(format!(
                "Ollama at {at} refused the API key; check the key saved for the connection {:?}",
                self.name
            )),
            OllamaAdminError::Busy => Error::Unavailable(format!("Ollama at {at} is busy; try again shortly")),
            OllamaAdminError::Refused(reason) => Error::invalid("model", format!("Ollama refused it: {reason}")),
            OllamaAdminError::PullFailed { .. } => Error::Unavailable(e.to_string()),
            OllamaAdminError::Failed(reason) => Error::Unavailable(format!("Ollama at {at} failed: {reason}")),
        }
    }
}
