//! Stream metrics shared by the chat UI path and the OpenAI-compatible API.

use std::{sync::Arc, time::Instant};

use futures::StreamExt;

use crate::providers::{ChatEvent, ChatStream};

/// Wraps a provider stream to record time to first token and the number of active streams.
pub fn instrument_stream(provider: &str, started: Instant, stream: ChatStream) -> ChatStream {
    let provider: Arc<str> = Arc::from(provider);
    let guard = ActiveStream::new(Arc::clone(&provider));
    let mut first = true;
    stream
        .map(move |ev| {
            let _keep = &guard;
            if first && matches!(ev, Ok(ChatEvent::Delta(_))) {
                first = false;
                metrics::histogram!("webplus_time_to_first_token_seconds", "provider" => Arc::clone(&provider))
                    .record(started.elapsed().as_secs_f64());
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
