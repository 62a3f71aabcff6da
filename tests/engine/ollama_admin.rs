//! Managing Ollama's models against the in-process fake Ollama server.

mod pull;

use std::time::Duration;

use webplus::fakes::{FakeOllama, FakeOllamaConfig};
use webplus::providers::ollama::{OllamaAdmin, OllamaAdminError, OllamaConfig};
use webplus::settings::Secret;

fn admin_for(fake: &FakeOllama) -> OllamaAdmin {
    OllamaAdmin::new(&OllamaConfig {
        base_url: fake.base_url(),
        timeout: Duration::from_secs(10),
        ..OllamaConfig::default()
    })
}

fn names<T>(items: &[T], name: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| name(i).to_owned()).collect()
}

#[tokio::test]
async fn the_list_comes_from_the_cache_until_a_refresh_is_asked_for() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let admin = admin_for(&fake);
    let listed = admin.list(false).await.expect("a list");
    assert_eq!(names(&listed, |m| &m.name), ["llama3.2:latest"]);
    let model = &listed[0];
    assert!(model.size > 1_000_000_000, "{model:?}");
    assert_eq!(
        (model.family.as_deref(), model.parameter_size.as_deref(), model.quantization_level.as_deref()),
        (Some("llama"), Some("3.2B"), Some("Q4_K_M"))
    );
    assert!(webplus::time::rfc3339_to_ms(&model.modified_at).is_some(), "{}", model.modified_at);

    fake.install("gemma3:1b");
    assert_eq!(admin.list(false).await.expect("a list").len(), 1, "cached");
    let refreshed = admin.list(true).await.expect("a list");
    assert_eq!(names(&refreshed, |m| &m.name), ["gemma3:1b", "llama3.2:latest"]);
    let asked = fake.requests().iter().filter(|r| r.path == "/api/tags").count();
    assert_eq!(asked, 2, "the cached answer asked nothing");

    let expired = admin_for(&fake).with_list_ttl(Duration::ZERO);
    expired.list(false).await.expect("a list");
    expired.list(false).await.expect("a list");
    assert_eq!(fake.requests().iter().filter(|r| r.path == "/api/tags").count(), 4, "a zero TTL caches nothing");
}

#[tokio::test]
async fn a_started_model_runs_until_its_keep_alive_and_a_stopped_one_is_gone() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let admin = admin_for(&fake);
    assert!(admin.running().await.expect("ps").is_empty());

    let before = webplus::time::now_ms();
    admin.start("llama3.2", Some("10m")).await.expect("loaded");
    let running = admin.running().await.expect("ps");
    assert_eq!(names(&running, |m| &m.name), ["llama3.2:latest"]);
    let expires = running[0].expires_at_ms.expect("an expiry that parses");
    let expected = before + 600_000;
    assert!((expected..expected + 5_000).contains(&expires), "expires {expires}, expected about {expected}");
    assert!(running[0].size_vram > 0 && running[0].size >= running[0].size_vram);
    assert_eq!(fake.bodies("/api/generate")[0], serde_json::json!({"model": "llama3.2", "keep_alive": "10m"}));

    admin.stop("llama3.2").await.expect("unloaded");
    assert!(admin.running().await.expect("ps").is_empty());
    assert_eq!(fake.bodies("/api/generate")[1], serde_json::json!({"model": "llama3.2", "keep_alive": 0.0}));
}

#[tokio::test]
async fn a_model_loaded_for_ever_expires_centuries_from_now() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let admin = admin_for(&fake);
    admin.start("llama3.2:latest", Some("-1")).await.expect("loaded");
    let running = admin.running().await.expect("ps");
    let century_ms = 100 * 365 * 86_400_000i64;
    assert!(running[0].expires_at_ms.is_some_and(|at| at > webplus::time::now_ms() + century_ms), "{running:?}");
}

#[tokio::test]
async fn delete_removes_the_model_and_a_second_delete_is_not_found() {
    let fake = FakeOllama::start(FakeOllamaConfig::default().installed(["llama3.2", "gemma3:1b"])).await;
    let admin = admin_for(&fake);
    assert_eq!(admin.list(false).await.expect("a list").len(), 2);
    admin.delete("llama3.2").await.expect("deleted");
    assert_eq!(names(&admin.list(false).await.expect("a list"), |m| &m.name), ["gemma3:1b"], "the cache was forgotten");
    assert_eq!(admin.delete("llama3.2").await, Err(OllamaAdminError::NotFound("llama3.2".into())));
    let sent = &fake.requests().into_iter().find(|r| r.path == "/api/delete").expect("a delete");
    assert_eq!((sent.method.as_str(), &sent.body), ("DELETE", &serde_json::json!({"model": "llama3.2"})));
}

#[tokio::test]
async fn show_gives_the_details_and_the_trained_context_length() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let admin = admin_for(&fake);
    let details = admin.show("llama3.2").await.expect("details");
    assert_eq!(details.context_length, Some(131_072));
    assert_eq!((details.family.as_deref(), details.format.as_deref()), (Some("llama"), Some("gguf")));
    assert!(details.template.as_deref().is_some_and(|t| t.contains(".Prompt")), "{details:?}");
    assert!(details.parameters.as_deref().is_some_and(|p| p.contains("stop")), "{details:?}");
    assert_eq!(details.capabilities, ["completion"]);
    assert_eq!(admin.show("mistral").await, Err(OllamaAdminError::NotFound("mistral".into())));
}

#[tokio::test]
async fn the_version_answers_and_failures_say_what_to_fix() {
    let fake = FakeOllama::start(FakeOllamaConfig::default().api_key("sk-proxy-1")).await;
    let with_key = OllamaAdmin::new(&OllamaConfig {
        base_url: fake.base_url(),
        api_key: Some(Secret::new("sk-proxy-1\n")),
        ..OllamaConfig::default()
    });
    assert_eq!(with_key.version().await.as_deref(), Ok("0.13.0"));
    assert_eq!(admin_for(&fake).version().await, Err(OllamaAdminError::KeyRefused));

    let nowhere = OllamaAdmin::new(&OllamaConfig {
        base_url: "http://127.0.0.1:9".into(),
        timeout: Duration::from_secs(5),
        ..OllamaConfig::default()
    });
    let error = nowhere.version().await.expect_err("nothing listens");
    assert!(matches!(&error, OllamaAdminError::Unreachable(_)), "{error:?}");
    assert!(error.to_string().starts_with("Ollama cannot be reached"), "{error}");
}
