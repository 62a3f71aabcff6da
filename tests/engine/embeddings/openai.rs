//! `OpenAiEmbedder` against the fake OpenAI server's `/v1/embeddings`.

use std::time::Duration;

use webplus::embed::{EmbedError, Embedder, OpenAiEmbedConfig, OpenAiEmbedder, cosine};
use webplus::fakes::{DimensionsParam, EmbeddingFailure, FakeEmbeddingModel, FakeOpenAi, FakeOpenAiConfig, hashed_bag};
use webplus::settings::Secret;

use super::{assert_close, norm, quick_retries, texts};

fn config_for(fake: &FakeOpenAi) -> OpenAiEmbedConfig {
    OpenAiEmbedConfig {
        base_url: fake.base_url(),
        api_key: Some(Secret::new(fake.api_key())),
        timeout: Duration::from_secs(10),
        retry: quick_retries(),
        ..OpenAiEmbedConfig::default()
    }
}

fn embedder(config: OpenAiEmbedConfig) -> OpenAiEmbedder {
    OpenAiEmbedder::new(config).expect("valid embedder settings")
}

#[tokio::test]
async fn vectors_keep_their_order_across_concurrent_batches_and_are_unit_length() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let embedder = embedder(OpenAiEmbedConfig { batch_size: 3, max_concurrent_requests: 2, ..config_for(&fake) });
    let inputs: Vec<String> = (0..10).map(|i| format!("text number {i} about topic {}", i * 7)).collect();

    let vectors = embedder.embed(&inputs).await.expect("embeddings");

    assert_eq!(vectors.len(), 10);
    for (text, vector) in inputs.iter().zip(&vectors) {
        assert!((norm(vector) - 1.0).abs() < 1e-4, "{text}");
        assert_close(vector, &hashed_bag(text, 1536), text);
    }
    let requests = fake.embedding_requests();
    // Batches run two at a time, so they may arrive in any order; each text is sent exactly once.
    let mut sent: Vec<String> = requests
        .iter()
        .flat_map(|r| r["input"].as_array().cloned().unwrap_or_default())
        .map(|t| t.to_string())
        .collect();
    sent.sort();
    let mut expected: Vec<String> = inputs.iter().map(|t| format!("{t:?}")).collect();
    expected.sort();
    assert_eq!(sent, expected);
    assert_eq!(requests.len(), 4, "10 texts in batches of 3");
    assert!(requests.iter().all(|r| r["encoding_format"] == "float" && r.get("dimensions").is_none()));
}

#[tokio::test]
async fn texts_sharing_words_are_closer_than_unrelated_ones() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let embedder = embedder(config_for(&fake));
    let vectors = embedder
        .embed(&texts(&[
            "How do I reset my password?",
            "To reset your password, open the account settings page.",
            "Bananas grow best in warm tropical climates.",
        ]))
        .await
        .expect("embeddings");
    assert!(cosine(&vectors[0], &vectors[1]) > cosine(&vectors[0], &vectors[2]) + 0.3);
}

#[tokio::test]
async fn configured_dimensions_are_sent_and_honoured() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let embedder = embedder(OpenAiEmbedConfig { dims: Some(256), ..config_for(&fake) });
    assert_eq!(embedder.dims(), 256);

    let vectors = embedder.embed(&texts(&["short vectors"])).await.expect("embeddings");

    assert_eq!(vectors[0].len(), 256);
    let request = &fake.embedding_requests()[0];
    assert_eq!(request["dimensions"], 256);
    assert_eq!(request["model"], "text-embedding-3-small");
}

#[tokio::test]
async fn a_wrong_key_gives_a_clear_error_without_the_key() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let key = "sk-wrong-key-0987654321";
    let embedder = embedder(OpenAiEmbedConfig { api_key: Some(Secret::new(key)), ..config_for(&fake) });

    let err = embedder.embed(&texts(&["hello"])).await.expect_err("the fake refuses the key");

    let text = err.to_string();
    assert!(matches!(err, EmbedError::Unauthorized(_)), "{err:?}");
    assert!(text.contains("the API key was refused"), "{text}");
    // The fake echoes the key's head and tail the way OpenAI does; none of it may come through.
    assert!(!text.contains("sk-w") && !text.contains("4321"), "{text}");
    assert_eq!(fake.embedding_requests().len(), 1, "a refused key is not retried");
}

#[tokio::test]
async fn rate_limits_are_retried_after_the_servers_wait_and_then_succeed() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    fake.fail_next_embeddings([EmbeddingFailure::RateLimited { retry_after: Duration::from_millis(30) }; 2]);
    let embedder = embedder(config_for(&fake));

    let vectors = embedder.embed(&texts(&["patience pays"])).await.expect("success after two 429s");

    assert_close(&vectors[0], &hashed_bag("patience pays", 1536), "the vector after retries");
    assert_eq!(fake.embedding_requests().len(), 3);
}

#[tokio::test]
async fn rate_limits_beyond_three_retries_give_a_rate_limit_error() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    fake.fail_next_embeddings([EmbeddingFailure::RateLimited { retry_after: Duration::from_millis(10) }; 5]);
    let embedder = embedder(config_for(&fake));

    let err = embedder.embed(&texts(&["again"])).await.expect_err("still limited");

    assert!(matches!(&err, EmbedError::RateLimited { retry_after_secs: Some(1), .. }), "{err:?}");
    assert!(err.to_string().contains("rate limiting"), "{err}");
    assert_eq!(fake.embedding_requests().len(), 4, "one try and three retries");
}

#[tokio::test]
async fn a_server_error_is_retried_once() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let embedder = embedder(config_for(&fake));
    fake.fail_next_embeddings([EmbeddingFailure::Status(500)]);
    assert!(embedder.embed(&texts(&["one blip"])).await.is_ok());

    fake.fail_next_embeddings([EmbeddingFailure::Status(502), EmbeddingFailure::Status(503)]);
    let err = embedder.embed(&texts(&["an outage"])).await.expect_err("two failures in a row");
    assert!(matches!(err, EmbedError::Unavailable(_)), "{err:?}");
    assert_eq!(fake.embedding_requests().len(), 4);
}

#[tokio::test]
async fn a_server_that_ignores_dimensions_gives_a_mismatch_error() {
    let model = FakeEmbeddingModel::new("nomic-embed-text", 768, DimensionsParam::Ignored);
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().embedding_model(model)).await;
    let embedder =
        embedder(OpenAiEmbedConfig { model: "nomic-embed-text".into(), dims: Some(256), ..config_for(&fake) });

    let err = embedder.embed(&texts(&["anything"])).await.expect_err("768 is not 256");

    let text = err.to_string();
    assert!(text.contains("768 dimensions where 256 were expected") && text.contains("`dimensions`"), "{text}");
}

#[tokio::test]
async fn an_unknown_model_is_named_in_the_error() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let embedder =
        embedder(OpenAiEmbedConfig { model: "text-embedding-9".into(), dims: Some(64), ..config_for(&fake) });

    let err = embedder.embed(&texts(&["anything"])).await.expect_err("no such model");

    let text = err.to_string();
    assert!(text.contains(&format!("model `text-embedding-9` not found at {}", fake.base_url())), "{text}");
}

#[tokio::test]
async fn a_probe_learns_an_unknown_models_size_with_one_request() {
    let model = FakeEmbeddingModel::new("nomic-embed-text", 768, DimensionsParam::Ignored);
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().embedding_model(model)).await;
    let config = OpenAiEmbedConfig { model: "nomic-embed-text".into(), ..config_for(&fake) };
    assert!(matches!(OpenAiEmbedder::new(config.clone()), Err(EmbedError::Invalid(_))));

    let embedder = OpenAiEmbedder::probe(config).await.expect("probe");

    assert_eq!(embedder.dims(), 768);
    let requests = fake.embedding_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["input"], serde_json::json!(["dimension probe"]));
    assert_eq!(embedder.embed(&texts(&["after the probe"])).await.map(|v| v[0].len()).ok(), Some(768));
}

#[tokio::test]
async fn no_texts_make_no_request_and_a_blank_one_is_refused_before_sending() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let embedder = embedder(config_for(&fake));
    assert_eq!(embedder.embed(&[]).await.map(|v| v.len()).ok(), Some(0));
    let err = embedder.embed(&texts(&["fine", "  "])).await.expect_err("blank text");
    assert!(matches!(err, EmbedError::Invalid(_)), "{err:?}");
    assert!(fake.embedding_requests().is_empty());
}

#[tokio::test]
async fn an_embedding_call_is_a_ledger_row_at_the_catalogs_price_and_a_disabled_model_is_refused() {
    use std::sync::Arc;
    use webplus::{
        Error,
        answer::Caller,
        auth::Principal,
        catalog::{EMBEDDINGS, ModelCatalog, ModelInput},
        embed::{metered::Meter, serve},
        ledger::Ledger,
        providers::Registry,
        sitechat::EmbedderSet,
        storage::{Db, LedgerFilter, Role, TempDb},
    };
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let model = "openai:text-embedding-3-small";
    let embedders = EmbedderSet::new().with(model, Arc::new(embedder(config_for(&fake))));
    let temp = TempDb::new().await;
    let db = Db::connect(temp.url()).await.expect("database");
    let catalog = ModelCatalog::start(db.clone(), Registry::default()).await.expect("catalog");
    catalog.set_embedding_models(serve::models(&embedders));
    let meter = Meter { ledger: Ledger::start(db.clone()), catalog: catalog.clone() };
    let user = Caller::user("u1");
    let cost_of_a_call = async |input: Vec<String>| {
        let embedded = serve::embed(&embedders, &meter, user.clone(), model, input, None).await.unwrap();
        meter.ledger.flush().await;
        let rows = db.ledger_rows(&LedgerFilter::default(), 1).await.unwrap();
        assert_eq!(rows[0].input_tokens, Some(i64::from(embedded.prompt_tokens)));
        (rows[0].cost_nano_usd, i64::from(embedded.prompt_tokens))
    };

    // $0.02 per million tokens (LiteLLM's list price) is 20 billionths of a dollar a token.
    let (cost, tokens) =
        cost_of_a_call(texts(&["How do I reset my password?", "Open the account settings page."])).await;
    assert_eq!(cost, Some(20 * tokens));

    // An administrator's price applies from the next call; a disabled model is unknown to users.
    let admin = Principal {
        user_id: "a1".into(),
        email: "a@example.com".into(),
        role: Role::Admin,
        session_id: None,
        api_key_id: None,
    };
    let entry = ModelInput {
        connection_id: Some(EMBEDDINGS.into()),
        upstream_id: Some(model.into()),
        name: Some(Some("Small vectors".into())),
        input_price_per_mtok: Some(Some(0.5)),
        ..Default::default()
    };
    let entry = catalog.create(&admin, entry).await.unwrap();
    assert_eq!((entry.kind, entry.dimensions, entry.served), ("embedding", Some(1536), true));
    let (cost, tokens) = cost_of_a_call(texts(&["What does the refund policy say?"])).await;
    assert_eq!(cost, Some(500 * tokens));
    assert_eq!(catalog.offered_embeddings(false)[0].name, "Small vectors");

    let off = ModelInput { enabled: Some(false), ..Default::default() };
    catalog.update(&admin, &entry.id, off).await.unwrap();
    assert!(catalog.offered_embeddings(false).is_empty());
    let refused = serve::embed(&embedders, &meter, user, model, texts(&["hello"]), None).await;
    assert!(
        matches!(&refused, Err(Error::Invalid(v)) if v.field == "model" && v.reason.contains("you can use are none")),
        "{refused:?}"
    );
    let chat_only = ModelInput { max_output: Some(Some(100)), ..Default::default() };
    let refused = catalog.update(&admin, &entry.id, chat_only).await;
    assert!(matches!(&refused, Err(Error::Invalid(v)) if v.field == "max_output"), "{refused:?}");
}
