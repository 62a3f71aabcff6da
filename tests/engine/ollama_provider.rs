//! The Ollama chat provider against the in-process fake Ollama server.

mod fake_wire;
mod hand_written;

use std::time::Duration;

use crate::streams::{deltas, refusal, run};
use webplus::fakes::ollama::reply_to;
use webplus::fakes::{FakeOllama, FakeOllamaConfig, OllamaFailure};
use webplus::providers::ollama::{OllamaConfig, OllamaProvider};
use webplus::providers::{ChatEvent, ChatMessage, ChatProvider, ChatRequest, FinishReason, ProviderError, Role};
use webplus::settings::Secret;

const MODEL: &str = "llama3.2:latest";
const PROMPT: &str = "Hello there, llama?";

fn provider_for(fake: &FakeOllama, key: Option<&str>) -> OllamaProvider {
    OllamaProvider::new(OllamaConfig {
        base_url: fake.base_url(),
        api_key: key.map(Secret::new),
        models: vec![MODEL.to_owned()],
        timeout: Duration::from_secs(10),
        ..OllamaConfig::default()
    })
}

fn hello() -> ChatRequest {
    ChatRequest::new(MODEL, vec![ChatMessage::new(Role::User, PROMPT)])
}

#[tokio::test]
async fn text_arrives_in_order_and_the_stream_finishes_with_ollamas_counts() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let events = run(&provider_for(&fake, None), hello()).await;

    let text = deltas(&events);
    assert_eq!(text.concat(), reply_to(PROMPT));
    assert!(text.len() > 3, "one line per word: {text:?}");
    match events.last() {
        Some(Ok(ChatEvent::Finished { reason: FinishReason::Stop, usage })) => {
            assert_eq!(usage.completion_tokens as usize, text.len(), "eval_count");
            // The fake counts words plus 4 per message: 3 + 4.
            assert_eq!(usage.prompt_tokens, 7, "prompt_eval_count");
        }
        other => panic!("expected Finished(Stop) last, got {other:?}"),
    }
    assert_eq!(events.len(), text.len() + 1, "{events:?}");
}

#[tokio::test]
async fn the_request_is_a_stream_with_the_history_as_it_is_and_the_settings_under_options() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let provider = OllamaProvider::new(OllamaConfig {
        base_url: fake.base_url(),
        models: vec![MODEL.to_owned()],
        keep_alive: Some("-1".to_owned()),
        ..OllamaConfig::default()
    });
    let mut request = ChatRequest::new(
        MODEL,
        vec![
            ChatMessage::new(Role::System, "Sources: [1] the handbook."),
            ChatMessage::new(Role::User, "What is 2+2?"),
            ChatMessage::new(Role::Assistant, "4"),
            ChatMessage::new(Role::User, "And 3+3?"),
        ],
    );
    request.temperature = Some(0.25);
    request.top_p = Some(0.5);
    request.seed = Some(42);
    request.max_tokens = Some(100);
    let events = run(&provider, request).await;
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { .. }))), "{events:?}");

    let sent = fake.requests();
    assert_eq!((sent.len(), sent[0].method.as_str(), sent[0].path.as_str()), (1, "POST", "/api/chat"));
    assert!(!sent[0].headers.contains_key("authorization"), "no key configured, none sent");
    assert_eq!(
        sent[0].body,
        serde_json::json!({
            "model": MODEL,
            "messages": [
                {"role": "system", "content": "Sources: [1] the handbook."},
                {"role": "user", "content": "What is 2+2?"},
                {"role": "assistant", "content": "4"},
                {"role": "user", "content": "And 3+3?"},
            ],
            "stream": true,
            "options": {"temperature": 0.25, "top_p": 0.5, "seed": 42, "num_predict": 100},
            "keep_alive": -1.0,
        })
    );
    assert!(fake.loaded().contains_key(MODEL), "the chat loaded the model (for ever)");
}

#[tokio::test]
async fn max_tokens_cuts_the_answer_with_finish_reason_length() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let mut request = hello();
    request.max_tokens = Some(2);
    let events = run(&provider_for(&fake, None), request).await;

    assert_eq!(deltas(&events).len(), 2);
    match events.last() {
        Some(Ok(ChatEvent::Finished { reason: FinishReason::Length, usage })) => assert_eq!(usage.completion_tokens, 2),
        other => panic!("expected Finished(Length), got {other:?}"),
    }
}

#[tokio::test]
async fn an_error_line_halfway_ends_the_stream_with_a_failure_after_the_text_and_no_retry() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    fake.fail_next([OllamaFailure::ErrorLineAfter(2)]);
    let events = run(&provider_for(&fake, None), hello()).await;

    let whole = webplus::fakes::openai::word_tokens(&reply_to(PROMPT));
    assert_eq!(deltas(&events), whole[..2]);
    assert_eq!(events.len(), 3, "{events:?}");
    match events.last() {
        Some(Err(ProviderError::Failed(m))) => {
            assert!(!m.contains("unexpected EOF"), "Ollama's text is the log's: {m}")
        }
        other => panic!("expected Failed last, got {other:?}"),
    }
    assert_eq!(fake.bodies("/api/chat").len(), 1, "not sent again behind the caller's back");
}

#[tokio::test]
async fn a_busy_ollama_is_unavailable_and_later_requests_succeed() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    fake.fail_next([OllamaFailure::Busy]);
    let provider = provider_for(&fake, None);
    match refusal(&provider, hello()).await {
        ProviderError::Unavailable(detail) => {
            assert!(detail.contains("503") && !detail.contains("pending"), "{detail}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(fake.bodies("/api/chat").len(), 1, "no retry");
    let events = run(&provider, hello()).await;
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { .. }))), "{events:?}");
}

#[tokio::test]
async fn nothing_listening_is_unavailable() {
    let provider = OllamaProvider::new(OllamaConfig {
        // Nothing listens on the discard port.
        base_url: "http://127.0.0.1:9".to_owned(),
        timeout: Duration::from_secs(5),
        ..OllamaConfig::default()
    });
    assert!(matches!(refusal(&provider, hello()).await, ProviderError::Unavailable(_)));
}

#[tokio::test]
async fn a_refused_key_names_ollama_and_nothing_of_the_upstream() {
    let fake = FakeOllama::start(FakeOllamaConfig::default().api_key("sk-proxy-0123456789")).await;
    let revoked = provider_for(&fake, Some("sk-proxy-0123456789"));
    fake.fail_next([OllamaFailure::KeyRevoked]);
    for provider in [provider_for(&fake, Some("sk-proxy-wrong")), provider_for(&fake, None), revoked] {
        let error = refusal(&provider, hello()).await;
        assert!(matches!(&error, ProviderError::KeyRefused { provider } if provider == "Ollama"), "{error:?}");
        let public = webplus::Error::from(error);
        assert_eq!(public.status(), 503);
        let text = public.public_message("req-1");
        assert!(text.contains("Ollama") && !text.contains("unauthorized") && !text.contains("sk-proxy"), "{text}");
    }
    let sent = fake.requests();
    assert_eq!(sent[0].headers.get("authorization").map(String::as_str), Some("Bearer sk-proxy-wrong"));
    let events = run(&provider_for(&fake, Some("sk-proxy-0123456789")), hello()).await;
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { .. }))), "the right key works: {events:?}");
}

#[tokio::test]
async fn a_model_ollama_does_not_have_is_an_unknown_model() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let request = ChatRequest::new("mistral:7b", vec![ChatMessage::new(Role::User, "Hi")]);
    match refusal(&provider_for(&fake, None), request).await {
        ProviderError::UnknownModel(model) => assert_eq!(model, "mistral:7b"),
        other => panic!("expected UnknownModel, got {other:?}"),
    }
}

#[tokio::test]
async fn a_base_url_that_is_not_ollama_is_a_clear_error_not_an_unknown_model() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let provider = OllamaProvider::new(OllamaConfig {
        base_url: format!("{}/v1", fake.base_url()),
        models: vec![MODEL.to_owned()],
        ..OllamaConfig::default()
    });
    match refusal(&provider, hello()).await {
        ProviderError::Failed(m) => assert!(m.contains("base URL"), "{m}"),
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[tokio::test]
async fn without_configured_models_the_installed_ones_are_listed_once() {
    let fake = FakeOllama::start(FakeOllamaConfig::default().installed(["llama3.2", "qwen3:0.6b"])).await;
    let provider = OllamaProvider::new(OllamaConfig {
        name: "local-ollama".into(),
        base_url: fake.base_url(),
        context_window: 8192,
        ..OllamaConfig::default()
    });
    let models = provider.models().await;
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    // Most recently installed first, as Ollama lists them.
    assert_eq!(ids, ["qwen3:0.6b", "llama3.2:latest"]);
    assert!(models.iter().all(|m| m.provider == "local-ollama" && m.context_window == 8192));

    fake.install("gemma3:1b");
    assert_eq!(provider.models().await.len(), 2, "cached");
    assert_eq!(fake.requests().iter().filter(|r| r.path == "/api/tags").count(), 1);
    provider.forget_listed_models().await;
    assert_eq!(provider.models().await.len(), 3, "asked again once forgotten");
}
