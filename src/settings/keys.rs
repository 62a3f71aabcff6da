//! The one table of setting names: each setting's `webplus.toml` key, its environment variable and
//! the form it expects. The environment layer, the error messages and `validate` read it; tests
//! check it against the serde structs' fields (a new field without a row fails) and against the
//! README's table (a row without documentation fails).

/// How an environment variable's text becomes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Taken as written (trimmed).
    Text,
    /// Taken as written and never shown back in an error.
    Secret,
    /// A whole number.
    Number,
    /// `true` or `false` (`1`/`0`, `yes`/`no`, `on`/`off` too).
    Bool,
    /// Comma-separated in the environment, an array in `webplus.toml`.
    List,
}

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// `key` or `section.key` in `webplus.toml`.
    pub file: &'static str,
    /// The `WEBPLUS_*` environment variable.
    pub env: &'static str,
    pub form: Form,
    /// What a valid value looks like, for error messages ("expected …").
    pub expected: &'static str,
    /// A valid value other than the default, as an environment variable would hold it.
    pub example: &'static str,
}

const fn key(file: &'static str, env: &'static str, form: Form, expected: &'static str, example: &'static str) -> Key {
    Key { file, env, form, expected, example }
}

use Form::*;

/// Every setting: top-level keys, then one section at a time.
pub const KEYS: &[Key] = &[
    key("addr", "WEBPLUS_ADDR", Text, "an address and port like 127.0.0.1:3000", "0.0.0.0:8080"),
    key("data_dir", "WEBPLUS_DATA_DIR", Text, "a directory path", "/srv/webplus"),
    key(
        "database_url",
        "WEBPLUS_DATABASE_URL",
        Text,
        "a sqlite: URL (sqlite://data/webplus.db?mode=rwc) or a postgres:// URL (postgres://user:password@host/db)",
        "postgres://webplus@db.internal/webplus",
    ),
    key("models_dir", "WEBPLUS_MODELS_DIR", Text, "a directory path", "/srv/models"),
    key(
        "jwt_secret",
        "WEBPLUS_JWT_SECRET",
        Secret,
        "at least 32 characters (or leave it unset to generate one)",
        "an-example-signing-key-of-more-than-32-characters",
    ),
    key(
        "connection_key",
        "WEBPLUS_CONNECTION_KEY",
        Secret,
        "at least 32 characters (or leave it unset to generate one)",
        "an-example-encryption-key-of-more-than-32-characters",
    ),
    key("log_format", "WEBPLUS_LOG_FORMAT", Text, "json or pretty", "json"),
    key("site_root", "WEBPLUS_SITE_ROOT", Text, "a directory path", "/srv/webplus/site"),
    key(
        "cors_origins",
        "WEBPLUS_CORS_ORIGINS",
        List,
        "a list of origins, like [\"https://app.example.com\"]",
        "https://a.example.com, https://b.example.com",
    ),
    key("max_body_bytes", "WEBPLUS_MAX_BODY_BYTES", Number, "a whole number of bytes", "4194304"),
    key("default_model", "WEBPLUS_DEFAULT_MODEL", Text, "a model id", "gpt-4o-mini"),
    key("access_token_ttl_secs", "WEBPLUS_ACCESS_TOKEN_TTL_SECS", Number, "a number of seconds from 1 to 900", "600"),
    key("refresh_token_ttl_secs", "WEBPLUS_REFRESH_TOKEN_TTL_SECS", Number, "a whole number of seconds", "86400"),
    key("trust_proxy", "WEBPLUS_TRUST_PROXY", Bool, "true or false", "true"),
    key("worker_threads", "WEBPLUS_WORKER_THREADS", Number, "a whole number of threads from 1 to 1024", "2"),
    key("max_streams", "WEBPLUS_MAX_STREAMS", Number, "a whole number of at least 1", "20000"),
    key(
        "public_url",
        "WEBPLUS_PUBLIC_URL",
        Text,
        "an http:// or https:// URL with a host name, like https://chat.example.com",
        "https://chat.example.com",
    ),
    key("metrics_token", "WEBPLUS_METRICS_TOKEN", Secret, "at least 16 characters", "an-example-metrics-token"),
    key("metrics_addr", "WEBPLUS_METRICS_ADDR", Text, "an address and port like 127.0.0.1:9100", "127.0.0.1:9100"),
    key("local.model_path", "WEBPLUS_LOCAL_MODEL_PATH", Text, "the path of a GGUF file", "/srv/models/chat.gguf"),
    key("local.model_id", "WEBPLUS_LOCAL_MODEL_ID", Text, "a model id", "my-local-model"),
    key("local.max_concurrent", "WEBPLUS_LOCAL_MAX_CONCURRENT", Number, "a whole number of at least 1", "2"),
    key("local.max_queue", "WEBPLUS_LOCAL_MAX_QUEUE", Number, "a whole number", "32"),
    key("local.grounded_answers", "WEBPLUS_LOCAL_GROUNDED_ANSWERS", Text, "quote or generate", "generate"),
    key(
        "openai.base_url",
        "WEBPLUS_OPENAI_BASE_URL",
        Text,
        "the URL of an OpenAI-compatible API, like https://api.openai.com/v1",
        "https://api.openai.com/v1",
    ),
    key("openai.api_key", "WEBPLUS_OPENAI_API_KEY", Secret, "an API key", "sk-example"),
    key(
        "openai.models",
        "WEBPLUS_OPENAI_MODELS",
        List,
        "a list of model ids, like [\"gpt-4o-mini\"]",
        "gpt-4o-mini,gpt-4o",
    ),
    key("anthropic.api_key", "WEBPLUS_ANTHROPIC_API_KEY", Secret, "an Anthropic API key", "sk-ant-example"),
    key(
        "anthropic.base_url",
        "WEBPLUS_ANTHROPIC_BASE_URL",
        Text,
        "an http:// or https:// URL without /v1, like https://api.anthropic.com",
        "https://anthropic-proxy.example.com",
    ),
    key(
        "anthropic.models",
        "WEBPLUS_ANTHROPIC_MODELS",
        List,
        "a list of model ids, like [\"claude-sonnet-4-6\"]",
        "claude-sonnet-4-6,claude-haiku-4-5",
    ),
    key(
        "ollama.base_url",
        "WEBPLUS_OLLAMA_BASE_URL",
        Text,
        "an http:// or https:// URL, like http://127.0.0.1:11434",
        "http://gpu-box.internal:11434",
    ),
    key(
        "ollama.models",
        "WEBPLUS_OLLAMA_MODELS",
        List,
        "a list of model ids, like [\"llama3.2:3b\"]",
        "llama3.2:3b,qwen2.5:7b",
    ),
    key(
        "bedrock.models",
        "WEBPLUS_BEDROCK_MODELS",
        List,
        "a list of Bedrock model ids, like [\"anthropic.claude-3-5-haiku-20241022-v1:0\"]",
        "anthropic.claude-3-5-haiku-20241022-v1:0,amazon.nova-lite-v1:0",
    ),
    key(
        "sitechat.embedding_model",
        "WEBPLUS_EMBEDDING_MODEL",
        Text,
        "local:all-minilm-l6-v2, openai:<model> or bedrock:<model id>",
        "openai:text-embedding-3-small",
    ),
    key("sitechat.bedrock_region", "WEBPLUS_BEDROCK_REGION", Text, "an AWS region like us-east-1", "eu-west-1"),
    key("sitechat.bedrock_endpoint_url", "WEBPLUS_BEDROCK_ENDPOINT_URL", Text, "a URL", "http://127.0.0.1:4566"),
    key(
        "sitechat.crawl_allow_private_hosts",
        "WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS",
        List,
        "a list of host names or addresses, like [\"intranet.example\"]",
        "intranet.example,10.0.0.5",
    ),
    key("sitechat.max_upload_bytes", "WEBPLUS_MAX_UPLOAD_BYTES", Number, "a whole number of bytes", "1048576"),
    key(
        "sitechat.widget_requests_per_minute",
        "WEBPLUS_WIDGET_REQUESTS_PER_MINUTE",
        Number,
        "a whole number of at least 1",
        "5",
    ),
];

/// The setting with this `webplus.toml` key.
///
/// # Panics
/// If there is none: callers name keys from [`KEYS`] (a test checks every caller's key exists).
pub(super) fn by_file(file: &str) -> &'static Key {
    lookup(file).unwrap_or_else(|| panic!("no setting {file} in settings::KEYS"))
}

pub(super) fn lookup(file: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.file == file)
}

/// The sections of `webplus.toml` (`[local]`, …), from the keys' prefixes.
pub(super) fn is_section(name: &str) -> bool {
    KEYS.iter().any(|k| k.file.split_once('.').is_some_and(|(section, _)| section == name))
}

#[cfg(test)]
mod tests;
