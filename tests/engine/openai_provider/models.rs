//! Which models the OpenAI provider offers.

use webplus::fakes::{FakeOpenAi, FakeOpenAiConfig};
use webplus::providers::ChatProvider;
use webplus::providers::openai::{OpenAiConfig, OpenAiProvider};
use webplus::settings::Secret;

#[tokio::test]
async fn configured_models_are_listed_without_asking_the_server() {
    let provider = OpenAiProvider::new(OpenAiConfig {
        name: "compat".to_owned(),
        // Nothing listens here: a network call would fail and list nothing.
        base_url: "http://127.0.0.1:9/v1".to_owned(),
        models: vec!["a".to_owned(), "b".to_owned()],
        context_window: 8192,
        ..OpenAiConfig::default()
    });
    let models = provider.models().await;
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(models.iter().all(|m| m.provider == "compat" && m.context_window == 8192));
    assert_eq!(provider.name(), "compat");
}

#[tokio::test]
async fn without_configured_models_the_servers_list_is_used() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().models(["gpt-4o", "gpt-4o-mini"])).await;
    let provider = OpenAiProvider::new(OpenAiConfig {
        base_url: fake.base_url(),
        api_key: Secret::new(fake.api_key()),
        ..OpenAiConfig::default()
    });
    let ids: Vec<String> = provider.models().await.into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["gpt-4o", "gpt-4o-mini"]);
    // Cached: still listed after the server is gone.
    drop(fake);
    assert_eq!(provider.models().await.len(), 2);
}

#[tokio::test]
async fn a_wrong_key_lists_no_models() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let provider = OpenAiProvider::new(OpenAiConfig {
        base_url: fake.base_url(),
        api_key: Secret::new("sk-wrong"),
        ..OpenAiConfig::default()
    });
    assert!(provider.models().await.is_empty());
}
