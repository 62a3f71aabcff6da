//! Rules a value must follow beyond its type, checked once every layer is applied.

use super::{Settings, SettingsError, errors::Origin, public_host};

/// More async threads than this is a typo, not a machine.
const MAX_WORKER_THREADS: usize = 1024;

pub(super) fn validate(s: &Settings, origin: &Origin<'_>) -> Result<(), SettingsError> {
    let url = &s.database_url;
    if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        // The URL may hold a password: show it redacted.
        return Err(SettingsError { got: Some(super::url_without_password(url)), ..origin.invalid("database_url") });
    }
    if s.access_token_ttl_secs == 0 || s.access_token_ttl_secs > 900 {
        return Err(origin.invalid("access_token_ttl_secs"));
    }
    let model = &s.sitechat.embedding_model;
    if !(model == "local:all-minilm-l6-v2" || model.starts_with("openai:") || model.starts_with("bedrock:")) {
        return Err(origin.invalid("sitechat.embedding_model"));
    }
    if s.sitechat.widget_requests_per_minute == 0 {
        return Err(origin.invalid("sitechat.widget_requests_per_minute"));
    }
    if s.worker_threads.is_some_and(|n| !(1..=MAX_WORKER_THREADS).contains(&n)) {
        return Err(origin.invalid("worker_threads"));
    }
    if s.max_streams == 0 {
        return Err(origin.invalid("max_streams"));
    }
    if s.local.max_concurrent == 0 {
        return Err(origin.invalid("local.max_concurrent"));
    }
    if let Some(url) = &s.public_url
        && public_host(url).is_none()
    {
        return Err(origin.invalid("public_url"));
    }
    if let Some(a) = &s.anthropic {
        if a.api_key.expose().trim().is_empty() {
            return Err(origin.invalid("anthropic.api_key"));
        }
        // The same test as the public URL's (http(s) with a host name); `/v1` is appended, so a
        // URL that already ends in it would ask for `/v1/v1/messages`.
        if public_host(&a.base_url).is_none() || a.base_url.trim().trim_end_matches('/').ends_with("/v1") {
            return Err(origin.invalid("anthropic.base_url"));
        }
    }
    if let Some(o) = &s.ollama
        && public_host(&o.base_url).is_none()
    {
        return Err(origin.invalid("ollama.base_url"));
    }
    if s.bedrock.as_ref().is_some_and(|b| b.models.iter().all(|m| m.trim().is_empty())) {
        return Err(origin.invalid("bedrock.models"));
    }
    if let Some(t) = &s.metrics_token
        && t.expose().len() < 16
    {
        return Err(origin.invalid("metrics_token"));
    }
    if let Some(t) = &s.jwt_secret
        && t.expose().len() < 32
    {
        return Err(origin.invalid("jwt_secret"));
    }
    if let Some(t) = &s.connection_key
        && t.expose().len() < 32
    {
        return Err(origin.invalid("connection_key"));
    }
    Ok(())
}
