//! Streams the fake never sends on its own, served as written: a stream cut before its `done`
//! line, an error as the first line, thinking text, an answer that is not JSON lines.

use axum::Router;
use axum::http::header;
use axum::routing::post;
use webplus::providers::ollama::{OllamaConfig, OllamaProvider};
use webplus::providers::{ChatEvent, ChatProvider, FinishReason, ProviderError};

use super::{MODEL, deltas, hello, run};

const HELLO: &str = "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"done\":false}\n";
const DONE: &str = "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true,\"prompt_eval_count\":9,\"eval_count\":3}\n";

/// A provider whose Ollama answers every chat with `body` as `content_type`.
async fn serving(content_type: &'static str, body: String) -> (OllamaProvider, tokio::task::JoinHandle<()>) {
    let app = Router::new().route(
        "/api/chat",
        post(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, content_type)], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("a free port");
    let addr = listener.local_addr().expect("an address");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let provider = OllamaProvider::new(OllamaConfig {
        base_url: format!("http://{addr}"),
        models: vec![MODEL.to_owned()],
        ..OllamaConfig::default()
    });
    (provider, server)
}

#[tokio::test]
async fn thinking_text_is_not_passed_on_and_the_done_line_counts() {
    let thinking = "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"Hmm\"},\"done\":false}\n";
    let (provider, server) = serving("application/x-ndjson", [thinking, HELLO, DONE].concat()).await;
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
async fn a_stream_that_ends_without_its_done_line_is_an_error_after_its_text() {
    let (provider, server) = serving("application/x-ndjson", HELLO.to_owned()).await;
    let events = run(&provider, hello()).await;
    server.abort();

    assert_eq!(deltas(&events), ["Hello"]);
    assert!(matches!(events.last(), Some(Err(ProviderError::Unavailable(_)))), "{events:?}");
}

#[tokio::test]
async fn an_error_as_the_first_line_is_returned_by_stream_chat() {
    let failed = "{\"error\":\"model requires more system memory (8.0 GiB) than is available (2.0 GiB)\"}\n";
    let (provider, server) = serving("application/x-ndjson", failed.to_owned()).await;
    let result = provider.stream_chat(hello()).await;
    server.abort();
    match result {
        Err(ProviderError::Failed(m)) => assert!(!m.contains("GiB"), "Ollama's text is the log's: {m}"),
        Err(other) => panic!("expected Failed, got {other:?}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[tokio::test]
async fn a_page_that_is_not_json_lines_is_a_clear_error() {
    let (provider, server) = serving("text/html", "<html>Welcome to nginx</html>".to_owned()).await;
    let result = provider.stream_chat(hello()).await;
    server.abort();
    assert!(matches!(result, Err(ProviderError::Failed(ref m)) if m.contains("base URL")), "{:?}", result.err());
}
