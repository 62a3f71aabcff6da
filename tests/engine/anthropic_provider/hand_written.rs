//! Streams the fake never sends on its own, served as written: unknown events, a stream cut
//! before `message_stop`, an error as the first event.

use axum::Router;
use axum::http::header;
use axum::routing::post;
use webplus::providers::anthropic::{AnthropicConfig, AnthropicProvider};
use webplus::providers::{ChatEvent, ChatProvider, FinishReason, ProviderError};
use webplus::settings::Secret;

use super::{MODEL, deltas, hello, run};

const START: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-6\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n";
const BLOCK: &str = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
const HELLO: &str = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n";
const END: &str = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":3}}\n\n";
const STOP: &str = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

/// A provider whose Anthropic answers every message request with `body` as an event stream.
async fn serving(body: String) -> (AnthropicProvider, tokio::task::JoinHandle<()>) {
    let app = Router::new().route(
        "/v1/messages",
        post(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("a free port");
    let addr = listener.local_addr().expect("an address");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let provider = AnthropicProvider::new(AnthropicConfig {
        base_url: format!("http://{addr}"),
        api_key: Secret::new("sk-ant-any"),
        models: vec![MODEL.to_owned()],
        ..AnthropicConfig::default()
    });
    (provider, server)
}

#[tokio::test]
async fn unknown_events_pings_and_other_deltas_are_skipped() {
    let odd = "event: ping\ndata: {\"type\": \"ping\"}\n\n\
               event: brand_new\ndata: {\"type\":\"brand_new\",\"detail\":{\"x\":1}}\n\n\
               event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"citations_delta\",\"citation\":{}}}\n\n";
    let (provider, server) = serving([START, odd, BLOCK, HELLO, odd, END, STOP].concat()).await;
    let events = run(&provider, hello()).await;
    server.abort();

    assert_eq!(deltas(&events), ["Hello"]);
    match events.last() {
        Some(Ok(ChatEvent::Finished { reason: FinishReason::Stop, usage })) => {
            assert_eq!((usage.prompt_tokens, usage.completion_tokens), (9, 3));
        }
        other => panic!("expected Finished(Stop), got {other:?}"),
    }
}

#[tokio::test]
async fn a_stream_that_ends_without_message_stop_is_an_error_after_its_text() {
    let (provider, server) = serving([START, BLOCK, HELLO, END].concat()).await;
    let events = run(&provider, hello()).await;
    server.abort();

    assert_eq!(deltas(&events), ["Hello"]);
    assert!(matches!(events.last(), Some(Err(ProviderError::Unavailable(_)))), "{events:?}");
}

#[tokio::test]
async fn an_error_event_before_anything_else_is_returned_by_stream_chat() {
    let overloaded = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    let (provider, server) = serving(overloaded.to_owned()).await;
    let result = provider.stream_chat(hello()).await;
    server.abort();
    assert!(matches!(result, Err(ProviderError::Unavailable(_))), "{:?}", result.err());
}
