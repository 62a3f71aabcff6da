//! What can go wrong managing Ollama's models, as an administrator can act on it. Ollama's own
//! words reach the error only where they are the reason (a pull that failed, a request refused),
//! and then cut short to one line; everything else it says goes to the log.

use super::super::api::CallError;
use crate::error::error_chain;

/// The longest reason of Ollama's carried in an error.
const MAX_REASON_CHARS: usize = 160;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OllamaAdminError {
    /// Ollama has no model by this name (404).
    #[error("Ollama has no model named {0:?}")]
    NotFound(String),
    /// Nothing answered: connection refused, a timeout, a proxy that cannot reach Ollama.
    #[error("Ollama cannot be reached: {0}")]
    Unreachable(String),
    /// Ollama (or the proxy in front of it) refused the API key (401/403).
    #[error("Ollama refused the API key; check the key configured for this connection")]
    KeyRefused,
    /// Ollama's queue is full (503) or a proxy is rate limiting (429).
    #[error("Ollama is busy; try again shortly")]
    Busy,
    /// Ollama refused the request as it was (400), e.g. an invalid model name.
    #[error("Ollama refused the request: {0}")]
    Refused(String),
    /// A pull stopped before `success`; `reason` is Ollama's, shortened.
    #[error("pulling {model} failed: {reason}")]
    PullFailed { model: String, reason: String },
    /// Anything else: an error status, an answer that is not Ollama's.
    #[error("Ollama failed: {0}")]
    Failed(String),
}

/// A failed call about `model` (empty when it is about none).
pub(super) fn from_call(
    error: CallError,
    model: &str,
    provider: &str,
    redact: &dyn Fn(&str) -> String,
) -> OllamaAdminError {
    let (mapped, upstream) = match error {
        CallError::Status { status, message } => {
            let mapped = match status {
                401 | 403 => OllamaAdminError::KeyRefused,
                404 if message.as_deref().is_some_and(|m| m.contains("not found")) => {
                    OllamaAdminError::NotFound(model.to_owned())
                }
                404 => OllamaAdminError::Failed("Ollama answered HTTP 404; check the base URL".into()),
                429 | 503 => OllamaAdminError::Busy,
                502 | 504 => OllamaAdminError::Unreachable(format!("its proxy answered HTTP {status}")),
                400 => OllamaAdminError::Refused(short(&redact(message.as_deref().unwrap_or("HTTP 400")))),
                _ => OllamaAdminError::Failed(format!("HTTP {status}")),
            };
            (mapped, message)
        }
        CallError::Http(e) => {
            let reason = if e.is_timeout() {
                "it did not answer in time"
            } else if e.is_connect() {
                "the connection was refused or failed"
            } else {
                "the connection was cut"
            };
            (OllamaAdminError::Unreachable(reason.into()), Some(error_chain(&e)))
        }
        CallError::Silent => (OllamaAdminError::Unreachable("it did not answer in time".into()), None),
        CallError::Setup(m) => (OllamaAdminError::Failed(m), None),
        CallError::UnexpectedContentType => {
            (OllamaAdminError::Failed("the answer is not Ollama's; check the base URL".into()), None)
        }
        CallError::Body(e) => (OllamaAdminError::Failed("the answer was too large".into()), Some(e.to_string())),
        CallError::Unreadable(e) => {
            (OllamaAdminError::Failed("the answer is not what Ollama sends; check the base URL".into()), Some(e))
        }
    };
    tracing::warn!(
        provider,
        model,
        upstream_message = upstream.as_deref().map(redact),
        error = %mapped,
        "an Ollama management call failed"
    );
    mapped
}

/// `text` on one line and at most [`MAX_REASON_CHARS`] long.
pub(super) fn short(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= MAX_REASON_CHARS {
        return line;
    }
    let mut cut: String = line.chars().take(MAX_REASON_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(status: u16, message: &str) -> OllamaAdminError {
        let error = CallError::Status { status, message: Some(message.to_owned()) };
        from_call(error, "llama3.2", "ollama", &|t| t.replace("sk-1", "[redacted]"))
    }

    #[test]
    fn statuses_become_errors_an_administrator_can_act_on() {
        assert_eq!(map(404, "model 'llama3.2' not found"), OllamaAdminError::NotFound("llama3.2".into()));
        assert_eq!(map(401, "unauthorized"), OllamaAdminError::KeyRefused);
        assert_eq!(
            map(503, "server busy, please try again.  maximum pending requests exceeded"),
            OllamaAdminError::Busy
        );
        assert!(matches!(map(500, "detail 4711"), OllamaAdminError::Failed(m) if !m.contains("4711")));
        let refused = map(400, "invalid model name\n sk-1 and then some");
        assert_eq!(refused, OllamaAdminError::Refused("invalid model name [redacted] and then some".into()));
    }

    #[test]
    fn a_long_reason_is_cut_to_one_short_line() {
        let long = "x ".repeat(400);
        let reason = short(&long);
        assert_eq!(reason.chars().count(), MAX_REASON_CHARS);
        assert!(reason.ends_with('…') && !reason.contains('\n'));
    }
}
