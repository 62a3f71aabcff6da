//! The metrics and usage of an answer's stream: time to first token, active streams, and the
//! call's usage record when the stream ends (or is dropped). The stream holds the answer's place
//! among `max_streams` until then.

use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::OwnedSemaphorePermit;

use super::usage::Recorder;
use crate::providers::{ChatEvent, ChatStream};

/// Wraps a provider stream to record time to first token, the number of active streams, and the
/// call's usage.
pub(super) fn instrument(stream: ChatStream, mut record: Recorder, permit: OwnedSemaphorePermit) -> ChatStream {
    let provider: Arc<str> = Arc::from(record.provider());
    let guard = (ActiveStream::new(Arc::clone(&provider)), permit);
    let mut first = true;
    stream
        .map(move |ev| {
            let _keep = &guard;
            match &ev {
                Ok(ChatEvent::Delta(text)) => {
                    if first {
                        first = false;
                        let ttft = record.first_token();
                        metrics::histogram!("webplus_time_to_first_token_seconds", "provider" => Arc::clone(&provider))
                            .record(ttft.as_secs_f64());
                    }
                    record.text(text);
                }
                Ok(ChatEvent::Finished { usage, .. }) => record.finished(*usage),
                Err(_) => record.failed(),
            }
            ev
        })
        .boxed()
}

/// Counts a stream in `webplus_active_streams` for as long as it lives.
struct ActiveStream(Arc<str>);

impl ActiveStream {
    fn new(provider: Arc<str>) -> Self {
        metrics::gauge!("webplus_active_streams", "provider" => Arc::clone(&provider)).increment(1.0);
        Self(provider)
    }
}

impl Drop for ActiveStream {
    fn drop(&mut self) {
        metrics::gauge!("webplus_active_streams", "provider" => Arc::clone(&self.0)).decrement(1.0);
    }
}
