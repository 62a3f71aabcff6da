//! Embedding models in the catalog: offered without an entry; an entry renames, restricts or
//! disables one for `/v1/embeddings` and new knowledge bases, never for knowledge bases already
//! using it.

use super::*;
use crate::answer::Surface;
use crate::embed::{EmbedError, Embedder, metered::Meter};
use crate::sitechat::{EmbedderSet, SiteChat, SiteChatConfig};

const MINILM: &str = "local:all-minilm-l6-v2";
const OTHER: &str = "openai:other-embedder";

/// Eight dimensions, one hot by the text's length.
struct Lengths;

#[async_trait::async_trait]
impl Embedder for Lengths {
    fn model_id(&self) -> &str {
        "lengths"
    }
    fn dims(&self) -> usize {
        8
    }
    async fn embed(&self, texts: &[String]) -> std::result::Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts.iter().map(|t| (0..8).map(|i| f32::from(u8::from(t.len() % 8 == i))).collect()).collect())
    }
}

fn embedding(upstream: &str, extra: serde_json::Value) -> ModelInput {
    let mut body = serde_json::json!({ "connection_id": EMBEDDINGS, "upstream_id": upstream });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    serde_json::from_value(body).unwrap()
}

fn offered(catalog: &ModelCatalog, admin: bool) -> Vec<(String, String)> {
    catalog.offered_embeddings(admin).into_iter().map(|m| (m.id, m.name)).collect()
}

#[tokio::test]
async fn an_entry_renames_restricts_or_disables_an_embedding_model_for_new_uses_only() {
    let s = setup().await;
    let embedders = EmbedderSet::new().with(MINILM, Arc::new(Lengths)).with(OTHER, Arc::new(Lengths));
    s.catalog.set_embedding_models(crate::embed::serve::models(&embedders));
    let data = tempfile::tempdir().unwrap();
    let sitechat = SiteChat::new(s.db.clone(), SiteChatConfig::new(data.path().to_owned()), embedders);
    sitechat.meter_with(Meter { ledger: crate::ledger::Ledger::start(s.db.clone()), catalog: s.catalog.clone() });
    let user = s.db.create_user("user@example.com", "h", Some(Role::User), UserStatus::Active).await.unwrap().id;
    let boss = s.db.create_user("boss@example.com", "h", Some(Role::Admin), UserStatus::Active).await.unwrap().id;
    let pair = |id: &str, name: &str| (id.to_owned(), name.to_owned());

    // Without entries: every embedder is offered under its id, and is available to add.
    assert_eq!(offered(&s.catalog, false), [pair(MINILM, MINILM), pair(OTHER, OTHER)]);
    let available = s.connections.available_models(&admin(), EMBEDDINGS).await.unwrap();
    assert!(available.iter().all(|m| m.offered && !m.in_catalog), "{available:?}");
    assert_eq!(s.catalog.embedding_prices(MINILM), Some(Prices::FREE));

    // Restricted to administrators: users neither see it nor can build a knowledge base on it.
    let other = s
        .connections
        .add_model(&admin(), embedding(OTHER, serde_json::json!({ "name": "Other", "access": "admins" })))
        .await
        .unwrap();
    assert_eq!(
        (other.kind, other.dimensions, other.served, other.model.as_deref()),
        ("embedding", Some(8), true, Some(OTHER))
    );
    assert_eq!(other.connection.as_deref(), Some(EMBEDDINGS));
    assert_eq!(offered(&s.catalog, false), [pair(MINILM, MINILM)]);
    assert_eq!(offered(&s.catalog, true), [pair(MINILM, MINILM), pair(OTHER, "Other")]);
    let refused = sitechat.create_kb(&user, "Docs", Some(OTHER)).await;
    assert!(
        matches!(&refused, Err(Error::Invalid(v)) if v.field == "embedding_model" && v.reason.ends_with(MINILM)),
        "{refused:?}"
    );
    assert!(sitechat.create_kb(&boss, "Docs", Some(OTHER)).await.is_ok());
    let available = s.connections.available_models(&admin(), EMBEDDINGS).await.unwrap();
    assert_eq!(available.iter().map(|m| m.in_catalog).collect::<Vec<_>>(), [false, true]);

    // Disabled: no new knowledge base uses it, but one that does keeps answering searches.
    let kb = sitechat.create_kb(&user, "Handbook", None).await.unwrap();
    let off = s.catalog.create(&admin(), embedding(MINILM, serde_json::json!({ "enabled": false }))).await.unwrap();
    assert!(!off.enabled && off.input_price_per_mtok == Some(0.0), "{off:?}");
    assert!(offered(&s.catalog, false).is_empty());
    let refused = sitechat.create_kb(&user, "Another", None).await;
    assert!(matches!(&refused, Err(Error::Invalid(v)) if v.reason.contains("are none")), "{refused:?}");
    let hits = sitechat.search_kbs(&[kb], "where is the handbook", 5, &Caller::user(&user), Surface::Api).await;
    assert!(hits.is_ok_and(|h| h.is_empty()));

    // What only a chat model has is refused, and so is an embedder the server does not have.
    for (field, extra) in [
        ("context_window", serde_json::json!({ "context_window": 512 })),
        ("fallbacks", serde_json::json!({ "fallbacks": [MINILM] })),
        ("default_params", serde_json::json!({ "default_params": { "temperature": 0.1 } })),
    ] {
        let change: ModelInput = serde_json::from_value(extra).unwrap();
        assert_eq!(invalid_field(s.catalog.update(&admin(), &other.id, change).await), field);
    }
    assert_eq!(
        invalid_field(s.catalog.create(&admin(), embedding("openai:nope", serde_json::json!({}))).await),
        "upstream_id"
    );
    // A chat model cannot fall back to an embedding model.
    let chat = s.catalog.create(&admin(), input(&s.claude, "claude-a")).await.unwrap();
    let change: ModelInput = serde_json::from_value(serde_json::json!({ "fallbacks": [OTHER] })).unwrap();
    assert_eq!(invalid_field(s.catalog.update(&admin(), &chat.id, change).await), "fallbacks");

    // An input price of the administrator's prices its calls; removing the entry restores it all.
    let priced: ModelInput = serde_json::from_value(serde_json::json!({ "input_price_per_mtok": 0.25 })).unwrap();
    s.catalog.update(&admin(), &other.id, priced).await.unwrap();
    assert_eq!(s.catalog.embedding_prices(OTHER), Some(Prices { input_per_mtok: 0.25, output_per_mtok: 0.0 }));
    s.catalog.delete(&admin(), &off.id).await.unwrap();
    s.catalog.delete(&admin(), &other.id).await.unwrap();
    assert_eq!(offered(&s.catalog, false), [pair(MINILM, MINILM), pair(OTHER, OTHER)]);
    assert_eq!(s.catalog.embedding_prices(OTHER), None, "not in the price table: unpriced");
}
