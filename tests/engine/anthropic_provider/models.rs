//! Which models the Anthropic provider offers.

use webplus::fakes::{FakeAnthropic, FakeAnthropicConfig};
use webplus::providers::ChatProvider;
use webplus::providers::anthropic::{AnthropicConfig, AnthropicProvider};
use webplus::settings::Secret;

#[tokio::test]
async fn configured_models_are_listed_without_asking_anthropic() {
    let provider = AnthropicProvider::new(AnthropicConfig {
        // Nothing listens here: a network call would fail and list nothing.
        base_url: "http://127.0.0.1:9".to_owned(),
        models: vec!["claude-a".to_owned(), "claude-b".to_owned()],
        ..AnthropicConfig::default()
    });
    let models = provider.models().await;
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["claude-a", "claude-b"]);
    assert!(models.iter().all(|m| m.provider == "anthropic" && m.context_window == 200_000));
}

#[tokio::test]
async fn without_configured_models_every_page_of_anthropics_list_is_used_once() {
    let all = ["claude-e", "claude-d", "claude-c", "claude-b", "claude-a"];
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models(all).max_page_size(2)).await;
    let provider = AnthropicProvider::new(AnthropicConfig {
        base_url: fake.base_url(),
        api_key: Secret::new(fake.api_key()),
        ..AnthropicConfig::default()
    });
    let ids: Vec<String> = provider.models().await.into_iter().map(|m| m.id).collect();
    assert_eq!(ids, all);
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/v1/models?limit=1000", "/v1/models?limit=1000&after_id=claude-d", "/v1/models?limit=1000&after_id=claude-b"]
    );
    // Cached: still listed after the server is gone.
    drop(fake);
    assert_eq!(provider.models().await.len(), 5);
}

#[tokio::test]
async fn a_wrong_key_lists_no_models() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let provider = AnthropicProvider::new(AnthropicConfig {
        base_url: fake.base_url(),
        api_key: Secret::new("sk-ant-wrong"),
        ..AnthropicConfig::default()
    });
    assert!(provider.models().await.is_empty());
    assert_eq!(fake.requests()[0].headers.get("anthropic-version").map(String::as_str), Some("2023-06-01"));
}
