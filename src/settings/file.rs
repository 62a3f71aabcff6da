//! The `webplus.toml` layer and the `WEBPLUS_*` environment layer.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, str::FromStr};

use serde::Deserialize;

use super::{LogFormat, OpenAiSettings, Secret, Settings, SettingsError};

/// `webplus.toml`: every key optional; unknown keys are errors so typos do not pass silently.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSettings {
    addr: Option<String>,
    data_dir: Option<PathBuf>,
    pub(super) database_url: Option<String>,
    models_dir: Option<PathBuf>,
    jwt_secret: Option<Secret>,
    log_format: Option<String>,
    site_root: Option<PathBuf>,
    cors_origins: Option<Vec<String>>,
    max_body_bytes: Option<usize>,
    default_model: Option<String>,
    access_token_ttl_secs: Option<u64>,
    refresh_token_ttl_secs: Option<u64>,
    trust_proxy: Option<bool>,
    public_url: Option<String>,
    metrics_token: Option<Secret>,
    metrics_addr: Option<String>,
    local: Option<FileLocal>,
    openai: Option<FileOpenAi>,
    sitechat: Option<FileSiteChat>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSiteChat {
    crawl_allow_private_hosts: Option<Vec<String>>,
    embedding_model: Option<String>,
    bedrock_region: Option<String>,
    bedrock_endpoint_url: Option<String>,
    widget_requests_per_minute: Option<u32>,
    max_upload_bytes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLocal {
    model_path: Option<PathBuf>,
    model_id: Option<String>,
    max_concurrent: Option<usize>,
    max_queue: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOpenAi {
    base_url: Option<String>,
    api_key: Option<Secret>,
    models: Option<Vec<String>>,
}

pub(super) fn parse(text: &str) -> Result<FileSettings, SettingsError> {
    toml::from_str(text).map_err(|e| {
        // toml's message names the key and line; it never contains secrets other than what the
        // file itself holds at that spot, so keep only the first line.
        let msg = e.message().lines().next().unwrap_or("invalid TOML").to_string();
        SettingsError::new("webplus.toml", format!("valid settings ({msg})"), None)
    })
}

impl FileSettings {
    pub(super) fn apply(self, s: &mut Settings) -> Result<(), SettingsError> {
        if let Some(v) = self.addr {
            s.addr = parse_addr("addr", &v)?;
        }
        set(&mut s.data_dir, self.data_dir);
        set(&mut s.database_url, self.database_url);
        set(&mut s.models_dir, self.models_dir);
        if self.jwt_secret.is_some() {
            s.jwt_secret = self.jwt_secret;
        }
        if let Some(v) = self.log_format {
            s.log_format = parse_log_format("log_format", &v)?;
        }
        set(&mut s.site_root, self.site_root);
        set(&mut s.cors_origins, self.cors_origins);
        set(&mut s.max_body_bytes, self.max_body_bytes);
        set(&mut s.default_model, self.default_model);
        set(&mut s.access_token_ttl_secs, self.access_token_ttl_secs);
        set(&mut s.refresh_token_ttl_secs, self.refresh_token_ttl_secs);
        set(&mut s.trust_proxy, self.trust_proxy);
        if self.public_url.is_some() {
            s.public_url = self.public_url;
        }
        if self.metrics_token.is_some() {
            s.metrics_token = self.metrics_token;
        }
        if let Some(v) = self.metrics_addr {
            s.metrics_addr = Some(parse_addr("metrics_addr", &v)?);
        }
        if let Some(l) = self.local {
            if l.model_path.is_some() {
                s.local.model_path = l.model_path;
            }
            set(&mut s.local.model_id, l.model_id);
            set(&mut s.local.max_concurrent, l.max_concurrent);
            set(&mut s.local.max_queue, l.max_queue);
        }
        if let Some(c) = self.sitechat {
            set(&mut s.sitechat.crawl_allow_private_hosts, c.crawl_allow_private_hosts);
            set(&mut s.sitechat.embedding_model, c.embedding_model);
            set(&mut s.sitechat.bedrock_region, c.bedrock_region);
            if c.bedrock_endpoint_url.is_some() {
                s.sitechat.bedrock_endpoint_url = c.bedrock_endpoint_url;
            }
            set(&mut s.sitechat.widget_requests_per_minute, c.widget_requests_per_minute);
            set(&mut s.sitechat.max_upload_bytes, c.max_upload_bytes);
        }
        if let Some(o) = self.openai {
            let base_url = o.base_url.ok_or_else(|| {
                SettingsError::new(
                    "openai.base_url",
                    "the URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1",
                    None,
                )
            })?;
            s.openai = Some(OpenAiSettings {
                base_url,
                api_key: o.api_key.unwrap_or_else(|| Secret::new("")),
                models: o.models.unwrap_or_default(),
            });
        }
        Ok(())
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

pub(super) fn apply_env(s: &mut Settings, env: &HashMap<String, String>) -> Result<(), SettingsError> {
    let get = |k: &str| env.get(k).map(|v| v.trim().to_string());
    if let Some(v) = get("WEBPLUS_ADDR") {
        s.addr = parse_addr("WEBPLUS_ADDR", &v)?;
    }
    if let Some(v) = get("WEBPLUS_DATA_DIR") {
        s.data_dir = PathBuf::from(v);
    }
    if let Some(v) = get("WEBPLUS_DATABASE_URL") {
        s.database_url = v;
    }
    if let Some(v) = get("WEBPLUS_MODELS_DIR") {
        s.models_dir = PathBuf::from(v);
    }
    if let Some(v) = env.get("WEBPLUS_JWT_SECRET") {
        s.jwt_secret = Some(Secret::new(v.clone()));
    }
    if let Some(v) = get("WEBPLUS_LOG_FORMAT") {
        s.log_format = parse_log_format("WEBPLUS_LOG_FORMAT", &v)?;
    }
    if let Some(v) = get("WEBPLUS_SITE_ROOT") {
        s.site_root = PathBuf::from(v);
    }
    if let Some(v) = get("WEBPLUS_CORS_ORIGINS") {
        s.cors_origins = list(&v);
    }
    if let Some(v) = get("WEBPLUS_MAX_BODY_BYTES") {
        s.max_body_bytes = number("WEBPLUS_MAX_BODY_BYTES", &v)?;
    }
    if let Some(v) = get("WEBPLUS_DEFAULT_MODEL") {
        s.default_model = v;
    }
    if let Some(v) = get("WEBPLUS_ACCESS_TOKEN_TTL_SECS") {
        s.access_token_ttl_secs = number("WEBPLUS_ACCESS_TOKEN_TTL_SECS", &v)?;
    }
    if let Some(v) = get("WEBPLUS_REFRESH_TOKEN_TTL_SECS") {
        s.refresh_token_ttl_secs = number("WEBPLUS_REFRESH_TOKEN_TTL_SECS", &v)?;
    }
    if let Some(v) = get("WEBPLUS_TRUST_PROXY") {
        s.trust_proxy = match v.as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => {
                return Err(SettingsError::new("WEBPLUS_TRUST_PROXY", "true or false", Some(v)));
            }
        };
    }
    if let Some(v) = get("WEBPLUS_PUBLIC_URL") {
        s.public_url = Some(v).filter(|v| !v.is_empty());
    }
    if let Some(v) = env.get("WEBPLUS_METRICS_TOKEN") {
        s.metrics_token = Some(Secret::new(v.trim())).filter(|t| !t.expose().is_empty());
    }
    if let Some(v) = get("WEBPLUS_METRICS_ADDR") {
        s.metrics_addr = Some(parse_addr("WEBPLUS_METRICS_ADDR", &v)?);
    }
    if let Some(v) = get("WEBPLUS_LOCAL_MODEL_PATH") {
        s.local.model_path = Some(PathBuf::from(v));
    }
    if let Some(v) = get("WEBPLUS_LOCAL_MAX_CONCURRENT") {
        s.local.max_concurrent = number("WEBPLUS_LOCAL_MAX_CONCURRENT", &v)?;
    }
    if let Some(v) = get("WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS") {
        s.sitechat.crawl_allow_private_hosts = list(&v);
    }
    if let Some(v) = get("WEBPLUS_EMBEDDING_MODEL") {
        s.sitechat.embedding_model = v;
    }
    if let Some(v) = get("WEBPLUS_BEDROCK_REGION") {
        s.sitechat.bedrock_region = v;
    }
    if let Some(v) = get("WEBPLUS_BEDROCK_ENDPOINT_URL") {
        s.sitechat.bedrock_endpoint_url = Some(v);
    }
    if let Some(v) = get("WEBPLUS_WIDGET_REQUESTS_PER_MINUTE") {
        s.sitechat.widget_requests_per_minute = number("WEBPLUS_WIDGET_REQUESTS_PER_MINUTE", &v)?;
    }
    if let Some(v) = get("WEBPLUS_MAX_UPLOAD_BYTES") {
        s.sitechat.max_upload_bytes = number("WEBPLUS_MAX_UPLOAD_BYTES", &v)?;
    }
    if let Some(base_url) = get("WEBPLUS_OPENAI_BASE_URL") {
        let prev = s.openai.take();
        s.openai = Some(OpenAiSettings {
            base_url,
            api_key: prev.as_ref().map(|p| p.api_key.clone()).unwrap_or_else(|| Secret::new("")),
            models: prev.map(|p| p.models).unwrap_or_default(),
        });
    }
    if let Some(v) = env.get("WEBPLUS_OPENAI_API_KEY") {
        match s.openai.as_mut() {
            Some(o) => o.api_key = Secret::new(v.trim()),
            None => {
                return Err(SettingsError::new(
                    "WEBPLUS_OPENAI_BASE_URL",
                    "a base URL whenever WEBPLUS_OPENAI_API_KEY is set (https://api.openai.com/v1 for OpenAI)",
                    None,
                ));
            }
        }
    }
    if let Some(v) = get("WEBPLUS_OPENAI_MODELS") {
        match s.openai.as_mut() {
            Some(o) => o.models = list(&v),
            None => {
                return Err(SettingsError::new(
                    "WEBPLUS_OPENAI_BASE_URL",
                    "a base URL whenever WEBPLUS_OPENAI_MODELS is set",
                    None,
                ));
            }
        }
    }
    Ok(())
}

fn parse_addr(key: &str, v: &str) -> Result<SocketAddr, SettingsError> {
    SocketAddr::from_str(v)
        .map_err(|_| SettingsError::new(key, "an address and port like 127.0.0.1:3000", Some(v.into())))
}

fn parse_log_format(key: &str, v: &str) -> Result<LogFormat, SettingsError> {
    match v {
        "json" => Ok(LogFormat::Json),
        "pretty" => Ok(LogFormat::Pretty),
        _ => Err(SettingsError::new(key, "json or pretty", Some(v.into()))),
    }
}

fn number<T: FromStr>(key: &str, v: &str) -> Result<T, SettingsError> {
    v.parse().map_err(|_| SettingsError::new(key, "a whole number", Some(v.into())))
}

fn list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}
