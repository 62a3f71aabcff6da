//! Turns upstream failures into [`ProviderError`]s a user can act on.
//!
//! The HTTP status decides the kind (auth, rate limit, server trouble); OpenAI's error object only
//! adds detail. Upstream messages are never passed on for authentication failures, because OpenAI
//! echoes part of the key in them, and any other message is scrubbed of the key before use.

use async_openai::error::ApiError;

use super::super::ProviderError;
use crate::{error::error_chain, settings::Secret};

/// The server refused the key: only an administrator can fix that. `provider` is the connection's
/// name, which tells the administrator which key to update.
fn key_refused(provider: &str) -> ProviderError {
    ProviderError::KeyRefused { provider: format!("the connection {provider:?}") }
}

/// A non-2xx answer to a request, with OpenAI's error object if the body held one.
pub(super) fn from_status(code: u16, error: Option<&ApiError>, provider: &str, key: &Secret) -> ProviderError {
    let detail = error.map(|e| redact(&e.message, key));
    let mapped = match code {
        401 | 403 => key_refused(provider),
        429 => ProviderError::Unavailable("the provider is rate limiting requests (HTTP 429)".into()),
        500..=599 => ProviderError::Unavailable(format!("the provider returned HTTP {code}")),
        // Wrong model names and context overflows land here; the upstream message says which.
        _ => match &detail {
            Some(message) => {
                ProviderError::Failed(format!("the provider rejected the request (HTTP {code}): {message}"))
            }
            None if code == 404 => {
                ProviderError::Failed("the provider returned HTTP 404; check the base URL and the model name".into())
            }
            None => ProviderError::Failed(format!("the provider rejected the request with HTTP {code}")),
        },
    };
    let cause = if matches!(code, 401 | 403) { None } else { detail };
    tracing::warn!(provider, status = code, cause = cause.as_deref(), error = %mapped, "OpenAI-compatible request refused");
    mapped
}

/// A transport failure: nothing listening, connection reset, body cut off.
pub(super) fn from_reqwest(err: &reqwest::Error, provider: &str, key: &Secret) -> ProviderError {
    let mapped = if err.is_timeout() {
        ProviderError::Unavailable("the provider did not answer in time".into())
    } else if err.is_connect() {
        ProviderError::Unavailable("could not connect to the provider".into())
    } else if err.is_body() || err.is_decode() {
        ProviderError::Unavailable("the connection to the provider was cut".into())
    } else {
        ProviderError::Unavailable("the request to the provider failed".into())
    };
    tracing::warn!(provider, cause = %redact(&error_chain(err), key), error = %mapped, "OpenAI-compatible request failed");
    mapped
}

/// An SSE `{"error": ...}` event after some text was already sent.
pub(super) fn mid_stream(error: &ApiError, provider: &str, key: &Secret) -> ProviderError {
    let mapped = match classify(error) {
        Class::Auth => key_refused(provider),
        Class::Busy => ProviderError::Unavailable("the provider failed mid-answer".into()),
        Class::Other => {
            ProviderError::Failed(format!("the provider failed mid-answer: {}", redact(&error.message, key)))
        }
    };
    tracing::warn!(provider, error = %mapped, "OpenAI-compatible stream reported an error");
    mapped
}

enum Class {
    Auth,
    Busy,
    Other,
}

/// Sorts an error object that comes without an HTTP status (an SSE error event).
fn classify(api: &ApiError) -> Class {
    let code = api.code.as_deref().unwrap_or_default();
    let kind = api.r#type.as_deref().unwrap_or_default();
    if code == "invalid_api_key"
        || kind == "authentication_error"
        || api.message.to_ascii_lowercase().contains("api key")
    {
        Class::Auth
    } else if matches!(code, "rate_limit_exceeded" | "insufficient_quota")
        || matches!(kind, "requests" | "tokens" | "server_error")
        // Servers that fail mid-stream rarely bother with a type; assume trouble worth a retry.
        || api.r#type.is_none()
    {
        Class::Busy
    } else {
        Class::Other
    }
}

/// Removes the key from text that came from outside before it is logged or shown.
pub(super) fn redact(text: &str, key: &Secret) -> String {
    key.redact_in(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(message: &str, kind: Option<&str>, code: Option<&str>) -> ApiError {
        ApiError { message: message.into(), r#type: kind.map(Into::into), param: None, code: code.map(Into::into) }
    }

    #[test]
    fn statuses_map_to_what_the_user_can_do() {
        let key = Secret::new("k");
        assert!(
            matches!(from_status(401, None, "t", &key), ProviderError::KeyRefused { provider } if provider == "the connection \"t\"")
        );
        assert!(matches!(from_status(403, None, "t", &key), ProviderError::KeyRefused { .. }));
        assert!(matches!(from_status(429, None, "t", &key), ProviderError::Unavailable(_)));
        assert!(matches!(from_status(502, None, "t", &key), ProviderError::Unavailable(_)));
        assert!(matches!(from_status(400, None, "t", &key), ProviderError::Failed(_)));
    }

    #[test]
    fn an_upstream_message_echoing_the_key_is_not_passed_on() {
        let key = Secret::new("sk-secret-123456");
        let error = api("Incorrect API key provided: sk-secret-123456.", Some("invalid_request_error"), None);
        for mapped in [from_status(401, Some(&error), "t", &key), mid_stream(&error, "t", &key)] {
            let text = mapped.to_string();
            assert!(!text.contains("sk-secret"), "{text}");
            assert!(text.contains("refused the API key"), "{text}");
        }
    }

    #[test]
    fn other_upstream_messages_are_passed_on_without_the_key() {
        let key = Secret::new("sk-secret-123456");
        let error = api("model sk-secret-123456 not found", Some("invalid_request_error"), Some("model_not_found"));
        let text = from_status(404, Some(&error), "t", &key).to_string();
        assert!(text.contains("not found") && text.contains("[redacted]") && !text.contains("sk-secret"), "{text}");
    }

    #[test]
    fn a_server_error_event_mid_stream_is_unavailable() {
        let error = api("The server had an error", Some("server_error"), None);
        assert!(matches!(mid_stream(&error, "t", &Secret::new("k")), ProviderError::Unavailable(_)));
    }
}
