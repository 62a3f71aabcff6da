//! Turns failed embedding requests into retry decisions and [`EmbedError`]s a user can act on.
//!
//! The HTTP status decides the kind; OpenAI's `error.message` only adds detail. Messages are never
//! passed on for a refused key (OpenAI echoes part of the key in them), and any other upstream text
//! is scrubbed of the key before use.

use std::time::Duration;

use crate::error::error_chain;

use reqwest::header::HeaderMap;

use super::super::EmbedError;
use super::super::retry::Attempt;
use crate::settings::Secret;

/// What an error message names.
pub(super) struct Ctx<'a> {
    pub base: &'a str,
    pub model: &'a str,
    pub key: Option<&'a Secret>,
}

/// OpenAI's error envelope; compatible servers often send something else, hence the fallbacks.
#[derive(serde::Deserialize)]
struct Envelope {
    error: ErrorObject,
}

#[derive(serde::Deserialize)]
struct ErrorObject {
    message: Option<String>,
    code: Option<serde_json::Value>,
}

/// A non-2xx answer.
pub(super) fn from_status(status: u16, headers: &HeaderMap, body: &[u8], ctx: &Ctx<'_>) -> Attempt {
    let parsed = serde_json::from_slice::<Envelope>(body).ok();
    let code = parsed.as_ref().and_then(|e| e.error.code.as_ref()).and_then(|c| c.as_str()).unwrap_or_default();
    let detail = match parsed.as_ref().and_then(|e| e.error.message.as_deref()) {
        Some(message) => redact(message, ctx.key),
        None => redact(&String::from_utf8_lossy(&body[..body.len().min(300)]), ctx.key),
    };
    let Ctx { base, model, key } = ctx;
    let attempt = match status {
        401 if key.is_none() => Attempt::Fatal(EmbedError::Unauthorized(format!(
            "{base} requires an API key for embeddings (HTTP 401); set one in the settings"
        ))),
        401 => Attempt::Fatal(EmbedError::Unauthorized(format!(
            "the API key was refused by {base} (HTTP 401); check the embedding API key in the settings"
        ))),
        403 => Attempt::Fatal(EmbedError::Unauthorized(format!(
            "{base} refused access to embedding model `{model}` (HTTP 403): {detail}"
        ))),
        404 => Attempt::Fatal(EmbedError::Failed(format!(
            "model `{model}` not found at {base} (HTTP 404: {detail}); check the model name and the base URL"
        ))),
        // Out of credit: waiting will not help, so it is not retried.
        429 if code == "insufficient_quota" => {
            Attempt::Fatal(EmbedError::Failed(format!("the account's quota at {base} is used up (HTTP 429): {detail}")))
        }
        429 => {
            let retry_after = retry_after(headers);
            Attempt::RateLimited {
                retry_after,
                error: EmbedError::RateLimited {
                    message: format!("{base} is rate limiting embedding requests (HTTP 429): {detail}"),
                    retry_after_secs: retry_after.map(|d| d.as_secs_f32().ceil() as u64),
                },
            }
        }
        500..=599 => Attempt::Busy(EmbedError::Unavailable(format!("{base} answered HTTP {status}: {detail}"))),
        _ => Attempt::Fatal(EmbedError::Failed(format!(
            "{base} rejected the embedding request for model `{model}` (HTTP {status}): {detail}"
        ))),
    };
    tracing::warn!(status, base, model, "embedding request refused");
    attempt
}

/// A transport failure: nothing listening, connection reset, no answer in time.
pub(super) fn from_reqwest(err: &reqwest::Error, ctx: &Ctx<'_>) -> Attempt {
    let what = if err.is_timeout() {
        "did not answer in time"
    } else if err.is_connect() {
        "could not be reached"
    } else {
        "cut the connection"
    };
    tracing::warn!(base = ctx.base, cause = %redact(&error_chain(err), ctx.key), "embedding request failed");
    Attempt::Busy(EmbedError::Unavailable(format!("{} {what}", ctx.base)))
}

/// How long the server asked us to wait: `retry-after-ms` (OpenAI, Azure) first, then
/// `retry-after` in seconds. An HTTP date is not honoured; the caller backs off instead.
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    let seconds = number("retry-after-ms").map(|ms| ms / 1000.0).or_else(|| number("retry-after"))?;
    Duration::try_from_secs_f64(seconds).ok()
}

fn redact(text: &str, key: Option<&Secret>) -> String {
    key.map_or_else(|| text.to_owned(), |k| k.redact_in(text))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn ctx(key: &Secret) -> Ctx<'_> {
        Ctx { base: "http://x/v1", model: "m", key: Some(key) }
    }

    #[test]
    fn retry_after_prefers_milliseconds_and_ignores_dates() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(150)));
        let mut dated = HeaderMap::new();
        dated.insert("retry-after", HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&dated), None);
    }

    #[test]
    fn a_refused_key_is_reported_without_the_upstream_message() {
        let key = Secret::new("sk-secret-123456");
        let body = br#"{"error":{"message":"Incorrect API key provided: sk-secret-123456.","code":"invalid_api_key"}}"#;
        let Attempt::Fatal(error) = from_status(401, &HeaderMap::new(), body, &ctx(&key)) else {
            panic!("a 401 must not be retried");
        };
        let text = error.to_string();
        assert!(text.contains("the API key was refused") && !text.contains("sk-secret"), "{text}");
    }

    #[test]
    fn statuses_decide_whether_to_retry() {
        let key = Secret::new("k");
        let quota = br#"{"error":{"message":"You exceeded your current quota","code":"insufficient_quota"}}"#;
        assert!(matches!(from_status(429, &HeaderMap::new(), quota, &ctx(&key)), Attempt::Fatal(_)));
        assert!(matches!(from_status(429, &HeaderMap::new(), b"", &ctx(&key)), Attempt::RateLimited { .. }));
        assert!(matches!(from_status(503, &HeaderMap::new(), b"", &ctx(&key)), Attempt::Busy(_)));
        let not_found = br#"{"error":{"message":"The model `m` does not exist","code":"model_not_found"}}"#;
        let Attempt::Fatal(error) = from_status(404, &HeaderMap::new(), not_found, &ctx(&key)) else {
            panic!("a 404 must not be retried");
        };
        assert!(error.to_string().starts_with("embedding failed: model `m` not found at http://x/v1"), "{error}");
    }

    #[test]
    fn other_upstream_text_is_passed_on_without_the_key() {
        let key = Secret::new("sk-secret-123456");
        let Attempt::Fatal(error) = from_status(400, &HeaderMap::new(), b"bad sk-secret-123456", &ctx(&key)) else {
            panic!("a 400 must not be retried");
        };
        let text = error.to_string();
        assert!(text.contains("bad [redacted]") && !text.contains("sk-secret"), "{text}");
    }
}
