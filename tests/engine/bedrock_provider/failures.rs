//! Bedrock's refusals and broken streams, as users and administrators get them.

use std::time::Duration;

use webplus::fakes::{BedrockFailure, FakeBedrock, FakeBedrockConfig, StreamException};
use webplus::providers::bedrock::{BedrockChatConfig, BedrockProvider};
use webplus::providers::{ChatEvent, ChatMessage, ChatRequest, ProviderError, Role};
use webplus::settings::Secret;

use super::{MODEL, config_for, deltas, hello, provider_for, refusal, run};

#[tokio::test]
async fn an_exception_halfway_ends_the_stream_with_an_error_after_the_text() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let exception = |exception| BedrockFailure::ExceptionAfter { deltas: 2, exception };
    fake.fail_next([exception(StreamException::ModelStreamError), exception(StreamException::Validation)]);
    let provider = provider_for(&fake);

    let events = run(&provider, hello()).await;
    let whole = webplus::fakes::openai::word_tokens(&webplus::fakes::bedrock::reply_to("Hello there, Nova?"));
    assert_eq!(deltas(&events), whole[..2]);
    assert_eq!(events.len(), 3, "{events:?}");
    // "An error occurred while streaming the response. Retry your request."
    assert!(matches!(events.last(), Some(Err(ProviderError::Unavailable(_)))), "{events:?}");

    let events = run(&provider, hello()).await;
    assert_eq!(deltas(&events).len(), 2);
    match events.last() {
        Some(Err(ProviderError::Failed(m))) => assert!(!m.contains("failed validation"), "upstream text: {m}"),
        other => panic!("a validation exception is not worth a retry: {other:?}"),
    }
    assert_eq!(fake.requests().len(), 2, "not sent again behind the caller's back");
}

#[tokio::test]
async fn an_exception_before_any_text_comes_back_from_stream_chat() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let exception = StreamException::Throttling;
    fake.fail_next([BedrockFailure::ExceptionAfter { deltas: 0, exception }]);
    let error = refusal(&provider_for(&fake), hello()).await;
    assert!(matches!(error, ProviderError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn throttling_is_unavailable_once_with_no_retry_and_no_detail_for_the_client() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    fake.fail_next([BedrockFailure::Throttling]);
    let provider = provider_for(&fake);
    let error = refusal(&provider, hello()).await;
    assert!(matches!(&error, ProviderError::Unavailable(d) if d.contains("ThrottlingException")), "{error:?}");
    assert_eq!(fake.requests().len(), 1, "the SDK's retries are off");
    let public = webplus::Error::from(error);
    assert_eq!(public.status(), 503);
    let text = public.public_message("req-1");
    assert!(!text.contains("Throttling") && !text.contains("Too many requests"), "{text}");

    let events = run(&provider, hello()).await;
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { .. }))), "later calls succeed: {events:?}");
}

#[tokio::test]
async fn an_unavailable_service_or_a_model_not_ready_is_unavailable() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    fake.fail_next([BedrockFailure::ServiceUnavailable, BedrockFailure::ModelNotReady]);
    let provider = provider_for(&fake);
    for expected in ["ServiceUnavailableException", "ModelNotReadyException"] {
        match refusal(&provider, hello()).await {
            ProviderError::Unavailable(detail) => assert!(detail.contains(expected), "{detail}"),
            other => panic!("{expected}: expected Unavailable, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_refused_key_names_amazon_bedrock_and_nothing_of_the_upstream() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let wrong_key = BedrockProvider::new(BedrockChatConfig {
        credentials: Some((Secret::new("AKIAWRONGKEY00000000"), Secret::new("secret"))),
        ..config_for(&fake)
    });
    let denied = provider_for(&fake);
    fake.fail_next([BedrockFailure::AccessDenied]);
    for provider in [wrong_key, denied] {
        let error = refusal(&provider, hello()).await;
        assert!(matches!(&error, ProviderError::KeyRefused { provider } if provider == "Amazon Bedrock"), "{error:?}");
        let text = webplus::Error::from(error).public_message("req-1");
        assert!(text.contains("Amazon Bedrock") && text.contains("administrator"), "{text}");
        assert!(!text.contains("security token") && !text.contains("access to the model"), "upstream text: {text}");
        assert!(!text.contains("AKIA"), "a key leaked: {text}");
    }
}

#[tokio::test]
async fn a_model_bedrock_does_not_know_or_no_longer_has_is_an_unknown_model() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let provider = provider_for(&fake);
    let unlisted = ChatRequest::new("amazon.nonexistent-v1:0", vec![ChatMessage::new(Role::User, "Hi")]);
    let error = refusal(&provider, unlisted).await;
    assert!(matches!(&error, ProviderError::UnknownModel(m) if m == "amazon.nonexistent-v1:0"), "{error:?}");
    assert_eq!(webplus::Error::from(error).status(), 404);

    fake.fail_next([BedrockFailure::ModelNotFound]);
    let error = refusal(&provider, hello()).await;
    assert!(matches!(&error, ProviderError::UnknownModel(m) if m == MODEL), "{error:?}");
}

#[tokio::test]
async fn a_conversation_bedrock_refuses_fails_without_its_message() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let only_system = ChatRequest::new(MODEL, vec![ChatMessage::new(Role::System, "Be brief.")]);
    match refusal(&provider_for(&fake), only_system).await {
        ProviderError::Failed(m) => assert!(m.contains("ValidationException") && !m.contains("conversation"), "{m}"),
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_silent_stream_is_unavailable_after_the_timeout() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    fake.fail_next([BedrockFailure::StallAfter(1)]);
    let provider = BedrockProvider::new(BedrockChatConfig { timeout: Duration::from_millis(300), ..config_for(&fake) });
    let events = run(&provider, hello()).await;
    assert_eq!(deltas(&events).len(), 1);
    assert!(
        matches!(events.last(), Some(Err(ProviderError::Unavailable(m))) if m.contains("sent nothing")),
        "{events:?}"
    );
}

#[tokio::test]
async fn nothing_listening_is_unavailable() {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("a free port");
    let addr = listener.local_addr().expect("an address");
    drop(listener);
    let provider = BedrockProvider::new(BedrockChatConfig {
        endpoint_url: Some(format!("http://{addr}")),
        credentials: Some((Secret::new("AKIAIOSFODNN7EXAMPLE"), Secret::new("secret"))),
        models: vec![MODEL.to_owned()],
        ..BedrockChatConfig::default()
    });
    let error = refusal(&provider, hello()).await;
    assert!(matches!(error, ProviderError::Unavailable(_)), "{error:?}");
}
