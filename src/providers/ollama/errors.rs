//! Turns the chat's failures into [`ProviderError`]s a user or an administrator can act on.
//!
//! Ollama answers errors as `{"error": "..."}`: 404 for a model it does not have (`model "x" not
//! found, try pulling it first`, or `model 'x' not found`), 503 when its queue is full ("server
//! busy"), 400 for a request it cannot take, 500 when the model fails to load or run. An
//! authenticating proxy in front of it adds 401/403, and 429/502/504 of its own. Ollama's text goes
//! to the log only: the errors here carry none of it.

use super::api::CallError;
use crate::error::error_chain;
use crate::providers::ProviderError;

/// How Ollama is named to people (in the key-refused message).
pub(super) const OLLAMA: &str = "Ollama";

/// A call that failed before any text, for `model`.
pub(super) fn from_call(
    error: CallError,
    model: &str,
    provider: &str,
    redact: impl Fn(&str) -> String,
) -> ProviderError {
    let (mapped, upstream) = match &error {
        CallError::Status { status, message } => (from_status(*status, message.as_deref(), model), message.clone()),
        CallError::Http(e) => (from_reqwest(e), Some(error_chain(e))),
        CallError::Silent => (ProviderError::Unavailable("Ollama did not answer in time".into()), None),
        CallError::Setup(m) => (ProviderError::Failed(m.clone()), None),
        CallError::UnexpectedContentType => (
            ProviderError::Failed("Ollama did not answer with a stream of JSON lines; check the base URL".into()),
            None,
        ),
        CallError::Body(e) => (ProviderError::Failed("Ollama sent an oversized answer".into()), Some(e.to_string())),
        CallError::Unreadable(e) => (ProviderError::Failed("Ollama sent an unreadable answer".into()), Some(e.clone())),
    };
    tracing::warn!(
        provider,
        model,
        upstream_message = upstream.as_deref().map(&redact),
        error = %mapped,
        "Ollama refused or failed a request"
    );
    mapped
}

fn from_status(status: u16, message: Option<&str>, model: &str) -> ProviderError {
    match status {
        401 | 403 => ProviderError::KeyRefused { provider: OLLAMA.into() },
        // Ollama's own 404 is JSON naming the model; a wrong URL is gin's plain "404 page not found".
        404 if message.is_some_and(|m| m.contains("model") && m.contains("not found")) => {
            ProviderError::UnknownModel(model.to_owned())
        }
        404 => ProviderError::Failed("Ollama answered HTTP 404; check the base URL".into()),
        429 => ProviderError::Unavailable("Ollama is rate limiting requests (HTTP 429)".into()),
        503 => ProviderError::Unavailable("Ollama is busy (HTTP 503)".into()),
        // What a proxy says when the Ollama behind it is down or slow.
        502 | 504 => ProviderError::Unavailable(format!("Ollama cannot be reached through its proxy (HTTP {status})")),
        _ => ProviderError::Failed(format!("Ollama refused the request (HTTP {status})")),
    }
}

/// A transport failure: nothing listening, connection reset, body cut off.
fn from_reqwest(err: &reqwest::Error) -> ProviderError {
    ProviderError::Unavailable(
        if err.is_timeout() {
            "Ollama did not answer in time"
        } else if err.is_connect() {
            "could not connect to Ollama"
        } else if err.is_body() || err.is_decode() {
            "the connection to Ollama was cut"
        } else {
            "the request to Ollama failed"
        }
        .into(),
    )
}

/// A line `{"error": "..."}` in a stream that had started: the model failed while generating.
pub(super) fn mid_stream(message: &str, provider: &str, redact: impl Fn(&str) -> String) -> ProviderError {
    let mapped = ProviderError::Failed("Ollama failed mid-answer".into());
    tracing::warn!(provider, upstream_message = %redact(message), error = %mapped, "Ollama's stream reported an error");
    mapped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(status: u16, message: Option<&str>) -> ProviderError {
        let error = CallError::Status { status, message: message.map(str::to_owned) };
        from_call(error, "llama3.2", "ollama", str::to_owned)
    }

    #[test]
    fn statuses_map_to_what_a_user_or_an_administrator_can_do() {
        for status in [401, 403] {
            assert!(
                matches!(map(status, Some("unauthorized")), ProviderError::KeyRefused { provider } if provider == "Ollama")
            );
        }
        let not_pulled = Some(r#"model "llama3.2" not found, try pulling it first"#);
        assert!(matches!(map(404, not_pulled), ProviderError::UnknownModel(m) if m == "llama3.2"));
        assert!(matches!(map(404, Some("model 'llama3.2' not found")), ProviderError::UnknownModel(_)));
        assert!(matches!(map(404, None), ProviderError::Failed(m) if m.contains("base URL")));
        let busy = Some("server busy, please try again.  maximum pending requests exceeded");
        assert!(matches!(map(503, busy), ProviderError::Unavailable(_)));
        assert!(matches!(map(429, None), ProviderError::Unavailable(_)));
        assert!(matches!(map(502, None), ProviderError::Unavailable(_)));
        assert!(matches!(map(500, Some("model requires more system memory")), ProviderError::Failed(_)));
        assert!(matches!(map(400, Some("invalid options")), ProviderError::Failed(_)));
    }

    #[test]
    fn no_upstream_message_is_carried_by_the_error() {
        let message = "llama runner process has terminated: secret detail 4711";
        for status in [400, 401, 404, 429, 500, 503] {
            let e = map(status, Some(message));
            assert!(!format!("{e} {e:?}").contains("4711"), "{status}: {e:?}");
        }
        let e = mid_stream(message, "ollama", str::to_owned);
        assert!(!format!("{e} {e:?}").contains("4711"), "{e:?}");
    }
}
