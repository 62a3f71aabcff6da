//! Turns async-openai's errors into [`ProviderError`]s a user can act on.
//!
//! async-openai reports HTTP failures of a stream only as a string (`"Invalid status code: 429 Too
//! Many Requests"`, the body dropped), and failures of plain requests only as the decoded error
//! object (the status dropped). So the status is recovered from the string, and the error object is
//! classified by its `type`/`code`. Upstream messages are never passed on for authentication
//! failures: OpenAI echoes part of the key in them.

use async_openai::error::{ApiError, OpenAIError};

use super::super::ProviderError;
use crate::settings::Secret;

pub(super) const AUTH_FAILED: &str = "authentication with the provider failed; check the API key";

/// Maps an error and logs its cause (with the key scrubbed out); the returned error is safe to show.
pub(super) fn from_openai(err: OpenAIError, provider: &str, key: &Secret) -> ProviderError {
    let mapped = classify(&err, key);
    tracing::warn!(provider, cause = %redact(&err.to_string(), key), error = %mapped, "OpenAI-compatible request failed");
    mapped
}

fn classify(err: &OpenAIError, key: &Secret) -> ProviderError {
    match err {
        OpenAIError::StreamError(message) => from_stream_error(message),
        OpenAIError::Reqwest(e) => match e.status() {
            Some(status) => from_status(status.as_u16()),
            None if e.is_timeout() => ProviderError::Unavailable("the provider did not answer in time".into()),
            None if e.is_decode() || e.is_body() => {
                ProviderError::Unavailable("the connection to the provider was cut".into())
            }
            None => ProviderError::Unavailable("could not reach the provider".into()),
        },
        OpenAIError::ApiError(api) => from_api_error(api, key),
        // In a stream this is also what an SSE `{"error": ...}` event becomes: async-openai tries to
        // read it as a chunk and keeps only the serde error.
        OpenAIError::JSONDeserialize(_) => ProviderError::Failed(
            "the provider sent something that is not an OpenAI chat completion (or reported an error mid-stream)"
                .into(),
        ),
        OpenAIError::InvalidArgument(m) => ProviderError::Failed(format!("invalid request: {}", redact(m, key))),
        OpenAIError::FileSaveError(_) | OpenAIError::FileReadError(_) => {
            ProviderError::Failed("unexpected file error in the OpenAI client".into())
        }
    }
}

/// The strings come from reqwest-eventsource's `Error` display.
fn from_stream_error(message: &str) -> ProviderError {
    if let Some(rest) = message.strip_prefix("Invalid status code: ") {
        let code = rest
            .split_whitespace()
            .next()
            .and_then(|c| c.parse::<u16>().ok());
        return match code {
            Some(code) => from_status(code),
            None => {
                ProviderError::Failed("the provider answered with an unexpected HTTP status".into())
            }
        };
    }
    if message.starts_with("Invalid header value") {
        return ProviderError::Failed(
            "the provider did not answer with an event stream; check the base URL".into(),
        );
    }
    if message == "Stream ended" {
        return ProviderError::Unavailable(
            "the provider closed the stream before it finished".into(),
        );
    }
    // Transport errors: refused connections, resets, cut bodies, bad chunked encoding.
    ProviderError::Unavailable("could not reach the provider, or the connection was cut".into())
}

pub(super) fn from_status(code: u16) -> ProviderError {
    match code {
        401 | 403 => ProviderError::Failed(AUTH_FAILED.into()),
        429 => {
            ProviderError::Unavailable("the provider is rate limiting requests (HTTP 429)".into())
        }
        500..=599 => ProviderError::Unavailable(format!("the provider returned HTTP {code}")),
        404 => ProviderError::Failed(
            "the provider returned HTTP 404; check the base URL and the model name".into(),
        ),
        _ => ProviderError::Failed(format!(
            "the provider rejected the request with HTTP {code}"
        )),
    }
}

fn from_api_error(api: &ApiError, key: &Secret) -> ProviderError {
    let code = api.code.as_deref().unwrap_or_default();
    let kind = api.r#type.as_deref().unwrap_or_default();
    let message = api.message.to_ascii_lowercase();
    if code == "invalid_api_key" || message.contains("api key") || kind == "authentication_error" {
        return ProviderError::Failed(AUTH_FAILED.into());
    }
    if code == "rate_limit_exceeded"
        || kind == "requests"
        || kind == "tokens"
        || code == "insufficient_quota"
    {
        return ProviderError::Unavailable("the provider is rate limiting requests".into());
    }
    // async-openai turns any 5xx into an ApiError without a type, the body as the message.
    if kind == "server_error" || api.r#type.is_none() {
        return ProviderError::Unavailable("the provider had a server error".into());
    }
    ProviderError::Failed(format!(
        "the provider rejected the request: {}",
        redact(&api.message, key)
    ))
}

/// Removes the key from text that came from outside (error bodies, client errors) before it is
/// logged or shown.
pub(super) fn redact(text: &str, key: &Secret) -> String {
    if key.is_empty() {
        return text.to_owned();
    }
    text.replace(key.expose(), "[redacted]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_status_string_is_mapped_by_its_code() {
        assert!(
            matches!(from_stream_error("Invalid status code: 401 Unauthorized"), ProviderError::Failed(m) if m == AUTH_FAILED)
        );
        assert!(matches!(
            from_stream_error("Invalid status code: 429 Too Many Requests"),
            ProviderError::Unavailable(_)
        ));
        assert!(matches!(
            from_stream_error("Invalid status code: 502 Bad Gateway"),
            ProviderError::Unavailable(_)
        ));
        assert!(matches!(
            from_stream_error("Invalid status code: 400 Bad Request"),
            ProviderError::Failed(_)
        ));
    }

    #[test]
    fn a_cut_or_refused_connection_is_unavailable() {
        assert!(matches!(
            from_stream_error("Stream ended"),
            ProviderError::Unavailable(_)
        ));
        assert!(matches!(
            from_stream_error(
                "error sending request for url (http://127.0.0.1:1/v1/chat/completions)"
            ),
            ProviderError::Unavailable(_)
        ));
    }

    #[test]
    fn an_upstream_message_echoing_the_key_is_not_passed_on() {
        let key = Secret::new("sk-secret-123456");
        let api = ApiError {
            message: "Incorrect API key provided: sk-secret-123456.".into(),
            r#type: Some("invalid_request_error".into()),
            param: None,
            code: Some("invalid_api_key".into()),
        };
        let mapped = from_api_error(&api, &key).to_string();
        assert!(!mapped.contains("sk-secret"), "{mapped}");
        assert!(mapped.contains("check the API key"));
    }

    #[test]
    fn other_upstream_messages_are_passed_on_without_the_key() {
        let key = Secret::new("sk-secret-123456");
        let api = ApiError {
            message: "odd: sk-secret-123456 is weird".into(),
            r#type: Some("invalid_request_error".into()),
            param: None,
            code: None,
        };
        let mapped = from_api_error(&api, &key).to_string();
        assert!(!mapped.contains("sk-secret-123456"), "{mapped}");
        assert!(mapped.contains("[redacted]"));
    }
}
