//! Talking to an HTTP upstream that streams its answer: the one client setup and request opening of
//! the HTTP providers (OpenAI, Anthropic, Ollama), with an idle timeout on the response head and on
//! each network read, and a cap on the bytes read. `sse.rs` reads the body as server-sent events,
//! `ndjson.rs` as JSON lines; each provider builds its own request and maps the errors its own way.

use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use tokio_util::bytes::Bytes;

/// More than any chat answer sends; reading stops there, which bounds the memory a broken or
/// hostile upstream can make us hold (the readers buffer an event or a line until it ends).
pub(super) const MAX_STREAM_BYTES: usize = 64 << 20;

/// Why the response body stopped.
#[derive(Debug)]
pub(super) enum BodyError {
    Http(reqwest::Error),
    /// Nothing arrived for the idle timeout (keep-alive comments count as something).
    Silent,
    TooLarge,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Http(e) => write!(f, "{e}"),
            BodyError::Silent => f.write_str("the provider went silent"),
            BodyError::TooLarge => write!(f, "the stream passed {MAX_STREAM_BYTES} bytes"),
        }
    }
}

impl std::error::Error for BodyError {}

/// The bytes of a response body, each read bounded by the idle timeout, the whole capped.
pub(super) type BodyBytes = BoxStream<'static, Result<Bytes, BodyError>>;

/// The HTTP client of one provider (`label` names it in the log). Kept as an error rather than a
/// panic: building fails only when the TLS backend cannot start, and then every request should
/// say so instead of the process dying at startup.
pub(super) fn client(connect_timeout: Duration, label: &str) -> Result<reqwest::Client, String> {
    reqwest::Client::builder().connect_timeout(connect_timeout).tcp_nodelay(true).build().map_err(|e| {
        tracing::error!(error = %e, provider = label, "could not build the HTTP client for a provider");
        e.to_string()
    })
}

/// Why an upstream did not start the answer.
#[derive(Debug)]
pub(super) enum OpenError {
    Http(reqwest::Error),
    /// The response head did not arrive within the idle timeout.
    Silent,
    /// A status other than success, with its headers and the body (empty if it did not arrive in
    /// time: a body that is late is no reason to wait longer).
    Status {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
    },
    /// A success of another content type than asked for (a wrong base URL often answers 200 with
    /// HTML).
    UnexpectedContentType,
}

/// Sends `request` and returns the response body. `content_types` are the media types a success
/// may have (matched as prefixes of `Content-Type`); empty accepts any, even none.
pub(super) async fn open(
    request: reqwest::RequestBuilder,
    idle_timeout: Duration,
    content_types: &[&str],
) -> Result<BodyBytes, OpenError> {
    let response = match tokio::time::timeout(idle_timeout, request.send()).await {
        Err(_) => return Err(OpenError::Silent),
        Ok(Err(e)) => return Err(OpenError::Http(e)),
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    if !status.is_success() {
        let headers = response.headers().clone();
        let body = tokio::time::timeout(idle_timeout, response.bytes()).await.ok().and_then(Result::ok);
        return Err(OpenError::Status {
            status: status.as_u16(),
            headers,
            body: body.map(Vec::from).unwrap_or_default(),
        });
    }
    if !content_types.is_empty() && !has_content_type(&response, content_types) {
        return Err(OpenError::UnexpectedContentType);
    }
    Ok(body_bytes(response, idle_timeout))
}

/// The body's bytes with the idle timeout applied to each network read, and capped.
///
/// One timer serves the whole body: before each read its deadline moves later, which tokio does
/// without touching its timer wheel, where a fresh `timeout` per read would add and remove an
/// entry for every token.
fn body_bytes(response: reqwest::Response, idle_timeout: Duration) -> BodyBytes {
    let mut body = response.bytes_stream();
    let bytes = async_stream::stream! {
        let mut seen = 0usize;
        let silence = tokio::time::sleep(idle_timeout);
        tokio::pin!(silence);
        loop {
            silence.as_mut().reset(tokio::time::Instant::now() + idle_timeout);
            let next = tokio::select! {
                biased;
                next = body.next() => Some(next),
                () = &mut silence => None,
            };
            let Some(next) = next else {
                yield Err(BodyError::Silent);
                break;
            };
            match next {
                None => break,
                Some(Err(e)) => {
                    yield Err(BodyError::Http(e));
                    break;
                }
                Some(Ok(chunk)) => {
                    seen += chunk.len();
                    if seen > MAX_STREAM_BYTES {
                        yield Err(BodyError::TooLarge);
                        break;
                    }
                    yield Ok(chunk);
                }
            }
        }
    };
    bytes.boxed()
}

/// Whether a response's `Content-Type` starts with one of `expected`.
fn has_content_type(response: &reqwest::Response, expected: &[&str]) -> bool {
    let Some(actual) = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let actual = actual.trim_start().to_ascii_lowercase();
    expected.iter().any(|e| actual.starts_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{Instant, sleep};

    /// A response whose body sends "1" at once, "2" and "3" 600 ms apart, then nothing.
    fn pausing_response() -> reqwest::Response {
        let body = async_stream::stream! {
            for (i, chunk) in ["1", "2", "3"].into_iter().enumerate() {
                if i > 0 {
                    sleep(Duration::from_millis(600)).await;
                }
                yield Ok::<_, std::io::Error>(Bytes::from_static(chunk.as_bytes()));
            }
            std::future::pending::<()>().await;
        };
        reqwest::Response::from(http::Response::new(reqwest::Body::wrap_stream(body)))
    }

    #[tokio::test(start_paused = true)]
    async fn the_idle_timeout_counts_from_the_last_read_and_ends_a_silent_body() {
        let started = Instant::now();
        let got: Vec<_> = body_bytes(pausing_response(), Duration::from_secs(1)).collect().await;
        // Each read waits less than the timeout (the whole body takes longer than it): all three
        // arrive, then a second of silence after the last ends the stream.
        let chunks: Vec<&[u8]> = got.iter().filter_map(|r| r.as_ref().ok().map(|b| &b[..])).collect();
        assert_eq!(chunks, [b"1", b"2", b"3"]);
        assert!(matches!(got.last(), Some(Err(BodyError::Silent))), "{got:?}");
        let silent_after = started.elapsed();
        assert!(
            silent_after >= Duration::from_millis(2200) && silent_after < Duration::from_millis(2300),
            "{silent_after:?}"
        );
    }
}
