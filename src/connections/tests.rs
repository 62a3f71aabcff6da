//! The connections service against a real database (SQLite, and PostgreSQL in the second run) and
//! the in-process fakes of Anthropic and an OpenAI-compatible server.

use futures::StreamExt;

use super::*;
use crate::fakes::{
    FakeAnthropic, FakeAnthropicConfig, FakeBedrock, FakeBedrockConfig, FakeOllama, FakeOllamaConfig, FakeOpenAi,
    FakeOpenAiConfig,
};
use crate::providers::{ChatEvent, ChatMessage, ChatRequest, Role};
use crate::storage::{Role as UserRole, TempDb};

fn principal(role: UserRole) -> Principal {
    Principal { user_id: "u1".into(), email: "u1@example.com".into(), role, session_id: None, api_key_id: None }
}

fn admin() -> Principal {
    principal(UserRole::Admin)
}

const CONNECTION_KEY: &str = "a-connection-key-of-more-than-32-characters";

struct Setup {
    connections: Connections,
    registry: Registry,
    db: Db,
    _temp: TempDb,
}

async fn setup(declared: Vec<ConnectionSpec>) -> Setup {
    let temp = TempDb::new().await;
    let db = Db::connect(temp.url()).await.expect("connect");
    let registry = Registry::default();
    let catalog = ModelCatalog::start(db.clone(), registry.clone()).await.expect("catalog");
    let connections = Connections::start(db.clone(), KeyCipher::new(&Secret::new(CONNECTION_KEY)), catalog, declared)
        .await
        .expect("start");
    Setup { connections, registry, db, _temp: temp }
}

fn anthropic_spec(name: &str, base_url: &str, key: &str) -> ConnectionSpec {
    ConnectionSpec {
        kind: ConnectionKind::Anthropic,
        name: name.into(),
        base_url: Some(base_url.into()),
        region: None,
        api_key: Some(Secret::new(key)),
        models: vec![],
    }
}

async fn first_text(registry: &Registry, model: &str) -> String {
    let (provider, info) = registry.resolve(model).await.unwrap_or_else(|| panic!("{model} is not offered"));
    let request = ChatRequest::new(info.id, vec![ChatMessage::new(Role::User, "hello there")]);
    let mut stream = provider.stream_chat(request).await.expect("stream");
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        if let ChatEvent::Delta(d) = event.expect("event") {
            text.push_str(&d);
        }
    }
    text
}

#[tokio::test]
async fn an_added_connection_answers_under_qualified_ids_and_its_key_is_sealed_at_rest() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models(["claude-a"])).await;
    let s = setup(vec![]).await;
    let key = FakeAnthropicConfig::default().api_key;
    let view = s.connections.create(&admin(), anthropic_spec("claude", &fake.base_url(), &key)).await.unwrap();
    assert!(view.has_key && view.problem.is_none(), "{view:?}");
    assert_eq!(view.source, ConnectionSource::Admin);
    assert!(!serde_json::to_string(&view).unwrap().contains(&key), "the view never carries the key");

    let stored = s.db.connection(&view.id).await.unwrap().unwrap();
    let sealed = stored.api_key.unwrap();
    assert!(!sealed.windows(key.len()).any(|w| w == key.as_bytes()), "the key is not stored in clear");

    let ids: Vec<String> = s.registry.models().await.into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["claude/claude-a"]);
    let (provider, _) = s.registry.resolve("claude/claude-a").await.unwrap();
    assert_eq!(provider.prices("claude/claude-a"), None, "a model the price table does not know has no prices");
    assert!(!first_text(&s.registry, "claude/claude-a").await.is_empty());
    let bodies = fake.message_bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["model"], "claude-a", "the fake got the upstream model id");
}

#[tokio::test]
async fn the_connection_key_survives_a_restart_but_another_key_cannot_open_it() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let s = setup(vec![]).await;
    let key = FakeAnthropicConfig::default().api_key;
    let view = s.connections.create(&admin(), anthropic_spec("claude", &fake.base_url(), &key)).await.unwrap();

    let same = ModelCatalog::start(s.db.clone(), Registry::default()).await.unwrap();
    let again =
        Connections::start(s.db.clone(), KeyCipher::new(&Secret::new(CONNECTION_KEY)), same, vec![]).await.unwrap();
    assert!(again.test(&admin(), &view.id).await.unwrap().ok);

    let other = Registry::default();
    let wrong = Secret::new("another-connection-key-of-more-than-32-chars");
    let catalog = ModelCatalog::start(s.db.clone(), other.clone()).await.unwrap();
    let moved = Connections::start(s.db.clone(), KeyCipher::new(&wrong), catalog, vec![]).await.unwrap();
    let listed = moved.list(&admin()).await.unwrap();
    assert!(listed[0].problem.as_deref().is_some_and(|p| p.contains("enter the key again")), "{listed:?}");
    assert!(other.models().await.is_empty(), "a connection whose key does not open is left out");
    let err = moved.update(&admin(), &view.id, ConnectionPatch { name: Some("c2".into()), ..Default::default() }).await;
    assert!(matches!(err, Err(Error::Invalid(v)) if v.field == "api_key"));
    let fixed = ConnectionPatch { api_key: Some(Some(Secret::new(key))), ..Default::default() };
    assert!(moved.update(&admin(), &view.id, fixed).await.unwrap().problem.is_none());
    assert!(!other.models().await.is_empty());
}

#[tokio::test]
async fn test_reports_success_or_a_refused_key_or_an_unreachable_server_in_plain_words() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models(["a", "b", "c"])).await;
    let s = setup(vec![]).await;
    let good = s
        .connections
        .create(&admin(), anthropic_spec("good", &fake.base_url(), &FakeAnthropicConfig::default().api_key))
        .await
        .unwrap();
    let report = s.connections.test(&admin(), &good.id).await.unwrap();
    assert_eq!((report.ok, report.models, report.error), (true, Some(3), None));

    let bad = s.connections.create(&admin(), anthropic_spec("bad", &fake.base_url(), "sk-ant-wrong")).await.unwrap();
    let report = s.connections.test(&admin(), &bad.id).await.unwrap();
    assert!(!report.ok);
    let error = report.error.unwrap();
    assert!(error.contains("refused the key"), "{error}");
    assert!(!error.contains("authentication_error"), "nothing of Anthropic's answer: {error}");

    // A port nothing listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let gone =
        s.connections.create(&admin(), anthropic_spec("gone", &format!("http://127.0.0.1:{port}"), "k")).await.unwrap();
    let report = s.connections.test(&admin(), &gone.id).await.unwrap();
    assert!(!report.ok && report.error.as_deref().is_some_and(|e| e.contains(&port.to_string())), "{report:?}");
}

#[tokio::test]
async fn available_models_mark_what_is_offered_and_editing_the_list_changes_the_registry() {
    let upstream: Vec<String> = vec!["llama-3.1-8b".into(), "qwen2.5-7b".into()];
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().models(upstream.clone())).await;
    let s = setup(vec![]).await;
    let spec = ConnectionSpec {
        kind: ConnectionKind::Openai,
        name: "vllm".into(),
        base_url: Some(fake.base_url()),
        region: None,
        api_key: Some(Secret::new(FakeOpenAiConfig::default().api_key)),
        models: vec![upstream[0].clone()],
    };
    let view = s.connections.create(&admin(), spec).await.unwrap();
    let available = s.connections.available_models(&admin(), &view.id).await.unwrap();
    assert_eq!(available.len(), upstream.len());
    assert!(available[0].offered && !available[1].offered);
    assert_eq!(available[1].model, format!("vllm/{}", upstream[1]));

    let patch = ConnectionPatch { models: Some(vec![upstream[1].clone()]), ..Default::default() };
    s.connections.update(&admin(), &view.id, patch).await.unwrap();
    let ids: Vec<String> = s.registry.models().await.into_iter().map(|m| m.id).collect();
    assert_eq!(ids, [format!("vllm/{}", upstream[1])]);

    let renamed = ConnectionPatch { name: Some("gpu-box".into()), ..Default::default() };
    s.connections.update(&admin(), &view.id, renamed).await.unwrap();
    assert!(s.registry.resolve(&format!("gpu-box/{}", upstream[1])).await.is_some());
    assert!(s.registry.resolve(&format!("vllm/{}", upstream[1])).await.is_none());

    s.connections.delete(&admin(), &view.id).await.unwrap();
    assert!(s.registry.models().await.is_empty());
    assert!(matches!(s.connections.delete(&admin(), &view.id).await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn declared_connections_are_listed_read_only_and_their_names_are_reserved() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models(["m"])).await;
    let declared = anthropic_spec("anthropic", &fake.base_url(), &FakeAnthropicConfig::default().api_key);
    let s = setup(vec![declared.clone()]).await;
    let listed = s.connections.list(&admin()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].source, listed[0].id.as_str()), (ConnectionSource::Settings, "settings-anthropic"));
    assert!(s.registry.resolve("anthropic/m").await.is_some());
    let patch = ConnectionPatch { name: Some("x".into()), ..Default::default() };
    assert!(matches!(s.connections.update(&admin(), &listed[0].id, patch).await, Err(Error::Conflict(_))));
    assert!(matches!(s.connections.delete(&admin(), &listed[0].id).await, Err(Error::Conflict(_))));
    assert!(matches!(s.connections.create(&admin(), declared).await, Err(Error::Conflict(_))));
    assert!(s.connections.test(&admin(), "settings-anthropic").await.unwrap().ok);
}

#[tokio::test]
async fn only_administrators_manage_connections_and_bad_input_names_its_field() {
    let s = setup(vec![]).await;
    let user = principal(UserRole::User);
    assert!(matches!(s.connections.list(&user).await, Err(Error::Forbidden(_))));
    let spec = anthropic_spec("x", "http://127.0.0.1:9", "k");
    assert!(matches!(s.connections.create(&user, spec.clone()).await, Err(Error::Forbidden(_))));
    let bad = ConnectionSpec { name: "Has Space".into(), ..spec };
    assert!(matches!(s.connections.create(&admin(), bad).await, Err(Error::Invalid(v)) if v.field == "name"));
    assert!(s.connections.list(&admin()).await.unwrap().is_empty(), "nothing was stored");
}

#[tokio::test]
async fn an_ollama_connection_lists_its_installed_models_answers_and_takes_no_key() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let s = setup(vec![]).await;
    let spec = ConnectionSpec {
        kind: ConnectionKind::Ollama,
        name: "lab".into(),
        base_url: Some(fake.base_url()),
        region: None,
        api_key: None,
        models: vec![],
    };
    let view = s.connections.create(&admin(), spec).await.unwrap();
    assert!(!view.has_key);
    let report = s.connections.test(&admin(), &view.id).await.unwrap();
    assert_eq!((report.ok, report.models), (true, Some(1)), "{report:?}");
    let available = s.connections.available_models(&admin(), &view.id).await.unwrap();
    assert_eq!(available[0].model, "lab/llama3.2:latest");
    assert!(!first_text(&s.registry, "lab/llama3.2:latest").await.is_empty());
}

#[tokio::test]
async fn a_bedrock_test_asks_the_first_model_for_one_token_with_the_given_keys_and_region() {
    let config = FakeBedrockConfig { region: "eu-central-1".into(), ..FakeBedrockConfig::default() };
    let fake = FakeBedrock::start(config.clone()).await;
    let s = setup(vec![]).await;
    let spec = ConnectionSpec {
        kind: ConnectionKind::Bedrock,
        name: "aws".into(),
        base_url: Some(fake.endpoint_url()),
        region: Some("eu-central-1".into()),
        api_key: Some(Secret::new(format!("{}:any-secret", config.access_key_id))),
        models: vec![config.chat_models[0].clone()],
    };
    let view = s.connections.create(&admin(), spec).await.unwrap();
    let report = s.connections.test(&admin(), &view.id).await.unwrap();
    assert_eq!((report.ok, report.models), (true, Some(1)), "{report:?}");
    let calls = fake.requests();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0].model_id.as_str(), calls[0].region.as_str()),
        (config.chat_models[0].as_str(), "eu-central-1")
    );
    assert_eq!(calls[0].body["inferenceConfig"]["maxTokens"], 1);

    let wrong = ConnectionPatch { api_key: Some(Some(Secret::new("AKIAWRONGKEY:x"))), ..Default::default() };
    s.connections.update(&admin(), &view.id, wrong).await.unwrap();
    let report = s.connections.test(&admin(), &view.id).await.unwrap();
    assert!(
        !report.ok && report.error.as_deref().is_some_and(|e| e.contains("Amazon Bedrock refused the key")),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_model_the_price_table_knows_gets_its_prices_and_context_window() {
    let model = "claude-haiku-4-5";
    let facts = crate::catalog::PriceTable::bundled().lookup(ConnectionKind::Anthropic, model).expect("in the table");
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models([model])).await;
    let s = setup(vec![]).await;
    let key = FakeAnthropicConfig::default().api_key;
    s.connections.create(&admin(), anthropic_spec("claude", &fake.base_url(), &key)).await.unwrap();
    let (provider, info) = s.registry.resolve("claude/claude-haiku-4-5").await.unwrap();
    let prices = provider.prices(&info.id).expect("priced");
    assert_eq!(
        (Some(prices.input_per_mtok), Some(prices.output_per_mtok)),
        (facts.input_per_mtok, facts.output_per_mtok)
    );
    assert_eq!(Some(info.context_window as u32), facts.context_window);
}

/// A question with an image, through a connection's provider: the reply's text, or the error.
async fn ask_with_image(registry: &Registry, model: &str, media_type: &str) -> Result<String, String> {
    let (provider, info) = registry.resolve(model).await.unwrap_or_else(|| panic!("{model} is not offered"));
    let mut message = ChatMessage::new(Role::User, "What is in the picture?");
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    message.images.push(crate::providers::Image { media_type: media_type.into(), data: std::sync::Arc::from(png) });
    let mut stream = provider.stream_chat(ChatRequest::new(info.id, vec![message])).await.map_err(|e| e.to_string())?;
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        if let ChatEvent::Delta(d) = event.map_err(|e| e.to_string())? {
            text.push_str(&d);
        }
    }
    Ok(text)
}

#[tokio::test]
async fn images_reach_anthropic_ollama_and_bedrock_in_each_ones_wire_form() {
    const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUg==";
    let anthropic = FakeAnthropic::start(FakeAnthropicConfig::default().models(["claude-a"])).await;
    let ollama = FakeOllama::start(FakeOllamaConfig::default()).await;
    let bedrock_config = FakeBedrockConfig::default();
    let bedrock = FakeBedrock::start(bedrock_config.clone()).await;
    let s = setup(vec![]).await;
    let key = FakeAnthropicConfig::default().api_key;
    s.connections.create(&admin(), anthropic_spec("claude", &anthropic.base_url(), &key)).await.unwrap();
    let spec = |kind, name: &str, base_url: String, api_key: Option<String>, models: Vec<String>| ConnectionSpec {
        kind,
        name: name.into(),
        base_url: Some(base_url),
        region: (kind == ConnectionKind::Bedrock).then(|| bedrock_config.region.clone()),
        api_key: api_key.map(Secret::new),
        models,
    };
    s.connections.create(&admin(), spec(ConnectionKind::Ollama, "lab", ollama.base_url(), None, vec![])).await.unwrap();
    let aws_key = Some(format!("{}:any-secret", bedrock_config.access_key_id));
    let bedrock_model = bedrock_config.chat_models[0].clone();
    let aws = spec(ConnectionKind::Bedrock, "aws", bedrock.endpoint_url(), aws_key, vec![bedrock_model.clone()]);
    s.connections.create(&admin(), aws).await.unwrap();

    assert!(!ask_with_image(&s.registry, "claude/claude-a", "image/png").await.unwrap().is_empty());
    let sent = anthropic.requests().last().unwrap().body.clone();
    assert_eq!(
        sent["messages"][0]["content"],
        serde_json::json!([
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_BASE64}},
            {"type": "text", "text": "What is in the picture?"}
        ])
    );
    // The fake checks images as Anthropic does: a PNG sent as a JPEG is refused.
    assert!(ask_with_image(&s.registry, "claude/claude-a", "image/jpeg").await.is_err());

    assert!(!ask_with_image(&s.registry, "lab/llama3.2:latest", "image/png").await.unwrap().is_empty());
    let sent = ollama.requests().into_iter().rfind(|r| r.path == "/api/chat").unwrap().body;
    assert_eq!(sent["messages"][0]["images"], serde_json::json!([PNG_BASE64]));
    assert_eq!(sent["messages"][0]["content"], "What is in the picture?");

    assert!(!ask_with_image(&s.registry, &format!("aws/{bedrock_model}"), "image/png").await.unwrap().is_empty());
    let sent = bedrock.requests().last().unwrap().body.clone();
    assert_eq!(sent["messages"][0]["content"][0]["image"]["format"], "png");
    assert_eq!(sent["messages"][0]["content"][0]["image"]["source"]["bytes"], PNG_BASE64);
    assert_eq!(sent["messages"][0]["content"][1]["text"], "What is in the picture?");
}
