//! A fake Ollama server (its own API under `/api`), speaking the real wire protocol over real HTTP.
//!
//! Chat and generate answer with text derived from the last user turn (`You said: …`, one token
//! per word), streamed as JSON lines or whole, honour `num_predict` (`done_reason: "length"`) and
//! load the model (`/api/ps` shows it until its `keep_alive` runs out; an empty prompt loads,
//! `keep_alive: 0` unloads). Pulls stream Ollama's progress lines and install the model; the test
//! can hold each step until it releases it. Models can be shown and deleted. With a key configured
//! every request needs it as a bearer token (as a proxy in front of Ollama would). Every request is
//! recorded.
//!
//! ```no_run
//! # async fn demo() {
//! use webplus::fakes::{FakeOllama, FakeOllamaConfig, OllamaFailure};
//! let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
//! fake.fail_next([OllamaFailure::Busy]);
//! let base_url = fake.base_url(); // http://127.0.0.1:PORT (clients append /api/chat)
//! # }
//! ```

mod chat;
mod handlers;
mod pull;
mod wire;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::routing::{delete, get, post};
use tokio::sync::Semaphore;

use super::serving::Serving;

pub use chat::reply_to;

/// How the next requests fail, one failure each, in order (see [`FakeOllama::fail_next`]). Chat
/// failures apply to the next `POST /api/chat`, pull failures to the next `POST /api/pull`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OllamaFailure {
    /// HTTP 503, Ollama's "server busy" when its queue is full.
    Busy,
    /// HTTP 401 `{"error": "unauthorized"}` although the key is right (a proxy that changed it).
    KeyRevoked,
    /// A streamed chat sends this many lines of text, then `{"error": "..."}` and ends.
    ErrorLineAfter(usize),
    /// A pull sends this many progress lines, then `{"error": reason}` and ends.
    PullFailsAfter { lines: usize, reason: String },
}

/// A model the fake has or can pull; its details are made up from the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeModel {
    /// With its tag (`llama3.2:latest`); a name without one gets `:latest`.
    pub name: String,
    pub family: String,
    pub parameter_size: String,
    pub quantization_level: String,
    pub size: u64,
    pub digest: String,
    pub context_length: u32,
}

impl FakeModel {
    pub fn named(name: &str) -> FakeModel {
        let name = canonical(name);
        let family = name.split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("llama").to_owned();
        let digest = digest_of(&name);
        FakeModel {
            family,
            parameter_size: "3.2B".to_owned(),
            quantization_level: "Q4_K_M".to_owned(),
            size: 2_019_393_189,
            digest,
            context_length: 131_072,
            name,
        }
    }
}

/// Ollama's full name for `name`: the tag defaults to `latest`.
pub fn canonical(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') { name.to_owned() } else { format!("{name}:latest") }
}

/// A made-up digest (64 hex digits, the SHA-256 of `text`).
fn digest_of(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// What the fake serves. `Default`: one installed model, one more to pull, no key.
#[derive(Debug, Clone)]
pub struct FakeOllamaConfig {
    /// The bearer token every request must carry; `None` asks for none (Ollama itself).
    pub api_key: Option<String>,
    /// Installed at the start in this order, listed by `/api/tags` newest first.
    pub installed: Vec<FakeModel>,
    /// What `/api/pull` can fetch; other names fail as Ollama's registry does.
    pub library: Vec<FakeModel>,
    /// What `/api/version` says.
    pub version: String,
    /// Whether each pull step after the first waits for [`FakeOllama::release_pull_steps`].
    pub gated_pulls: bool,
}

impl Default for FakeOllamaConfig {
    fn default() -> Self {
        Self {
            api_key: None,
            installed: vec![FakeModel::named("llama3.2:latest")],
            library: vec![FakeModel::named("qwen3:0.6b")],
            version: "0.13.0".to_owned(),
            gated_pulls: false,
        }
    }
}

impl FakeOllamaConfig {
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    pub fn installed<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.installed = names.into_iter().map(|n| FakeModel::named(n.as_ref())).collect();
        self
    }

    pub fn library<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.library = names.into_iter().map(|n| FakeModel::named(n.as_ref())).collect();
        self
    }

    pub fn gated_pulls(mut self) -> Self {
        self.gated_pulls = true;
        self
    }
}

/// One request as it reached the fake, accepted or not.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeOllamaRequest {
    pub method: String,
    pub path: String,
    /// Header names lower-case; a header sent twice keeps its last value.
    pub headers: BTreeMap<String, String>,
    /// The JSON body (`Null` when there was none, a string when it was not JSON).
    pub body: serde_json::Value,
}

/// State shared by the handlers and the test holding the [`FakeOllama`].
struct Shared {
    config: FakeOllamaConfig,
    requests: Mutex<Vec<FakeOllamaRequest>>,
    chat_failures: Mutex<VecDeque<OllamaFailure>>,
    pull_failures: Mutex<VecDeque<OllamaFailure>>,
    /// Installed models with when they were last modified (Unix ms).
    installed: Mutex<Vec<(FakeModel, i64)>>,
    /// Loaded models by name, with when they expire (Unix ms).
    loaded: Mutex<BTreeMap<String, i64>>,
    /// Permits for pull steps when pulls are gated.
    pull_gate: Semaphore,
}

/// A handler panicking mid-test must not make every later assertion panic too, so poisoning is
/// ignored: the data is plain values, never half-updated.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn installed_model(&self, name: &str) -> Option<FakeModel> {
        let name = canonical(name);
        lock(&self.installed).iter().find(|(m, _)| m.name == name).map(|(m, _)| m.clone())
    }
}

/// A running fake. Shuts down when dropped.
pub struct FakeOllama {
    serving: Serving,
    shared: Arc<Shared>,
}

impl FakeOllama {
    /// Starts the fake on `127.0.0.1` with a free port. Panics if no port can be bound, which only
    /// happens on a broken test machine; use [`FakeOllama::try_start`] to handle that.
    pub async fn start(config: FakeOllamaConfig) -> FakeOllama {
        match Self::try_start(config).await {
            Ok(fake) => fake,
            Err(e) => panic!("the fake Ollama server could not bind 127.0.0.1:0: {e}"),
        }
    }

    pub async fn try_start(config: FakeOllamaConfig) -> std::io::Result<FakeOllama> {
        let shared = Arc::new(Shared {
            config,
            requests: Mutex::default(),
            chat_failures: Mutex::default(),
            pull_failures: Mutex::default(),
            installed: Mutex::default(),
            loaded: Mutex::default(),
            pull_gate: Semaphore::new(0),
        });
        // In the order given, so the last is the newest (and listed first).
        for model in &shared.config.installed {
            install(&shared, model.clone());
        }
        let app = Router::new()
            .route("/api/chat", post(chat::chat))
            .route("/api/generate", post(chat::generate))
            .route("/api/pull", post(pull::pull))
            .route("/api/tags", get(handlers::tags))
            .route("/api/ps", get(handlers::ps))
            .route("/api/show", post(handlers::show))
            .route("/api/delete", delete(handlers::delete))
            .route("/api/version", get(handlers::version))
            .fallback(handlers::unknown_url)
            .layer(axum::middleware::from_fn_with_state(shared.clone(), handlers::check_key))
            .layer(axum::middleware::from_fn_with_state(shared.clone(), handlers::record))
            .with_state(shared.clone());
        Ok(FakeOllama { serving: Serving::start(app, "Ollama").await?, shared })
    }

    /// What to configure a client with: `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.serving.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.serving.addr
    }

    /// Every request so far, in arrival order, including refused ones.
    pub fn requests(&self) -> Vec<FakeOllamaRequest> {
        lock(&self.shared.requests).clone()
    }

    /// The bodies of the requests to `path` (`/api/chat`), in arrival order.
    pub fn bodies(&self, path: &str) -> Vec<serde_json::Value> {
        lock(&self.shared.requests).iter().filter(|r| r.path == path).map(|r| r.body.clone()).collect()
    }

    /// The next requests fail like this, one failure each, in order (chat failures on chats,
    /// pull failures on pulls); later ones succeed.
    pub fn fail_next(&self, failures: impl IntoIterator<Item = OllamaFailure>) {
        for failure in failures {
            match failure {
                OllamaFailure::PullFailsAfter { .. } => lock(&self.shared.pull_failures).push_back(failure),
                _ => lock(&self.shared.chat_failures).push_back(failure),
            }
        }
    }

    /// Installs `name` behind the back of any client (as `ollama pull` on the server would).
    pub fn install(&self, name: &str) {
        install(&self.shared, FakeModel::named(name));
    }

    /// The installed models' names, most recently modified first (as `/api/tags` lists them).
    pub fn installed(&self) -> Vec<String> {
        sorted_installed(&self.shared).into_iter().map(|(m, _)| m.name).collect()
    }

    /// The loaded models with when they expire (Unix ms), expired ones left out.
    pub fn loaded(&self) -> BTreeMap<String, i64> {
        handlers::live_loaded(&self.shared)
    }

    /// Lets `steps` more pull steps through when pulls are gated.
    pub fn release_pull_steps(&self, steps: usize) {
        self.shared.pull_gate.add_permits(steps);
    }
}

/// Installs `model` now (replacing one of the same name).
fn install(shared: &Shared, model: FakeModel) {
    let mut installed = lock(&shared.installed);
    installed.retain(|(m, _)| m.name != model.name);
    // Later installs sort first even within one millisecond.
    let newest = installed.iter().map(|(_, at)| *at).max().unwrap_or(0);
    installed.push((model, crate::time::now_ms().max(newest + 1)));
}

fn sorted_installed(shared: &Shared) -> Vec<(FakeModel, i64)> {
    let mut installed = lock(&shared.installed).clone();
    installed.sort_by_key(|(_, at)| std::cmp::Reverse(*at));
    installed
}
