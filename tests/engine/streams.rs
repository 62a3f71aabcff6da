//! What the provider tests read from a stream, shared by every provider's module.

use futures::StreamExt;
use webplus::providers::{ChatEvent, ChatProvider, ChatRequest, ProviderError};

/// Everything the stream yields, errors included (a refusal before streaming is the only item).
pub async fn run(provider: &dyn ChatProvider, request: ChatRequest) -> Vec<Result<ChatEvent, ProviderError>> {
    match provider.stream_chat(request).await {
        Ok(stream) => stream.collect().await,
        Err(e) => vec![Err(e)],
    }
}

/// The text pieces, in order.
pub fn deltas(events: &[Result<ChatEvent, ProviderError>]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Ok(ChatEvent::Delta(text)) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The error of a request that must be refused before any streaming.
pub async fn refusal(provider: &dyn ChatProvider, request: ChatRequest) -> ProviderError {
    match provider.stream_chat(request).await {
        Err(e) => e,
        Ok(_) => panic!("expected the request to be refused before streaming"),
    }
}
