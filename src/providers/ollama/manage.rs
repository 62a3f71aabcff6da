//! Managing an Ollama server's models for the admin page: what is installed (cached for a while),
//! what is loaded and until when, loading and unloading, pulling with progress, deleting, a
//! model's details, and the server's version as a connection test.
//!
//! Loading and unloading are Ollama's documented `POST /api/generate` with no prompt: `keep_alive`
//! says for how long (0 unloads). Nothing here is retried.

mod errors;
mod pull;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::BoxStream;
use reqwest::Method;
use serde::{Deserialize, Serialize};

pub use errors::OllamaAdminError;

use super::OllamaConfig;
use super::api::{Api, CallError};
use super::request::KeepAlive;
use super::wire::{Ps, Show, Tags, Version};

/// How long [`OllamaAdmin::list`] answers from its cache unless asked to refresh.
const DEFAULT_LIST_TTL: Duration = Duration::from_secs(30);

/// A model installed on the server (`GET /api/tags`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalledModel {
    pub name: String,
    /// On disk, in bytes.
    pub size: u64,
    /// RFC 3339, as Ollama sends it.
    pub modified_at: String,
    pub family: Option<String>,
    /// `8.0B`, `13B`, ...
    pub parameter_size: Option<String>,
    /// `Q4_K_M`, `Q8_0`, `F16`, ...
    pub quantization_level: Option<String>,
}

/// A model loaded in memory (`GET /api/ps`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunningModel {
    pub name: String,
    /// In memory, in bytes, of which `size_vram` on the GPU.
    pub size: u64,
    pub size_vram: u64,
    /// When Ollama unloads it, RFC 3339 as Ollama sends it, and as Unix milliseconds if it parses.
    pub expires_at: String,
    pub expires_at_ms: Option<i64>,
}

/// What `POST /api/show` says about a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelDetails {
    pub format: Option<String>,
    pub family: Option<String>,
    pub parameter_size: Option<String>,
    pub quantization_level: Option<String>,
    /// The Modelfile's `PARAMETER` lines (`num_ctx 4096`, `stop "<|eot_id|>"`, ...).
    pub parameters: Option<String>,
    /// The prompt template (Go template syntax).
    pub template: Option<String>,
    /// The window the model was trained with (`<architecture>.context_length` of its metadata).
    pub context_length: Option<u64>,
    /// `completion`, `tools`, `vision`, `thinking`, ... (newer servers only).
    pub capabilities: Vec<String>,
}

/// One report of a pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullProgress {
    pub status: String,
    /// The layer being downloaded, with its size and the bytes done so far.
    pub digest: Option<String>,
    pub total: Option<u64>,
    pub completed: Option<u64>,
}

impl PullProgress {
    /// The last report of a pull that worked.
    pub fn is_success(&self) -> bool {
        self.status == "success"
    }
}

/// The progress of a pull, ending after `success` or with the error that stopped it.
pub type PullStream = BoxStream<'static, Result<PullProgress, OllamaAdminError>>;

/// The installed models as last listed, and when.
#[derive(Default)]
struct ListCache(tokio::sync::Mutex<Option<(Instant, Vec<InstalledModel>)>>);

impl ListCache {
    async fn forget(&self) {
        *self.0.lock().await = None;
    }
}

/// The model manager of one Ollama server.
pub struct OllamaAdmin {
    api: Arc<Api>,
    listed: Arc<ListCache>,
    list_ttl: Duration,
}

impl OllamaAdmin {
    /// For the server `config` names (its key and timeout; the model list and keep-alive are the
    /// chat's and unused here).
    pub fn new(config: &OllamaConfig) -> Self {
        Self { api: Arc::new(Api::new(config)), listed: Arc::default(), list_ttl: DEFAULT_LIST_TTL }
    }

    /// How long [`OllamaAdmin::list`] answers from its cache (30 s unless set).
    pub fn with_list_ttl(mut self, ttl: Duration) -> Self {
        self.list_ttl = ttl;
        self
    }

    /// Ollama's version (`GET /api/version`); an answer means the connection works.
    pub async fn version(&self) -> Result<String, OllamaAdminError> {
        let request = self.request(Method::GET, "/api/version", "")?;
        let version: Version = self.call_json(request, "").await?;
        Ok(version.version)
    }

    /// The installed models, from the cache while it is younger than the TTL unless `refresh`.
    /// Pulling or deleting through this manager forgets the cache.
    pub async fn list(&self, refresh: bool) -> Result<Vec<InstalledModel>, OllamaAdminError> {
        // Held across the call, so concurrent callers wait for one listing instead of each sending
        // their own.
        let mut cached = self.listed.0.lock().await;
        if let Some((at, models)) = cached.as_ref()
            && !refresh
            && at.elapsed() < self.list_ttl
        {
            return Ok(models.clone());
        }
        let request = self.request(Method::GET, "/api/tags", "")?;
        let tags: Tags = self.call_json(request, "").await?;
        let models: Vec<InstalledModel> = tags
            .models
            .into_iter()
            .map(|m| InstalledModel {
                name: m.name().to_owned(),
                size: m.size,
                modified_at: m.modified_at,
                family: m.details.family,
                parameter_size: m.details.parameter_size,
                quantization_level: m.details.quantization_level,
            })
            .collect();
        *cached = Some((Instant::now(), models.clone()));
        Ok(models)
    }

    /// The models loaded in memory, the one to stay longest first.
    pub async fn running(&self) -> Result<Vec<RunningModel>, OllamaAdminError> {
        let request = self.request(Method::GET, "/api/ps", "")?;
        let ps: Ps = self.call_json(request, "").await?;
        Ok(ps
            .models
            .into_iter()
            .map(|m| RunningModel {
                name: m.name().to_owned(),
                size: m.size,
                size_vram: m.size_vram,
                expires_at_ms: crate::time::rfc3339_to_ms(&m.expires_at),
                expires_at: m.expires_at,
            })
            .collect())
    }

    /// Loads `model` and keeps it loaded for `keep_alive` (`"10m"`, `"-1"` for ever; `None` is
    /// the server's default, 5 minutes). Returns once it is loaded, which for a large model
    /// takes a while (bounded by the configured timeout).
    pub async fn start(&self, model: &str, keep_alive: Option<&str>) -> Result<(), OllamaAdminError> {
        self.generate(model, keep_alive.map(KeepAlive::parse)).await
    }

    /// Unloads `model` now (a model that is not loaded is no error).
    pub async fn stop(&self, model: &str) -> Result<(), OllamaAdminError> {
        self.generate(model, Some(KeepAlive::Seconds(0.0))).await
    }

    /// Starts pulling `model` from Ollama's library; see [`PullStream`].
    pub async fn pull(&self, model: &str) -> Result<PullStream, OllamaAdminError> {
        pull::start(Arc::clone(&self.api), Arc::clone(&self.listed), model).await
    }

    /// Deletes `model` and its files.
    pub async fn delete(&self, model: &str) -> Result<(), OllamaAdminError> {
        let request = self.request(Method::DELETE, "/api/delete", model)?.json(&ModelBody { model });
        self.api.empty(request).await.map_err(|e| self.error(e, model))?;
        tracing::info!(provider = &*self.api.name, model, "deleted a model from Ollama");
        self.listed.forget().await;
        Ok(())
    }

    /// What Ollama says about `model`.
    pub async fn show(&self, model: &str) -> Result<ModelDetails, OllamaAdminError> {
        let request = self.request(Method::POST, "/api/show", model)?.json(&ModelBody { model });
        let show: Show = self.call_json(request, model).await?;
        let context_length = show.model_info.as_ref().and_then(context_length);
        Ok(ModelDetails {
            format: show.details.format,
            family: show.details.family,
            parameter_size: show.details.parameter_size,
            quantization_level: show.details.quantization_level,
            parameters: show.parameters,
            template: show.template,
            context_length,
            capabilities: show.capabilities,
        })
    }

    async fn generate(&self, model: &str, keep_alive: Option<KeepAlive>) -> Result<(), OllamaAdminError> {
        let body = LoadBody { model, keep_alive };
        let request = self.request(Method::POST, "/api/generate", model)?.json(&body);
        let answer: GenerateDone = self.call_json(request, model).await?;
        if answer.done {
            Ok(())
        } else {
            Err(OllamaAdminError::Failed("Ollama did not confirm loading or unloading the model".into()))
        }
    }

    fn request(&self, method: Method, path: &str, model: &str) -> Result<reqwest::RequestBuilder, OllamaAdminError> {
        self.api.request(method, path).map_err(|e| self.error(e, model))
    }

    async fn call_json<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        model: &str,
    ) -> Result<T, OllamaAdminError> {
        self.api.json(request).await.map_err(|e| self.error(e, model))
    }

    fn error(&self, error: CallError, model: &str) -> OllamaAdminError {
        errors::from_call(error, model, &self.api.name, &|t| self.api.redact(t))
    }
}

#[derive(Serialize)]
struct ModelBody<'a> {
    model: &'a str,
}

/// A load or an unload: a generate request with only these (no prompt).
#[derive(Serialize)]
struct LoadBody<'a> {
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_alive: Option<KeepAlive>,
}

#[derive(Deserialize)]
struct GenerateDone {
    #[serde(default)]
    done: bool,
}

/// `<architecture>.context_length` of a model's metadata, or any `*.context_length` if the
/// architecture is not named.
fn context_length(info: &serde_json::Map<String, serde_json::Value>) -> Option<u64> {
    let architecture = info.get("general.architecture").and_then(|a| a.as_str());
    if let Some(n) = architecture.and_then(|a| info.get(&format!("{a}.context_length"))).and_then(|v| v.as_u64()) {
        return Some(n);
    }
    info.iter().find(|(k, _)| k.ends_with(".context_length")).and_then(|(_, v)| v.as_u64())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_context_length_is_the_architectures() {
        let info = json!({"general.architecture": "llama", "llama.context_length": 8192, "clip.context_length": 77});
        assert_eq!(info.as_object().and_then(context_length), Some(8192));
        assert_eq!(json!({"qwen2.context_length": 32768}).as_object().and_then(context_length), Some(32768));
        assert_eq!(json!({"general.architecture": "llama"}).as_object().and_then(context_length), None);
    }

    #[test]
    fn a_load_sends_only_the_model_and_keep_alive() {
        let load = LoadBody { model: "m", keep_alive: Some(KeepAlive::parse("10m")) };
        assert_eq!(serde_json::to_value(load).ok(), Some(json!({"model": "m", "keep_alive": "10m"})));
        let unload = LoadBody { model: "m", keep_alive: Some(KeepAlive::Seconds(0.0)) };
        assert_eq!(serde_json::to_value(unload).ok(), Some(json!({"model": "m", "keep_alive": 0.0})));
    }
}
