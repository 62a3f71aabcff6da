//! The Anthropic provider against the in-process fake Anthropic server.

mod fake_wire;
mod hand_written;
mod models;

use std::time::Duration;

use crate::streams::{deltas, run};
use webplus::fakes::anthropic::reply_to;
use webplus::fakes::{AnthropicFailure, FakeAnthropic, FakeAnthropicConfig};
use webplus::providers::anthropic::{AnthropicConfig, AnthropicProvider};
use webplus::providers::{ChatEvent, ChatMessage, ChatProvider, ChatRequest, FinishReason, ProviderError, Role};
use webplus::settings::Secret;

const MODEL: &str = "claude-sonnet-4-6";

fn provider_for(fake: &FakeAnthropic) -> AnthropicProvider {
    provider_with_key(fake, &fake.api_key())
}

fn provider_with_key(fake: &FakeAnthropic, key: &str) -> AnthropicProvider {
    AnthropicProvider::new(AnthropicConfig {
        base_url: fake.base_url(),
        api_key: Secret::new(key),
        models: vec![MODEL.to_owned()],
        timeout: Duration::from_secs(10),
        ..AnthropicConfig::default()
    })
}

fn hello() -> ChatRequest {
    ChatRequest::new(MODEL, vec![ChatMessage::new(Role::User, "Hello there, Claude?")])
}

async fn refusal(provider: &AnthropicProvider) -> ProviderError {
    crate::streams::refusal(provider, hello()).await
}

#[tokio::test]
async fn text_arrives_in_order_and_the_stream_finishes_with_anthropics_usage() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let events = run(&provider_for(&fake), hello()).await;

    let text = deltas(&events);
    assert_eq!(text.concat(), reply_to("Hello there, Claude?"));
    assert!(text.len() > 3, "one delta per word: {text:?}");
    match events.last() {
        Some(Ok(ChatEvent::Finished { reason: FinishReason::Stop, usage })) => {
            assert_eq!(usage.completion_tokens as usize, text.len(), "output_tokens of message_delta");
            assert!(usage.prompt_tokens > 0, "input_tokens of message_start");
        }
        other => panic!("expected Finished(Stop) last, got {other:?}"),
    }
    assert_eq!(events.len(), text.len() + 1, "{events:?}");
}

#[tokio::test]
async fn the_request_has_anthropics_headers_a_system_field_alternating_turns_and_no_seed() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let mut request = ChatRequest::new(
        MODEL,
        vec![
            ChatMessage::new(Role::System, "Sources: [1] the handbook."),
            ChatMessage::new(Role::User, "What is 2+2?"),
            ChatMessage::new(Role::Assistant, "4"),
            ChatMessage::new(Role::System, "Be terse."),
            ChatMessage::new(Role::User, "And 3+3?"),
            ChatMessage::new(Role::User, "Answer in words."),
        ],
    );
    request.seed = Some(42);
    request.temperature = Some(0.5);
    let events = run(&provider_for(&fake), request).await;
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { .. }))), "{events:?}");

    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    let headers = &sent[0].headers;
    assert_eq!(headers.get("x-api-key"), Some(&fake.api_key()));
    assert_eq!(headers.get("anthropic-version").map(String::as_str), Some("2023-06-01"));
    assert_eq!(headers.get("content-type").map(String::as_str), Some("application/json"));
    assert!(!headers.contains_key("authorization"));
    let body = &sent[0].body;
    assert_eq!(sent[0].path, "/v1/messages");
    assert_eq!(body["system"], "Sources: [1] the handbook.\n\nBe terse.");
    assert_eq!(
        body["messages"],
        serde_json::json!([
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4"},
            {"role": "user", "content": "And 3+3?\n\nAnswer in words."},
        ])
    );
    assert_eq!(body["max_tokens"], 4096, "the configured default");
    assert_eq!(body["stream"], true);
    assert_eq!(body["temperature"], 0.5);
    assert!(body.get("seed").is_none() && body.get("top_p").is_none(), "{body}");
}

#[tokio::test]
async fn max_tokens_cuts_the_answer_with_finish_reason_length() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let mut request = hello();
    request.max_tokens = Some(2);
    let events = run(&provider_for(&fake), request).await;

    assert_eq!(deltas(&events).len(), 2);
    match events.last() {
        Some(Ok(ChatEvent::Finished { reason: FinishReason::Length, usage })) => assert_eq!(usage.completion_tokens, 2),
        other => panic!("expected Finished(Length), got {other:?}"),
    }
    assert_eq!(fake.message_bodies()[0]["max_tokens"], 2);
}

#[tokio::test]
async fn an_error_event_halfway_ends_the_stream_with_an_error_after_the_text() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    fake.fail_next([AnthropicFailure::ErrorEventAfter(2)]);
    let events = run(&provider_for(&fake), hello()).await;

    let whole = webplus::fakes::openai::word_tokens(&reply_to("Hello there, Claude?"));
    assert_eq!(deltas(&events), whole[..2]);
    assert_eq!(events.len(), 3, "{events:?}");
    // `overloaded_error` is worth a retry: Unavailable, not Failed.
    assert!(matches!(events.last(), Some(Err(ProviderError::Unavailable(_)))), "{events:?}");
    assert_eq!(fake.message_bodies().len(), 1, "not sent again behind the caller's back");
}

#[tokio::test]
async fn a_rate_limit_is_unavailable_with_retry_after_for_the_operator_and_no_retry() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    fake.fail_next([AnthropicFailure::RateLimited { retry_after_secs: 17 }]);
    let error = refusal(&provider_for(&fake)).await;
    match &error {
        ProviderError::Unavailable(detail) => assert!(detail.contains("retry-after 17"), "{detail}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(fake.message_bodies().len(), 1, "the OpenAI provider does not retry either");
    let public = webplus::Error::from(error);
    assert_eq!(public.status(), 503);
    assert!(!public.public_message("req-1").contains("retry-after"), "the detail is the operator's");
}

#[tokio::test]
async fn an_overloaded_or_failing_anthropic_is_unavailable() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    fake.fail_next([AnthropicFailure::Overloaded, AnthropicFailure::ServerError]);
    let provider = provider_for(&fake);
    for expected in ["529", "500"] {
        match refusal(&provider).await {
            ProviderError::Unavailable(detail) => assert!(detail.contains(expected), "{detail}"),
            other => panic!("HTTP {expected}: expected Unavailable, got {other:?}"),
        }
    }
    let events = run(&provider, hello()).await;
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { .. }))), "later requests succeed: {events:?}");
}

#[tokio::test]
async fn a_refused_key_names_anthropic_and_the_administrators_fix_and_nothing_of_the_upstream() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let wrong_key = "sk-ant-wrong-0123456789";
    let revoked = provider_for(&fake);
    fake.fail_next([AnthropicFailure::KeyRevoked]);
    for provider in [provider_with_key(&fake, wrong_key), revoked] {
        let error = refusal(&provider).await;
        assert!(matches!(&error, ProviderError::KeyRefused { provider } if provider == "Anthropic"), "{error:?}");
        let public = webplus::Error::from(error);
        assert_eq!(public.status(), 503);
        let text = public.public_message("req-1");
        assert!(text.contains("Anthropic") && text.contains("administrator"), "{text}");
        assert!(!text.contains("x-api-key") && !text.contains("authentication_error"), "upstream body: {text}");
        assert!(!text.contains("sk-ant"), "a key leaked: {text}");
    }
}

#[tokio::test]
async fn a_model_anthropic_does_not_know_is_an_unknown_model() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let request = ChatRequest::new("claude-nonexistent", vec![ChatMessage::new(Role::User, "Hi")]);
    match provider_for(&fake).stream_chat(request).await {
        Err(ProviderError::UnknownModel(model)) => {
            assert_eq!(model, "claude-nonexistent");
            assert_eq!(webplus::Error::from(ProviderError::UnknownModel(model)).status(), 404);
        }
        Err(other) => panic!("expected UnknownModel, got {other:?}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[tokio::test]
async fn a_base_url_ending_in_v1_is_a_clear_error_not_an_unknown_model() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let provider = AnthropicProvider::new(AnthropicConfig {
        base_url: format!("{}/v1", fake.base_url()),
        api_key: Secret::new(fake.api_key()),
        models: vec![MODEL.to_owned()],
        ..AnthropicConfig::default()
    });
    match refusal(&provider).await {
        ProviderError::Failed(m) => assert!(m.contains("base URL"), "{m}"),
        other => panic!("expected Failed, got {other:?}"),
    }
}
