//! Typed, layered settings: defaults, then `webplus.toml`, then `WEBPLUS_*` environment variables.
//!
//! Every invalid value stops start-up with a [`SettingsError`] that names the key and the form it
//! expects. The server and the `webplus admin` commands load settings the same way, so they act on
//! the same database.

mod file;
mod jwt_secret;
mod secret;

use std::{collections::HashMap, net::SocketAddr, path::PathBuf};

pub use jwt_secret::resolve_jwt_secret;
pub use secret::Secret;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable (development).
    Pretty,
}

/// The local model runner.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalSettings {
    /// A GGUF file to use instead of the default model.
    pub model_path: Option<PathBuf>,
    /// Model id shown to users.
    pub model_id: String,
    /// Generations that run at once.
    pub max_concurrent: usize,
    /// Generations that may wait for a slot before new ones are refused.
    pub max_queue: usize,
}

/// An OpenAI-compatible upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAiSettings {
    pub base_url: String,
    pub api_key: Secret,
    /// Models to offer; empty means "ask the server".
    pub models: Vec<String>,
}

/// SiteChat: knowledge bases, crawling, embeddings and the widget.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteChatSettings {
    /// Host names or addresses the crawler may fetch although they are private (loopback, LAN, ...).
    pub crawl_allow_private_hosts: Vec<String>,
    /// Embedder for new knowledge bases: `local:all-minilm-l6-v2`, `openai:<model>` or `bedrock:<model id>`.
    pub embedding_model: String,
    /// AWS region and optional endpoint for `bedrock:` embedders (credentials: the AWS default chain).
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

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub models_dir: PathBuf,
    /// `None` until [`resolve_jwt_secret`] fills it from the data dir.
    pub jwt_secret: Option<Secret>,
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
    pub local: LocalSettings,
    pub openai: Option<OpenAiSettings>,
    pub sitechat: SiteChatSettings,
}

/// A setting that could not be used: the key, what it should look like, what was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {key}: expected {expected}{}", got.as_ref().map(|g| format!(", got {g:?}")).unwrap_or_default())]
pub struct SettingsError {
    pub key: String,
    pub expected: String,
    pub got: Option<String>,
}

impl SettingsError {
    pub fn new(key: impl Into<String>, expected: impl Into<String>, got: Option<String>) -> Self {
        Self { key: key.into(), expected: expected.into(), got }
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
            local: LocalSettings {
                model_path: None,
                model_id: "smollm2-135m".into(),
                max_concurrent: 1,
                max_queue: 16,
            },
            openai: None,
            sitechat: SiteChatSettings::default(),
        }
    }

    /// Loads settings from `webplus.toml` (or the file named by `WEBPLUS_CONFIG`) and the process
    /// environment.
    pub fn load() -> Result<Self, SettingsError> {
        let env: HashMap<String, String> = std::env::vars().filter(|(k, _)| k.starts_with("WEBPLUS_")).collect();
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

    /// Builds settings from a TOML text and an environment map; later layers win.
    pub fn from_sources(toml_text: Option<&str>, env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let mut s = Self::defaults();
        let mut database_url_given = false;
        if let Some(text) = toml_text {
            let f = file::parse(text)?;
            database_url_given |= f.database_url.is_some();
            f.apply(&mut s)?;
        }
        database_url_given |= env.contains_key("WEBPLUS_DATABASE_URL");
        file::apply_env(&mut s, env)?;
        if !database_url_given {
            s.database_url = sqlite_url_in(&s.data_dir);
        }
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres")) {
            return Err(SettingsError::new(
                "WEBPLUS_DATABASE_URL",
                "a sqlite:// or postgres:// URL",
                Some(redact_url(&self.database_url)),
            ));
        }
        if self.access_token_ttl_secs == 0 || self.access_token_ttl_secs > 900 {
            return Err(SettingsError::new(
                "WEBPLUS_ACCESS_TOKEN_TTL_SECS",
                "a number of seconds from 1 to 900",
                Some(self.access_token_ttl_secs.to_string()),
            ));
        }
        let model = &self.sitechat.embedding_model;
        if !(model == "local:all-minilm-l6-v2" || model.starts_with("openai:") || model.starts_with("bedrock:")) {
            return Err(SettingsError::new(
                "WEBPLUS_EMBEDDING_MODEL",
                "local:all-minilm-l6-v2, openai:<model> or bedrock:<model id>",
                Some(model.clone()),
            ));
        }
        if self.sitechat.widget_requests_per_minute == 0 {
            return Err(SettingsError::new(
                "WEBPLUS_WIDGET_REQUESTS_PER_MINUTE",
                "a whole number of at least 1",
                Some("0".into()),
            ));
        }
        if self.local.max_concurrent == 0 {
            return Err(SettingsError::new(
                "WEBPLUS_LOCAL_MAX_CONCURRENT",
                "a whole number of at least 1",
                Some("0".into()),
            ));
        }
        if let Some(url) = &self.public_url {
            public_host(url).ok_or_else(|| {
                SettingsError::new(
                    "WEBPLUS_PUBLIC_URL",
                    "an http:// or https:// URL with a host name, like https://chat.example.com",
                    Some(url.clone()),
                )
            })?;
        }
        if let Some(t) = &self.metrics_token
            && t.expose().len() < 16
        {
            return Err(SettingsError::new("WEBPLUS_METRICS_TOKEN", "at least 16 characters", None));
        }
        if let Some(s) = &self.jwt_secret
            && s.expose().len() < 32
        {
            return Err(SettingsError::new(
                "WEBPLUS_JWT_SECRET",
                "at least 32 characters (or leave it unset to generate one)",
                None,
            ));
        }
        Ok(())
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

/// A database URL with any password replaced, safe for error messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://[redacted]@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests;
