//! Reading an upstream's server-sent events: the one body reader of the HTTP providers (OpenAI,
//! Anthropic), with an idle timeout on each network read and a cap on the bytes read. Each
//! provider decodes the events' data and maps the errors its own way.

use std::time::Duration;

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::header::CONTENT_TYPE;

/// More than any chat answer sends; reading stops there, which bounds the memory a broken or
/// hostile upstream can make us hold (the event parser buffers an event until it ends).
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

/// The events of a response body, as `eventsource-stream` parses them.
pub(super) type Events = BoxStream<'static, Result<Event, EventStreamError<BodyError>>>;

/// The body's bytes with the idle timeout applied to each network read, and capped, as events.
pub(super) fn body_events(response: reqwest::Response, idle_timeout: Duration) -> Events {
    let mut body = response.bytes_stream();
    let bytes = async_stream::stream! {
        let mut seen = 0usize;
        loop {
            match tokio::time::timeout(idle_timeout, body.next()).await {
                Err(_) => {
                    yield Err(BodyError::Silent);
                    break;
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    yield Err(BodyError::Http(e));
                    break;
                }
                Ok(Some(Ok(chunk))) => {
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
    bytes.eventsource().boxed()
}

/// Whether a response says it is an event stream (a wrong base URL often answers 200 with HTML).
pub(super) fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}
