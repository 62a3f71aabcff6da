//! The Bedrock provider (the AWS SDK's ConverseStream) against the in-process fake Bedrock Runtime.

mod failures;
mod fake_wire;

use std::time::Duration;

use crate::streams::{deltas, refusal, run};
use futures::StreamExt;
use webplus::fakes::bedrock::reply_to;
use webplus::fakes::{FakeBedrock, FakeBedrockConfig};
use webplus::providers::bedrock::{BedrockChatConfig, BedrockProvider};
use webplus::providers::{ChatEvent, ChatMessage, ChatProvider, ChatRequest, FinishReason, ProviderError, Role};
use webplus::settings::Secret;

const MODEL: &str = "amazon.nova-lite-v1:0";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn config_for(fake: &FakeBedrock) -> BedrockChatConfig {
    BedrockChatConfig {
        region: fake.region().to_owned(),
        endpoint_url: Some(fake.endpoint_url()),
        credentials: Some((Secret::new(fake.access_key_id()), Secret::new(SECRET_KEY))),
        models: vec![MODEL.to_owned()],
        timeout: Duration::from_secs(10),
        ..BedrockChatConfig::default()
    }
}

fn provider_for(fake: &FakeBedrock) -> BedrockProvider {
    BedrockProvider::new(config_for(fake))
}

fn hello() -> ChatRequest {
    ChatRequest::new(MODEL, vec![ChatMessage::new(Role::User, "Hello there, Nova?")])
}

#[tokio::test]
async fn text_arrives_in_order_and_the_stream_finishes_with_the_metadata_usage() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let events = run(&provider_for(&fake), hello()).await;

    let text = deltas(&events);
    assert_eq!(text.concat(), reply_to("Hello there, Nova?"));
    assert!(text.len() > 3, "one delta per word: {text:?}");
    match events.last() {
        Some(Ok(ChatEvent::Finished { reason: FinishReason::Stop, usage })) => {
            assert_eq!(usage.completion_tokens as usize, text.len(), "outputTokens of metadata");
            assert!(usage.prompt_tokens > 0, "inputTokens of metadata");
        }
        other => panic!("expected Finished(Stop) last, got {other:?}"),
    }
    assert_eq!(events.len(), text.len() + 1, "{events:?}");
}

#[tokio::test]
async fn the_call_is_signed_and_has_a_system_field_alternating_turns_and_no_seed() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
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
    assert_eq!(deltas(&events).concat(), reply_to("And 3+3?\n\nAnswer in words."));
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { .. }))), "{events:?}");

    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    let call = &sent[0];
    assert_eq!((call.operation, call.model_id.as_str()), ("ConverseStream", MODEL));
    assert_eq!((call.access_key_id.as_str(), call.service.as_str()), ("AKIAIOSFODNN7EXAMPLE", "bedrock"));
    assert_eq!(
        call.body,
        serde_json::json!({
            "system": [{"text": "Sources: [1] the handbook.\n\nBe terse."}],
            "messages": [
                {"role": "user", "content": [{"text": "What is 2+2?"}]},
                {"role": "assistant", "content": [{"text": "4"}]},
                {"role": "user", "content": [{"text": "And 3+3?\n\nAnswer in words."}]},
            ],
            "inferenceConfig": {"maxTokens": 4096, "temperature": 0.5},
        }),
        "the configured default maxTokens, no topP, no seed anywhere"
    );
}

#[tokio::test]
async fn max_tokens_cuts_the_answer_with_finish_reason_length() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let mut request = hello();
    request.max_tokens = Some(2);
    let events = run(&provider_for(&fake), request).await;

    assert_eq!(deltas(&events).len(), 2);
    match events.last() {
        Some(Ok(ChatEvent::Finished { reason: FinishReason::Length, usage })) => assert_eq!(usage.completion_tokens, 2),
        other => panic!("expected Finished(Length), got {other:?}"),
    }
    assert_eq!(fake.requests()[0].body["inferenceConfig"]["maxTokens"], 2);
}

#[tokio::test]
async fn the_configured_region_scopes_the_signature_and_a_wrong_one_is_refused() {
    let fake = FakeBedrock::start(FakeBedrockConfig { region: "eu-central-1".into(), ..Default::default() }).await;
    let events = run(&provider_for(&fake), hello()).await;
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { .. }))), "{events:?}");

    let elsewhere = BedrockProvider::new(BedrockChatConfig { region: "us-west-2".into(), ..config_for(&fake) });
    let error = refusal(&elsewhere, hello()).await;
    assert!(matches!(&error, ProviderError::KeyRefused { provider } if provider == "Amazon Bedrock"), "{error:?}");

    let regions: Vec<String> = fake.requests().into_iter().map(|r| r.region).collect();
    assert_eq!(regions, ["eu-central-1", "us-west-2"]);
}

#[tokio::test]
async fn dropping_the_stream_closes_the_call_upstream() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    fake.fail_next([webplus::fakes::BedrockFailure::StallAfter(2)]);
    let mut stream = provider_for(&fake).stream_chat(hello()).await.expect("a stream");
    for _ in 0..2 {
        assert!(matches!(stream.next().await, Some(Ok(ChatEvent::Delta(_)))));
    }
    assert_eq!(fake.in_flight(), 1, "the fake is still answering");

    drop(stream);
    webplus::fakes::wait_until("the fake to see the call go away", Duration::from_secs(5), || async {
        match fake.in_flight() {
            0 => Ok(()),
            n => Err(n),
        }
    })
    .await;
    assert_eq!(fake.requests().len(), 1);
}
