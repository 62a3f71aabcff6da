//! Typed, layered settings: defaults, then `webplus.toml`, then `WEBPLUS_*` environment variables.
//!
//! Every invalid value stops start-up with a [`SettingsError`] that names the key and the form it
//! expects. The server and the `webplus admin` commands load settings the same way, so they act on
//! the same database.

mod env;
mod errors;
mod jwt_secret;
mod keys;
mod secret;
mod validate;

use std::{collections::HashMap, net::SocketAddr, path::PathBuf};

use crate::answer::AnswerStyle;
use figment::{
    Figment,
    providers::{Format, Toml},
};
use serde::Deserialize;

pub use errors::SettingsError;
pub use jwt_secret::{resolve_connection_key, resolve_jwt_secret};
pub use keys::{Form, KEYS, Key};
pub use secret::Secret;

// The structs below are the declaration: their fields are the `webplus.toml` keys, their
// `Default`s the defaults; `keys::KEYS` names each one's environment variable and expected form.
// `deny_unknown_fields` makes a misspelt key in the file an error that names it.

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable (development).
    Pretty,
}

/// The local model runner.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalSettings {
    /// A GGUF file to use instead of the default model.
    pub model_path: Option<PathBuf>,
    /// Model id shown to users.
    pub model_id: String,
    /// Generations that run at once.
    pub max_concurrent: usize,
    /// Generations that may wait for a slot before new ones are refused.
    pub max_queue: usize,
    /// How the local models answer from knowledge bases: `quote` the passages' sentences that
    /// answer (exact, at once) or `generate` from the passages.
    pub grounded_answers: AnswerStyle,
}

impl Default for LocalSettings {
    fn default() -> Self {
        Self {
            model_path: None,
            model_id: "smollm2-135m".into(),
            max_concurrent: 1,
            max_queue: 16,
            grounded_answers: AnswerStyle::Quote,
        }
    }
}

/// An OpenAI-compatible upstream. The section exists once any of its keys is given, and then
/// needs `base_url`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenAiSettings {
    pub base_url: String,
    #[serde(default)]
    pub api_key: Secret,
    /// Models to offer; empty means "ask the server".
    #[serde(default)]
    pub models: Vec<String>,
}

/// Anthropic's Messages API (Claude). The section exists once any of its keys is given, and then
/// needs `api_key`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnthropicSettings {
    pub api_key: Secret,
    /// Without the version (`/v1/messages` is appended).
    #[serde(default = "default_anthropic_base_url")]
    pub base_url: String,
    /// Models to offer; empty means "ask Anthropic".
    #[serde(default)]
    pub models: Vec<String>,
}

fn default_anthropic_base_url() -> String {
    "https://api.anthropic.com".into()
}

/// An Ollama server, declared as the connection `ollama`. The section exists once any of its keys
/// is given.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OllamaSettings {
    #[serde(default = "default_ollama_base_url")]
    pub base_url: String,
    /// Models to offer; empty means "ask the server".
    #[serde(default)]
    pub models: Vec<String>,
}

fn default_ollama_base_url() -> String {
    "http://127.0.0.1:11434".into()
}

/// Chat models on AWS Bedrock, declared as the connection `bedrock`: in the region (and through
/// the endpoint) of `sitechat.bedrock_region` / `bedrock_endpoint_url`, which Bedrock embeddings
/// use too, with the AWS default credential chain. The section exists once `models` is given.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BedrockSettings {
    /// Model ids to offer (Bedrock's runtime cannot list them).
    pub models: Vec<String>,
}

/// SiteChat: knowledge bases, crawling, embeddings and the widget.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteChatSettings {
    /// Host names or addresses the crawler may fetch although they are private (loopback, LAN, ...).
    pub crawl_allow_private_hosts: Vec<String>,
    /// Embedder for new knowledge bases: `local:all-minilm-l6-v2`, `openai:<model>` or `bedrock:<model id>`.
    pub embedding_model: String,
    /// AWS region and optional endpoint for `bedrock:` embedders and `[bedrock]` chat models
    /// (credentials: the AWS default chain).
    pub bedrock_region: String,
    pub bedrock_endpoint_url: Option<String>,
    /// Questions per minute one visitor (IP address) may ask a published knowledge base's widget.
    pub widget_requests_per_minute: u32,
    /// Largest uploaded file, in bytes; an upload request may carry up to 20 of them.
    pub max_upload_bytes: usize,
}

impl Default for SiteChatSettings {
    fn default() -> Self {
        Self {
            crawl_allow_private_hosts: Vec::new(),
            embedding_model: "local:all-minilm-l6-v2".into(),
            bedrock_region: "us-east-1".into(),
            bedrock_endpoint_url: None,
            widget_requests_per_minute: 20,
            max_upload_bytes: 20 * 1024 * 1024,
        }
    }
}

/// Answers generated at once unless `max_streams` says otherwise.
pub const DEFAULT_MAX_STREAMS: usize = 5000;

/// Everything the server and the admin commands are configured with. `Debug` shows the database URL
/// without its password (secrets print as `Secret(..)`).
#[derive(Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub models_dir: PathBuf,
    /// `None` until [`resolve_jwt_secret`] fills it from the data dir.
    pub jwt_secret: Option<Secret>,
    /// Encrypts the API keys of provider connections stored in the database. `None` until
    /// [`resolve_connection_key`] fills it from the data dir.
    pub connection_key: Option<Secret>,
    pub log_format: LogFormat,
    /// Where the built site (WASM, JS, CSS, assets) is served from.
    pub site_root: PathBuf,
    /// Origins allowed to call the API from a browser (CORS). Empty: same origin only.
    pub cors_origins: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Model used when a request names none.
    pub default_model: String,
    /// Lifetime of an access token in seconds (at most 900).
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token family in seconds.
    pub refresh_token_ttl_secs: u64,
    /// Trust `X-Forwarded-For` / `X-Forwarded-Proto` (only behind a reverse proxy you run).
    pub trust_proxy: bool,
    /// The URL people reach this server at (`https://chat.example.com`). Its host name is the only
    /// `Host` accepted besides loopback names (against DNS rebinding). Validated: http(s) with a host.
    pub public_url: Option<String>,
    /// When set, `GET /metrics` needs `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// When set, `/metrics` is served only on this address (a second listener), not on `addr`.
    pub metrics_addr: Option<SocketAddr>,
    /// Threads of the async runtime (HTTP, streaming). `None`: one per CPU core
    /// (`server/src/runtime.rs` has the measurements behind that).
    pub worker_threads: Option<usize>,
    /// Answers being generated at once, all callers together (chat, widget, `/v1`, pipelines);
    /// one more is refused with 429 and `Retry-After` rather than slowing every stream down.
    pub max_streams: usize,
    pub local: LocalSettings,
    pub openai: Option<OpenAiSettings>,
    pub anthropic: Option<AnthropicSettings>,
    pub ollama: Option<OllamaSettings>,
    pub bedrock: Option<BedrockSettings>,
    pub sitechat: SiteChatSettings,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Destructured, so a new field does not compile until it is shown here too.
        let Settings {
            addr,
            data_dir,
            database_url,
            models_dir,
            jwt_secret,
            connection_key,
            log_format,
            site_root,
            cors_origins,
            max_body_bytes,
            default_model,
            access_token_ttl_secs,
            refresh_token_ttl_secs,
            trust_proxy,
            public_url,
            metrics_token,
            metrics_addr,
            worker_threads,
            max_streams,
            local,
            openai,
            anthropic,
            ollama,
            bedrock,
            sitechat,
        } = self;
        f.debug_struct("Settings")
            .field("addr", addr)
            .field("data_dir", data_dir)
            .field("database_url", &url_without_password(database_url))
            .field("models_dir", models_dir)
            .field("jwt_secret", jwt_secret)
            .field("connection_key", connection_key)
            .field("log_format", log_format)
            .field("site_root", site_root)
            .field("cors_origins", cors_origins)
            .field("max_body_bytes", max_body_bytes)
            .field("default_model", default_model)
            .field("access_token_ttl_secs", access_token_ttl_secs)
            .field("refresh_token_ttl_secs", refresh_token_ttl_secs)
            .field("trust_proxy", trust_proxy)
            .field("public_url", public_url)
            .field("metrics_token", metrics_token)
            .field("metrics_addr", metrics_addr)
            .field("worker_threads", worker_threads)
            .field("max_streams", max_streams)
            .field("local", local)
            .field("openai", openai)
            .field("anthropic", anthropic)
            .field("ollama", ollama)
            .field("bedrock", bedrock)
            .field("sitechat", sitechat)
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::defaults()
    }
}

impl Settings {
    /// Defaults for a data directory: everything embedded, nothing external.
    pub fn defaults() -> Self {
        let data_dir = PathBuf::from("data");
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: sqlite_url_in(&data_dir),
            data_dir,
            models_dir: default_models_dir(),
            jwt_secret: None,
            connection_key: None,
            log_format: LogFormat::Pretty,
            site_root: PathBuf::from("target/site"),
            cors_origins: Vec::new(),
            max_body_bytes: 2 * 1024 * 1024,
            default_model: "smollm2-135m".into(),
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            trust_proxy: false,
            public_url: None,
            metrics_token: None,
            metrics_addr: None,
            worker_threads: None,
            max_streams: DEFAULT_MAX_STREAMS,
            local: LocalSettings::default(),
            openai: None,
            anthropic: None,
            ollama: None,
            bedrock: None,
            sitechat: SiteChatSettings::default(),
        }
    }

    /// Loads settings from `webplus.toml` (or the file named by `WEBPLUS_CONFIG`) and the process
    /// environment.
    pub fn load() -> Result<Self, SettingsError> {
        // Variables that are not Unicode cannot be settings; they are left out, not a panic.
        let env: HashMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| k.starts_with("WEBPLUS_"))
            .collect();
        let path = env.get("WEBPLUS_CONFIG").map(PathBuf::from);
        let explicit = path.is_some();
        let path = path.unwrap_or_else(|| PathBuf::from("webplus.toml"));
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => None,
            Err(e) => {
                return Err(SettingsError::new(
                    "WEBPLUS_CONFIG",
                    format!("a readable TOML file ({e})"),
                    Some(path.display().to_string()),
                ));
            }
        };
        Self::from_sources(text.as_deref(), &env)
    }

    /// Builds settings from a TOML text and a map of environment variables: the defaults, then
    /// the file, then the variables (`keys::KEYS` maps each to its key), each layer winning over
    /// the one before.
    pub fn from_sources(toml_text: Option<&str>, env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let env = env::EnvLayer::new(env);
        let file = Figment::from(Toml::string(toml_text.unwrap_or_default()));
        let database_url_given = file.contains("database_url") || env.get(keys::by_file("database_url")).is_some();
        // Defaults come from the structs' `Default`s (`#[serde(default)]`), not a serialised copy:
        // `Secret` has no `Serialize`, so no settings value can be written out with a secret in it.
        let figment = file.merge(&env);
        let origin = errors::Origin { env: &env, figment: &figment };
        // Lenient: an environment variable is text, "8080" must read as a number.
        let mut s: Self = figment.extract_lossy().map_err(|e| origin.explain(e))?;
        // The default database lives in the data directory, wherever that was set to.
        if !database_url_given {
            s.database_url = sqlite_url_in(&s.data_dir);
        }
        validate::validate(&s, &origin)?;
        Ok(s)
    }
}

impl Settings {
    /// The host name of [`Settings::public_url`], lower-case (IPv6 in brackets).
    pub fn public_host(&self) -> Option<String> {
        self.public_url.as_deref().and_then(public_host)
    }
}

fn public_host(url: &str) -> Option<String> {
    let u = url::Url::parse(url.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    u.host_str().filter(|h| !h.is_empty()).map(|h| h.trim_end_matches('.').to_ascii_lowercase())
}

/// The SQLite database inside a data directory, created if missing.
pub fn sqlite_url_in(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("webplus.db").display())
}

/// A database URL with its password (if any) replaced: for error messages, logs and `Debug`.
pub fn url_without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &url[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or_default();
            let hidden = if user_info.contains(':') { ":[redacted]" } else { "" };
            format!("{}://{user}{hidden}@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Where downloaded model weights live by default: a per-user cache, so fresh clones reuse them.
pub fn default_models_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("webplus/models");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h).join(".cache/webplus/models");
    }
    PathBuf::from("data/models")
}

#[cfg(test)]
mod tests;
