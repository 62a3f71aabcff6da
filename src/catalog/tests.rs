//! The model catalog with the connections service, a real database (SQLite, and PostgreSQL in the
//! second run) and the in-process fake of Anthropic.

use std::sync::Arc;

use super::*;
use crate::answer::{Caller, Params};
use crate::auth::Principal;
use crate::connections::{ConnectionKind, ConnectionPatch, ConnectionSpec, Connections, KeyCipher};
use crate::fakes::{FakeAnthropic, FakeAnthropicConfig};
use crate::providers::{ChatProvider, ChatRequest, ChatStream, ModelInfo, Prices, ProviderError, Registry};
use crate::settings::Secret;
use crate::storage::{Db, Role, TempDb, UserStatus};
use crate::{Error, Result};

mod embeddings;

/// A built-in provider serving the model `tiny`, whose every answer fails before its first token
/// (the stream opens, then its first event is an overloaded error).
struct Tiny;

#[async_trait::async_trait]
impl ChatProvider for Tiny {
    fn name(&self) -> &str {
        "local"
    }

    async fn models(&self) -> Vec<ModelInfo> {
        vec![ModelInfo { id: "tiny".into(), provider: "local".into(), context_window: 2048 }]
    }

    async fn stream_chat(&self, _: ChatRequest) -> Result<ChatStream, ProviderError> {
        use futures::StreamExt;
        Ok(futures::stream::iter([Err(ProviderError::Unavailable("tiny is overloaded".into()))]).boxed())
    }
}

struct Setup {
    catalog: ModelCatalog,
    connections: Connections,
    db: Db,
    /// The admin-added Anthropic connection `claude` (models a, b, c upstream).
    claude: String,
    _fake: FakeAnthropic,
    _temp: TempDb,
}

fn principal(role: Role) -> Principal {
    Principal { user_id: "u1".into(), email: "u1@example.com".into(), role, session_id: None, api_key_id: None }
}

fn admin() -> Principal {
    principal(Role::Admin)
}

async fn setup() -> Setup {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models(["claude-a", "claude-b", "claude-c"])).await;
    let key = FakeAnthropicConfig::default().api_key;
    let temp = TempDb::new().await;
    let db = Db::connect(temp.url()).await.expect("connect");
    let catalog = ModelCatalog::start(db.clone(), Registry::new(vec![Arc::new(Tiny)])).await.expect("catalog");
    let spec = |name: &str, models: Vec<String>| ConnectionSpec {
        kind: ConnectionKind::Anthropic,
        name: name.into(),
        base_url: Some(fake.base_url()),
        region: None,
        api_key: Some(Secret::new(&key)),
        models,
    };
    let declared = vec![spec("ops", vec!["claude-c".into()])];
    let cipher = KeyCipher::new(&Secret::new("a-connection-key-of-more-than-32-characters"));
    let connections = Connections::start(db.clone(), cipher, catalog.clone(), declared).await.expect("start");
    let claude = connections.create(&admin(), spec("claude", vec![])).await.expect("create").id;
    Setup { catalog, connections, db, claude, _fake: fake, _temp: temp }
}

fn ids(models: &[OfferedModel]) -> Vec<&str> {
    models.iter().map(|m| m.id.as_str()).collect()
}

fn input(connection_id: &str, upstream_id: &str) -> ModelInput {
    ModelInput {
        connection_id: Some(connection_id.into()),
        upstream_id: Some(upstream_id.into()),
        ..Default::default()
    }
}

fn invalid_field(r: Result<CatalogModel>) -> &'static str {
    match r {
        Err(Error::Invalid(v)) => v.field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn declared_models_are_offered_as_they_are_and_an_added_connections_only_once_added() {
    let s = setup().await;
    assert_eq!(ids(&s.catalog.offered(true).await), ["tiny", "ops/claude-c"], "claude/* is only available to add");
    let available = s.connections.available_models(&admin(), &s.claude).await.unwrap();
    assert!(available.iter().all(|m| !m.offered && !m.in_catalog), "{available:?}");
    let unknown = s.catalog.resolve("claude/claude-a", &Caller::user("u1")).await;
    assert!(matches!(unknown, Err(Error::UnknownModel(m)) if m == "claude/claude-a"));

    let added = s.catalog.create(&admin(), input(&s.claude, "claude-a")).await.unwrap();
    assert_eq!((added.model.as_deref(), added.served, added.enabled), (Some("claude/claude-a"), true, true));
    assert_eq!(added.name, "claude-a");
    assert!(added.overridden.is_empty());
    assert_eq!(ids(&s.catalog.offered(false).await), ["tiny", "ops/claude-c", "claude/claude-a"]);
    let available = s.connections.available_models(&admin(), &s.claude).await.unwrap();
    assert_eq!(available.iter().filter(|m| m.offered).map(|m| m.id.as_str()).collect::<Vec<_>>(), ["claude-a"]);
    let again = s.catalog.create(&admin(), input(&s.claude, "claude-a")).await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");

    // Renaming the connection renames its models' ids; removing it removes its entries.
    let renamed = ConnectionPatch { name: Some("anthropic-eu".into()), ..Default::default() };
    s.connections.update(&admin(), &s.claude, renamed).await.unwrap();
    assert!(ids(&s.catalog.offered(false).await).contains(&"anthropic-eu/claude-a"));
    s.connections.delete(&admin(), &s.claude).await.unwrap();
    assert!(s.db.list_catalog_models().await.unwrap().is_empty());
    assert_eq!(ids(&s.catalog.offered(true).await), ["tiny", "ops/claude-c"]);
}

#[tokio::test]
async fn overrides_change_what_callers_see_and_pay_and_clearing_one_brings_the_table_back() {
    let s = setup().await;
    let table = PriceTable::bundled().lookup(ConnectionKind::Anthropic, "claude-haiku-4-5").expect("in the table");
    let fake_priced = s.catalog.create(&admin(), input(&s.claude, "claude-a")).await.unwrap();
    assert_eq!(fake_priced.input_price_per_mtok, None, "a model the table does not know has no price");

    let mut change: ModelInput = serde_json::from_value(serde_json::json!({
        "name": "Claude (fast)", "context_window": 50000, "max_output": 4000,
        "input_price_per_mtok": 2.5, "output_price_per_mtok": 10.0, "vision": true,
        "default_params": { "temperature": 0.3, "stop": ["END"] }
    }))
    .unwrap();
    let changed = s.catalog.update(&admin(), &fake_priced.id, change.clone()).await.unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.context_window, changed.max_output),
        ("Claude (fast)", Some(50000), Some(4000))
    );
    assert_eq!(
        changed.overridden,
        ["name", "context_window", "max_output", "input_price_per_mtok", "output_price_per_mtok", "vision"]
    );
    let offered = s.catalog.offered(false).await;
    let m = offered.iter().find(|m| m.id == "claude/claude-a").unwrap();
    assert_eq!((m.name.as_str(), m.context_window, m.max_output, m.vision), ("Claude (fast)", 50000, Some(4000), true));
    let resolved = s.catalog.resolve("claude/claude-a", &Caller::user("u1")).await.unwrap();
    assert_eq!(resolved.info.context_window, 50000);
    assert_eq!(resolved.prices, Some(Prices { input_per_mtok: 2.5, output_per_mtok: 10.0 }));
    let defaults = Params { temperature: Some(0.3), stop: vec!["END".into()], ..Default::default() };
    assert_eq!(resolved.defaults, defaults);
    let asked = Params { temperature: Some(1.0), ..Default::default() }.or_defaults(&resolved.defaults);
    assert_eq!((asked.temperature, asked.stop), (Some(1.0), vec!["END".to_owned()]), "the request's own value wins");

    // A model the table knows: its prices apply until overridden, and again once cleared.
    let haiku = s.catalog.create(&admin(), input(&s.claude, "claude-haiku-4-5")).await.unwrap();
    assert_eq!(
        (haiku.input_price_per_mtok, haiku.output_price_per_mtok),
        (table.input_per_mtok, table.output_per_mtok)
    );
    change = serde_json::from_value(serde_json::json!({ "input_price_per_mtok": 0.5 })).unwrap();
    let cheaper = s.catalog.update(&admin(), &haiku.id, change).await.unwrap();
    assert_eq!((cheaper.input_price_per_mtok, cheaper.output_price_per_mtok), (Some(0.5), table.output_per_mtok));
    change = serde_json::from_value(serde_json::json!({ "input_price_per_mtok": null })).unwrap();
    let cleared = s.catalog.update(&admin(), &haiku.id, change).await.unwrap();
    assert_eq!(cleared.input_price_per_mtok, table.input_per_mtok);
    assert!(cleared.overridden.is_empty());
}

#[tokio::test]
async fn models_for_administrators_and_disabled_models_are_unknown_to_those_they_are_closed_to() {
    let s = setup().await;
    let user = s.db.create_user("user@example.com", "h", Some(Role::User), UserStatus::Active).await.unwrap();
    let boss = s.db.create_user("boss@example.com", "h", Some(Role::Admin), UserStatus::Active).await.unwrap();
    let entry = s.catalog.create(&admin(), input(&s.claude, "claude-a")).await.unwrap();
    let restrict: ModelInput = serde_json::from_value(serde_json::json!({ "access": "admins" })).unwrap();
    s.catalog.update(&admin(), &entry.id, restrict).await.unwrap();

    assert!(!ids(&s.catalog.offered(false).await).contains(&"claude/claude-a"));
    assert!(ids(&s.catalog.offered(true).await).contains(&"claude/claude-a"));
    let refused = s.catalog.resolve("claude/claude-a", &Caller::user(&user.id)).await;
    assert!(matches!(refused, Err(Error::UnknownModel(_))), "{:?}", refused.err());
    assert!(s.catalog.resolve("claude/claude-a", &Caller::user(&boss.id)).await.is_ok());
    let visitor = |owner: &str| Caller::Visitor { knowledge_base_id: "kb".into(), owner_id: owner.into(), ip: None };
    assert!(s.catalog.resolve("claude/claude-a", &visitor(&boss.id)).await.is_ok(), "an admin's published widget");
    assert!(s.catalog.resolve("claude/claude-a", &visitor(&user.id)).await.is_err());

    // A declared model can be disabled by an entry of its own.
    let ops = s.catalog.create(&admin(), input("settings-ops", "claude-c")).await.unwrap();
    let off: ModelInput = serde_json::from_value(serde_json::json!({ "enabled": false })).unwrap();
    s.catalog.update(&admin(), &ops.id, off).await.unwrap();
    assert_eq!(ids(&s.catalog.offered(true).await), ["tiny", "claude/claude-a"]);
    assert!(s.catalog.resolve("ops/claude-c", &Caller::user(&boss.id)).await.is_err());
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named_and_only_administrators_manage_the_catalog() {
    let s = setup().await;
    let user = principal(Role::User);
    assert!(matches!(s.catalog.list(&user).await, Err(Error::Forbidden(_))));
    assert!(matches!(s.catalog.create(&user, input(&s.claude, "claude-a")).await, Err(Error::Forbidden(_))));

    assert_eq!(invalid_field(s.catalog.create(&admin(), input("nope", "claude-a")).await), "connection_id");
    assert_eq!(invalid_field(s.catalog.create(&admin(), input(&s.claude, "  ")).await), "upstream_id");
    let with = |json: serde_json::Value| -> ModelInput {
        let mut i: ModelInput = serde_json::from_value(json).unwrap();
        i.connection_id = Some(s.claude.clone());
        i.upstream_id = Some("claude-a".into());
        i
    };
    let cases = [
        (serde_json::json!({ "input_price_per_mtok": -1.0 }), "input_price_per_mtok"),
        (serde_json::json!({ "context_window": 0 }), "context_window"),
        (serde_json::json!({ "context_window": 1000, "max_output": 2000 }), "max_output"),
        (serde_json::json!({ "name": "two\nlines" }), "name"),
        (serde_json::json!({ "default_params": { "temperature": 3.0 } }), "temperature"),
        (serde_json::json!({ "fallbacks": ["claude/claude-b"] }), "fallbacks"),
        (serde_json::json!({ "fallbacks": ["claude/claude-a"] }), "fallbacks"),
    ];
    for (json, field) in cases {
        assert_eq!(invalid_field(s.catalog.create(&admin(), with(json.clone())).await), field, "{json}");
    }
    assert!(serde_json::from_value::<ModelInput>(serde_json::json!({ "colour": "red" })).is_err());
    assert!(s.db.list_catalog_models().await.unwrap().is_empty(), "nothing was stored");

    let ok = s.catalog.create(&admin(), with(serde_json::json!({ "fallbacks": ["tiny", "ops/claude-c"] }))).await;
    let entry = ok.unwrap();
    assert_eq!(entry.fallbacks, ["tiny", "ops/claude-c"]);
    let moved = s.catalog.update(&admin(), &entry.id, input(&s.claude, "claude-b")).await;
    assert_eq!(invalid_field(moved), "connection_id");
    assert!(matches!(s.catalog.update(&admin(), "nope", ModelInput::default()).await, Err(Error::NotFound(_))));
    s.catalog.delete(&admin(), &entry.id).await.unwrap();
    assert!(matches!(s.catalog.delete(&admin(), &entry.id).await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn naming_models_on_a_connection_adds_them_to_the_catalog() {
    let s = setup().await;
    let patch = ConnectionPatch { models: Some(vec!["claude-b".into()]), ..Default::default() };
    s.connections.update(&admin(), &s.claude, patch).await.unwrap();
    assert_eq!(ids(&s.catalog.offered(false).await), ["tiny", "ops/claude-c", "claude/claude-b"]);
    let listed = s.catalog.list(&admin()).await.unwrap();
    assert_eq!((listed.len(), listed[0].access, listed[0].served), (1, Access::Everyone, true));
}

#[tokio::test]
async fn a_model_that_cannot_start_or_fails_before_its_first_token_hands_over_to_its_fallback() {
    use crate::answer::{AnswerRequest, Answers, Grounding, History, Surface};
    use crate::fakes::AnthropicFailure;
    use crate::providers::{ChatEvent, ChatMessage, Role as Speaker};
    use crate::sitechat::{EmbedderSet, SiteChat, SiteChatConfig};
    use futures::StreamExt;

    let s = setup().await;
    let a = s.catalog.create(&admin(), input(&s.claude, "claude-a")).await.unwrap();
    s.catalog.create(&admin(), input(&s.claude, "claude-b")).await.unwrap();
    let with_fallback: ModelInput =
        serde_json::from_value(serde_json::json!({ "fallbacks": ["claude/claude-b"] })).unwrap();
    s.catalog.update(&admin(), &a.id, with_fallback).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let sitechat = SiteChat::new(s.db.clone(), SiteChatConfig::new(data.path().to_owned()), EmbedderSet::new());
    let ledger = crate::ledger::Ledger::start(s.db.clone());
    let answers = Answers::new(s.catalog.clone(), sitechat, Some(ledger.clone()));
    let ask = |model: &str| AnswerRequest {
        caller: Caller::user("u1"),
        surface: Surface::Api,
        model: model.into(),
        messages: vec![ChatMessage::new(Speaker::User, "hello")],
        params: Params::default(),
        grounding: Grounding::None,
        history: History::AsSent,
        style: None,
    };

    s._fake.fail_next([AnthropicFailure::Overloaded]);
    let prepared = answers.prepare(ask("claude/claude-a")).await.unwrap();
    let (stream, answering) = prepared.start_answer().await.unwrap();
    assert_eq!(answering.id, "claude/claude-b");
    let events: Vec<_> = stream.collect().await;
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { .. }))), "{events:?}");

    // A refused key is not the server's load: no fallback is tried for it.
    s._fake.fail_next([AnthropicFailure::KeyRevoked]);
    let refused = answers.prepare(ask("claude/claude-a")).await.unwrap().start_answer().await;
    assert!(matches!(refused, Err(ProviderError::KeyRefused { .. })), "{:?}", refused.err());

    // A model whose stream opens but fails before any text hands over the same way.
    let tiny = s.catalog.create(&admin(), input(crate::catalog::BUILTIN, "tiny")).await.unwrap();
    s.catalog
        .update(
            &admin(),
            &tiny.id,
            serde_json::from_value(serde_json::json!({ "fallbacks": ["claude/claude-b"] })).unwrap(),
        )
        .await
        .unwrap();
    let (stream, answering) = answers.prepare(ask("tiny")).await.unwrap().start_answer().await.unwrap();
    assert_eq!(answering.id, "claude/claude-b");
    let text: String = stream
        .filter_map(|e| async move { if let Ok(ChatEvent::Delta(t)) = e { Some(t) } else { None } })
        .collect()
        .await;
    assert_eq!(text, crate::fakes::anthropic::reply_to("hello"));
    // Without a fallback, the error is the stream's, as before.
    s.catalog
        .update(&admin(), &tiny.id, serde_json::from_value(serde_json::json!({ "fallbacks": [] })).unwrap())
        .await
        .unwrap();
    let (stream, answering) = answers.prepare(ask("tiny")).await.unwrap().start_answer().await.unwrap();
    assert_eq!(answering.id, "tiny");
    let events: Vec<_> = stream.collect().await;
    assert!(matches!(events.as_slice(), [Err(ProviderError::Unavailable(_))]), "{events:?}");

    ledger.flush().await;
    let mut rows: Vec<(String, String)> =
        sqlx::query_as("SELECT model, outcome FROM usage_ledger").fetch_all(s.db.pool()).await.unwrap();
    rows.sort();
    let expected = [
        ("claude/claude-a", "failed"),
        ("claude/claude-a", "failed"),
        ("claude/claude-b", "complete"),
        ("claude/claude-b", "complete"),
        ("tiny", "failed"),
        ("tiny", "failed"),
    ];
    assert_eq!(rows.iter().map(|(m, o)| (m.as_str(), o.as_str())).collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn a_model_added_from_a_connection_that_names_its_models_joins_its_list_and_is_offered() {
    let s = setup().await;
    let key = FakeAnthropicConfig::default().api_key;
    let picky = ConnectionSpec {
        kind: ConnectionKind::Anthropic,
        name: "picky".into(),
        base_url: Some(s._fake.base_url()),
        region: None,
        api_key: Some(Secret::new(&key)),
        models: vec!["claude-a".into()],
    };
    let picky = s.connections.create(&admin(), picky).await.unwrap().id;
    assert!(ids(&s.catalog.offered(false).await).contains(&"picky/claude-a"));
    assert!(!ids(&s.catalog.offered(false).await).contains(&"picky/claude-b"));

    let added = s.connections.add_model(&admin(), input(&picky, "claude-b")).await.unwrap();
    assert!(added.served, "{added:?}");
    assert_eq!(s.connections.get(&admin(), &picky).await.unwrap().models, ["claude-a", "claude-b"]);
    assert!(ids(&s.catalog.offered(false).await).contains(&"picky/claude-b"));
    assert!(s.catalog.resolve("picky/claude-b", &Caller::user("u1")).await.is_ok());
    // A connection that names no models serves what its server lists: its list stays empty.
    s.connections.add_model(&admin(), input(&s.claude, "claude-b")).await.unwrap();
    assert!(s.connections.get(&admin(), &s.claude).await.unwrap().models.is_empty());
    // Not an administrator: refused, and nothing changes.
    let user = principal(Role::User);
    assert!(matches!(s.connections.add_model(&user, input(&picky, "claude-c")).await, Err(Error::Forbidden(_))));
    assert_eq!(s.connections.get(&admin(), &picky).await.unwrap().models.len(), 2);
}
