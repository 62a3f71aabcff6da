//! Turns Anthropic's failures into [`ProviderError`]s a user or an administrator can act on.
//!
//! The HTTP status decides the kind, as Anthropic documents it (401/403 the key, 404 the model,
//! 429 rate limits, 529 overload, 5xx trouble). Anthropic's own message and the `request-id` go
//! to the log only: the errors here carry no upstream text, so none can reach a client.

use reqwest::header::HeaderMap;

use super::wire::{ApiError, ErrorEnvelope};
use crate::{error::error_chain, providers::ProviderError, settings::Secret};

/// How Anthropic is named to people (in the key-refused message).
pub(super) const ANTHROPIC: &str = "Anthropic";

/// A non-2xx answer: its status, headers and body.
pub(super) fn from_status(status: u16, headers: &HeaderMap, body: &[u8], model: &str, ctx: &Ctx<'_>) -> ProviderError {
    let error = serde_json::from_slice::<ErrorEnvelope>(body).ok().map(|e| e.error);
    let kind = error.as_ref().map(|e| e.kind.as_str()).unwrap_or_default();
    let retry_after = header(headers, "retry-after");
    let mapped = match status {
        401 | 403 => ProviderError::KeyRefused { provider: ANTHROPIC.into() },
        // A model Anthropic does not know says `model: <id>`; a wrong URL is a plain "Not Found".
        404 if kind == "not_found_error" && error.as_ref().is_some_and(|e| e.message.contains("model")) => {
            ProviderError::UnknownModel(model.to_owned())
        }
        404 => ProviderError::Failed("Anthropic answered HTTP 404; check the base URL".into()),
        429 => ProviderError::Unavailable(match retry_after {
            Some(secs) => format!("Anthropic is rate limiting requests (HTTP 429, retry-after {secs})"),
            None => "Anthropic is rate limiting requests (HTTP 429)".into(),
        }),
        529 => ProviderError::Unavailable("Anthropic is overloaded (HTTP 529)".into()),
        500..=599 => ProviderError::Unavailable(format!("Anthropic answered HTTP {status}")),
        413 => ProviderError::Failed("Anthropic refused the request as too large (HTTP 413)".into()),
        _ => ProviderError::Failed(format!("Anthropic refused the request (HTTP {status} {kind})")),
    };
    tracing::warn!(
        provider = ctx.provider,
        status,
        request_id = header(headers, "request-id"),
        error_type = kind,
        upstream_message = error.as_ref().map(|e| ctx.key.redact_in(&e.message)),
        retry_after,
        error = %mapped,
        "Anthropic refused a request"
    );
    mapped
}

/// An `error` event in a stream that had started (HTTP 200), e.g. `overloaded_error`.
pub(super) fn mid_stream(error: &ApiError, ctx: &Ctx<'_>) -> ProviderError {
    let mapped = match error.kind.as_str() {
        "authentication_error" | "permission_error" => ProviderError::KeyRefused { provider: ANTHROPIC.into() },
        "overloaded_error" | "api_error" | "rate_limit_error" | "timeout_error" => {
            ProviderError::Unavailable(format!("Anthropic failed mid-answer ({})", error.kind))
        }
        other => ProviderError::Failed(format!("Anthropic failed mid-answer ({other})")),
    };
    tracing::warn!(
        provider = ctx.provider,
        error_type = error.kind,
        upstream_message = ctx.key.redact_in(&error.message),
        error = %mapped,
        "Anthropic's stream reported an error"
    );
    mapped
}

/// A transport failure: nothing listening, connection reset, body cut off.
pub(super) fn from_reqwest(err: &reqwest::Error, ctx: &Ctx<'_>) -> ProviderError {
    let mapped = if err.is_timeout() {
        ProviderError::Unavailable("Anthropic did not answer in time".into())
    } else if err.is_connect() {
        ProviderError::Unavailable("could not connect to Anthropic".into())
    } else if err.is_body() || err.is_decode() {
        ProviderError::Unavailable("the connection to Anthropic was cut".into())
    } else {
        ProviderError::Unavailable("the request to Anthropic failed".into())
    };
    tracing::warn!(provider = ctx.provider, cause = %ctx.key.redact_in(&error_chain(err)), error = %mapped, "Anthropic request failed");
    mapped
}

/// Who is asking, for the log, and the key to scrub from anything logged.
pub(super) struct Ctx<'a> {
    pub provider: &'a str,
    pub key: &'a Secret,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn body(kind: &str, message: &str) -> Vec<u8> {
        format!(r#"{{"type":"error","error":{{"type":"{kind}","message":"{message}"}},"request_id":"req_1"}}"#)
            .into_bytes()
    }

    fn map(status: u16, headers: &HeaderMap, kind: &str, message: &str) -> ProviderError {
        let key = Secret::new("sk-ant-secret");
        from_status(status, headers, &body(kind, message), "claude-x", &Ctx { provider: "anthropic", key: &key })
    }

    #[test]
    fn statuses_map_to_what_a_user_or_an_administrator_can_do() {
        let none = HeaderMap::new();
        for status in [401, 403] {
            let e = map(status, &none, "authentication_error", "invalid x-api-key");
            assert!(matches!(&e, ProviderError::KeyRefused { provider } if provider == "Anthropic"), "{e:?}");
        }
        assert!(
            matches!(map(404, &none, "not_found_error", "model: claude-x"), ProviderError::UnknownModel(m) if m == "claude-x")
        );
        assert!(matches!(map(404, &none, "not_found_error", "Not Found"), ProviderError::Failed(_)));
        assert!(matches!(map(529, &none, "overloaded_error", "Overloaded"), ProviderError::Unavailable(_)));
        assert!(matches!(map(500, &none, "api_error", "Internal server error"), ProviderError::Unavailable(_)));
        assert!(matches!(map(400, &none, "invalid_request_error", "x"), ProviderError::Failed(_)));
    }

    #[test]
    fn a_rate_limit_carries_retry_after_for_the_operator() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("17"));
        let e =
            map(429, &headers, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit");
        assert!(matches!(&e, ProviderError::Unavailable(m) if m.contains("retry-after 17")), "{e:?}");
    }

    #[test]
    fn no_upstream_message_is_carried_by_the_error() {
        let message = "prompt is too long: 205351 tokens > 200000 maximum";
        for status in [400, 401, 404, 429, 500, 529] {
            let e = map(status, &HeaderMap::new(), "invalid_request_error", message);
            assert!(!format!("{e} {e:?}").contains("205351"), "{status}: {e:?}");
        }
    }

    #[test]
    fn an_overloaded_event_mid_stream_is_unavailable_and_an_unknown_one_failed() {
        let key = Secret::new("k");
        let ctx = Ctx { provider: "anthropic", key: &key };
        let overloaded = ApiError { kind: "overloaded_error".into(), message: "Overloaded".into() };
        assert!(matches!(mid_stream(&overloaded, &ctx), ProviderError::Unavailable(_)));
        let odd = ApiError { kind: "invalid_request_error".into(), message: "nope".into() };
        assert!(matches!(mid_stream(&odd, &ctx), ProviderError::Failed(m) if !m.contains("nope")));
    }
}
