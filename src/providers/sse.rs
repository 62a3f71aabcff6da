//! Reading an upstream's answer as server-sent events (OpenAI, Anthropic): the request is opened
//! through `upstream.rs` (client, head timeout, status, content type, idle timeout per read, cap)
//! and its body parsed by `eventsource-stream`.

use std::time::Duration;

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures::StreamExt;
use futures::stream::BoxStream;

pub(super) use super::upstream::{BodyError, OpenError, client};

/// The events of a response body, as `eventsource-stream` parses them.
pub(super) type Events = BoxStream<'static, Result<Event, EventStreamError<BodyError>>>;

/// Sends `request` and returns the response body as events; a success that is not
/// `text/event-stream` is [`OpenError::UnexpectedContentType`].
pub(super) async fn open(request: reqwest::RequestBuilder, idle_timeout: Duration) -> Result<Events, OpenError> {
    let body = super::upstream::open(request, idle_timeout, &["text/event-stream"]).await?;
    Ok(body.eventsource().boxed())
}
