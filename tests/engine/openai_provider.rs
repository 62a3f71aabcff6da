//! The OpenAI provider against the in-process fake OpenAI server.

mod fake_wire;
mod models;

use std::time::Duration;

use crate::streams::{deltas, run};
use webplus::fakes::{Failure, FakeOpenAi, FakeOpenAiConfig};
use webplus::providers::openai::{OpenAiConfig, OpenAiProvider};
use webplus::providers::{ChatEvent, ChatMessage, ChatProvider, ChatRequest, FinishReason, ProviderError, Role};
use webplus::settings::Secret;

const MODEL: &str = "gpt-4o-mini";

fn provider_for(fake: &FakeOpenAi) -> OpenAiProvider {
    OpenAiProvider::new(OpenAiConfig {
        base_url: fake.base_url(),
        api_key: Secret::new(fake.api_key()),
        models: vec![MODEL.to_owned()],
        timeout: Duration::from_secs(10),
        ..OpenAiConfig::default()
    })
}

fn hello() -> ChatRequest {
    ChatRequest::new(MODEL, vec![ChatMessage::new(Role::User, "Hello?")])
}

#[tokio::test]
async fn deltas_arrive_in_order_and_the_stream_finishes_with_usage() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().reply(["One", " two", " three"])).await;
    let events = run(&provider_for(&fake), hello()).await;

    assert_eq!(deltas(&events), ["One", " two", " three"]);
    let last = events.last().expect("the stream yields something");
    match last {
        Ok(ChatEvent::Finished { reason: FinishReason::Stop, usage }) => {
            assert_eq!(usage.completion_tokens, 3);
            assert!(usage.prompt_tokens > 0);
        }
        other => panic!("expected Finished(Stop) last, got {other:?}"),
    }
    assert_eq!(events.len(), 4, "three deltas and one Finished: {events:?}");
}

#[tokio::test]
async fn max_tokens_cuts_the_answer_with_finish_reason_length() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let mut request = hello();
    request.max_tokens = Some(2);
    let events = run(&provider_for(&fake), request).await;

    assert_eq!(deltas(&events).len(), 2);
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { reason: FinishReason::Length, .. }))));
    assert_eq!(fake.requests()[0]["max_tokens"], 2);
}

#[tokio::test]
async fn the_whole_conversation_is_sent_in_order() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let mut request = ChatRequest::new(
        MODEL,
        vec![
            ChatMessage::new(Role::System, "You are terse."),
            ChatMessage::new(Role::User, "What is 2+2?"),
            ChatMessage::new(Role::Assistant, "4"),
            ChatMessage::new(Role::User, "And 3+3?"),
        ],
    );
    request.temperature = Some(0.5);
    let events = run(&provider_for(&fake), request).await;
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { .. }))), "{events:?}");

    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    let body = &sent[0];
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["temperature"], 0.5);
    let messages: Vec<(String, String)> = body["messages"]
        .as_array()
        .expect("messages is an array")
        .iter()
        .map(|m| (m["role"].as_str().unwrap_or("?").to_owned(), m["content"].as_str().unwrap_or("?").to_owned()))
        .collect();
    let expected = [("system", "You are terse."), ("user", "What is 2+2?"), ("assistant", "4"), ("user", "And 3+3?")]
        .map(|(r, c)| (r.to_owned(), c.to_owned()));
    assert_eq!(messages, expected);
}

#[tokio::test]
async fn a_wrong_key_is_a_clear_auth_error_without_the_key() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let wrong_key = "sk-wrong-key-0123456789";
    let provider = OpenAiProvider::new(OpenAiConfig {
        base_url: fake.base_url(),
        api_key: Secret::new(wrong_key),
        models: vec![MODEL.to_owned()],
        ..OpenAiConfig::default()
    });

    let error = match provider.stream_chat(hello()).await {
        Err(e) => e,
        Ok(_) => panic!("a wrong key must fail before streaming"),
    };
    let text = format!("{error} {error:?}");
    assert!(matches!(&error, ProviderError::KeyRefused { provider } if provider.contains("openai")), "{text}");
    assert!(!text.contains(wrong_key) && !text.contains("sk-"), "the key leaked: {text}");
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_unavailable() {
    for status in [429, 500, 503] {
        let fake = FakeOpenAi::start(FakeOpenAiConfig::default().failure(Failure::Status(status))).await;
        match provider_for(&fake).stream_chat(hello()).await {
            Err(ProviderError::Unavailable(m)) => assert!(!m.is_empty()),
            Err(other) => panic!("HTTP {status}: expected Unavailable, got {other:?}"),
            Ok(_) => panic!("HTTP {status}: expected an error"),
        }
    }
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    // Bind and release a port so nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let provider = OpenAiProvider::new(OpenAiConfig {
        base_url: format!("http://127.0.0.1:{port}/v1"),
        api_key: Secret::new("sk-anything"),
        models: vec![MODEL.to_owned()],
        ..OpenAiConfig::default()
    });
    assert!(matches!(provider.stream_chat(hello()).await, Err(ProviderError::Unavailable(_))));
}

#[tokio::test]
async fn an_error_event_mid_stream_ends_the_stream_with_an_error_after_the_deltas() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().failure(Failure::ErrorEventAfter(3))).await;
    let events = run(&provider_for(&fake), hello()).await;

    assert_eq!(deltas(&events), FakeOpenAiConfig::default().reply[..3]);
    assert_eq!(events.len(), 4, "{events:?}");
    // OpenAI's mid-stream errors are server errors: worth a retry, so Unavailable.
    assert!(matches!(events.last(), Some(Err(ProviderError::Unavailable(_)))), "{events:?}");
}

#[tokio::test]
async fn a_dropped_connection_mid_stream_ends_the_stream_with_an_error_after_the_deltas() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().failure(Failure::DropAfter(3))).await;
    let events = run(&provider_for(&fake), hello()).await;

    assert_eq!(deltas(&events), FakeOpenAiConfig::default().reply[..3]);
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(matches!(events.last(), Some(Err(ProviderError::Unavailable(_)))), "{events:?}");
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().chunk_delay(Duration::from_secs(5))).await;
    let provider = OpenAiProvider::new(OpenAiConfig {
        base_url: fake.base_url(),
        api_key: Secret::new(fake.api_key()),
        models: vec![MODEL.to_owned()],
        timeout: Duration::from_millis(200),
        ..OpenAiConfig::default()
    });
    let events = run(&provider, hello()).await;
    assert!(matches!(events.last(), Some(Err(ProviderError::Unavailable(_)))), "{events:?}");
}

#[tokio::test]
async fn a_stream_that_failed_half_way_is_not_sent_again_behind_the_callers_back() {
    // async-openai's own stream reconnects (re-posting the request) 300 ms after such a failure.
    for failure in [Failure::DropAfter(2), Failure::ErrorEventAfter(2)] {
        let fake = FakeOpenAi::start(FakeOpenAiConfig::default().failure(failure)).await;
        let events = run(&provider_for(&fake), hello()).await;
        assert!(matches!(events.last(), Some(Err(_))), "{failure:?}: {events:?}");
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(fake.requests().len(), 1, "{failure:?}");
    }
}

#[tokio::test]
async fn an_unknown_model_says_what_the_server_said() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let request = ChatRequest::new("gpt-nonexistent", vec![ChatMessage::new(Role::User, "Hi")]);
    match provider_for(&fake).stream_chat(request).await {
        Err(ProviderError::Failed(message)) => {
            assert!(message.contains("gpt-nonexistent"), "{message}")
        }
        Err(other) => panic!("expected Failed, got {other:?}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[tokio::test]
async fn a_base_url_that_is_not_an_openai_api_is_a_clear_error() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let provider = OpenAiProvider::new(OpenAiConfig {
        // Missing `/v1`: the fake answers 404 like OpenAI does for unknown URLs.
        base_url: format!("http://{}", fake.addr()),
        api_key: Secret::new(fake.api_key()),
        models: vec![MODEL.to_owned()],
        ..OpenAiConfig::default()
    });
    assert!(matches!(provider.stream_chat(hello()).await, Err(ProviderError::Failed(_))));
}
