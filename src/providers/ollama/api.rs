//! One Ollama server as both the chat provider and the model manager see it: the URL, the optional
//! key (for an Ollama behind an authenticating proxy), and the calls: a JSON answer, an empty one,
//! or a stream of JSON lines. Every call opens through `upstream.rs`; failures come back as a
//! [`CallError`] that each side maps its own way.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use reqwest::Method;
use serde::de::DeserializeOwned;

use super::OllamaConfig;
use super::wire::ErrorBody;
use crate::providers::ndjson::{self, LineError, Lines};
use crate::providers::upstream::{self, BodyError, OpenError};
use crate::settings::Secret;

/// A whole JSON answer is at most this long (`/api/show` of a large model is tens of KiB).
const MAX_JSON_BYTES: usize = 16 << 20;
/// Ollama streams `application/x-ndjson`; its errors before a stream are `application/json`.
const NDJSON: &[&str] = &["application/x-ndjson"];
const JSON: &[&str] = &["application/json"];

/// Why a call failed, with what the log needs. Ollama's own error text is kept for the log only.
#[derive(Debug)]
pub(super) enum CallError {
    /// The client could not be built, or the key cannot go into a header.
    Setup(String),
    Http(reqwest::Error),
    /// Nothing came for the timeout (the answer's head, or a read of its body).
    Silent,
    Status {
        status: u16,
        /// `error` of Ollama's `{"error": "..."}` body, if it was one.
        message: Option<String>,
    },
    /// A success of the wrong type (a wrong base URL often answers 200 with HTML).
    UnexpectedContentType,
    /// The body broke off or grew too large.
    Body(LineError),
    /// The body is not the JSON expected.
    Unreadable(String),
}

impl From<OpenError> for CallError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Http(e) => CallError::Http(e),
            OpenError::Silent => CallError::Silent,
            OpenError::Status { status, body, .. } => {
                let message = serde_json::from_slice::<ErrorBody>(&body).ok().map(|b| b.error);
                CallError::Status { status, message }
            }
            OpenError::UnexpectedContentType => CallError::UnexpectedContentType,
        }
    }
}

impl From<LineError> for CallError {
    fn from(e: LineError) -> Self {
        match e {
            LineError::Body(BodyError::Http(e)) => CallError::Http(e),
            LineError::Body(BodyError::Silent) => CallError::Silent,
            other => CallError::Body(other),
        }
    }
}

pub(super) struct Api {
    /// Label for logs and metrics.
    pub name: Arc<str>,
    http: Result<reqwest::Client, String>,
    /// Without a trailing slash; paths (`/api/chat`) are appended.
    base: String,
    key: Option<Secret>,
    /// Longest wait for an answer's head and between two reads of its body.
    pub timeout: Duration,
}

impl Api {
    pub fn new(config: &OllamaConfig) -> Self {
        // A key read from a file often ends in a newline, which no real key contains.
        let key = config.api_key.as_ref().map(|k| Secret::new(k.expose().trim())).filter(|k| !k.expose().is_empty());
        Self {
            name: Arc::from(config.name.as_str()),
            http: upstream::client(config.timeout, &config.name),
            base: config.base_url.trim_end_matches('/').to_owned(),
            key,
            timeout: config.timeout,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Scrubs the key out of text bound for the log.
    pub fn redact(&self, text: &str) -> String {
        match &self.key {
            Some(key) => key.redact_in(text),
            None => text.to_owned(),
        }
    }

    /// A request to `path`, with the key as a bearer token when there is one.
    pub fn request(&self, method: Method, path: &str) -> Result<reqwest::RequestBuilder, CallError> {
        let http =
            self.http.as_ref().map_err(|e| CallError::Setup(format!("the HTTP client could not be set up: {e}")))?;
        let request = http.request(method, self.url(path));
        match &self.key {
            None => Ok(request),
            // A key with a control character cannot go into a header; saying so beats reqwest's
            // generic "builder error".
            Some(key) if !key.expose().bytes().all(|b| (b >= 0x20 && b != 0x7f) || b == b'\t') => Err(
                CallError::Setup("the Ollama API key contains characters that cannot be sent in an HTTP header".into()),
            ),
            // `bearer_auth` marks the header sensitive, so reqwest never prints it either.
            Some(key) => Ok(request.bearer_auth(key.expose())),
        }
    }

    /// Sends `request` and parses its whole JSON answer.
    pub async fn json<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, CallError> {
        let body = self.whole(request, JSON).await?;
        serde_json::from_slice(&body).map_err(|e| CallError::Unreadable(e.to_string()))
    }

    /// Sends `request` and reads (and drops) its answer, of whatever type: `DELETE /api/delete`
    /// answers 200 with no body at all.
    pub async fn empty(&self, request: reqwest::RequestBuilder) -> Result<(), CallError> {
        self.whole(request, &[]).await.map(drop)
    }

    /// Sends `request` and returns its answer as JSON lines.
    pub async fn lines(&self, request: reqwest::RequestBuilder) -> Result<Lines, CallError> {
        Ok(ndjson::open(request, self.timeout, NDJSON).await?)
    }

    async fn whole(&self, request: reqwest::RequestBuilder, content_types: &[&str]) -> Result<Vec<u8>, CallError> {
        let mut body = upstream::open(request, self.timeout, content_types).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| CallError::from(LineError::Body(e)))?;
            if bytes.len() + chunk.len() > MAX_JSON_BYTES {
                return Err(CallError::Body(LineError::TooLong));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}
