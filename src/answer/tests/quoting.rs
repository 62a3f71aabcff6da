//! Grounded answers quoted from the passages instead of generated: who quotes, what a quote is,
//! and that it is recorded like any answer.

use super::*;

/// A provider named like the embedded one, whose model "tiny" always writes the same text.
struct Local(&'static str);

#[async_trait::async_trait]
impl ChatProvider for Local {
    fn name(&self) -> &str {
        "local"
    }
    async fn models(&self) -> Vec<ModelInfo> {
        vec![ModelInfo { id: "tiny".into(), provider: "local".into(), context_window: 4_000 }]
    }
    async fn stream_chat(&self, _: ChatRequest) -> Result<ChatStream, ProviderError> {
        let events = [
            ChatEvent::Delta(self.0.into()),
            ChatEvent::Finished { reason: FinishReason::Stop, usage: Usage::reported(5, 1) },
        ];
        Ok(futures::stream::iter(events.map(Ok)).boxed())
    }
}

async fn text_of(prepared: PreparedAnswer) -> String {
    let events: Vec<_> = prepared.start().await.unwrap().collect().await;
    assert!(matches!(events.last(), Some(Ok(ChatEvent::Finished { reason: FinishReason::Stop, .. }))), "{events:?}");
    events
        .into_iter()
        .filter_map(|e| match e {
            Ok(ChatEvent::Delta(t)) => Some(t),
            _ => None,
        })
        .collect()
}

async fn refunds_kb(w: &World) -> KnowledgeBaseRow {
    let kb = w.sitechat.create_kb(&w.owner, "Docs", None).await.unwrap();
    let page = "# Refunds\n\nRefunds take 14 days to reach your card. Shipping is free in France.";
    w.sitechat.store_page_for_tests(&kb.id, "https://example.com/refunds", "Refunds", page).await.unwrap();
    kb
}

#[tokio::test]
async fn a_quoted_answer_is_the_sentence_that_answers_with_its_number_and_is_recorded_without_tokens() {
    let w = world().await;
    let kb = refunds_kb(&w).await;
    let grounded = |q: &str, style| AnswerRequest {
        style,
        ..ask(Caller::user(&w.owner), Grounding::Attached(vec![kb.clone()]), question(q))
    };
    // The test provider is not a local one: it generates unless the request says quote.
    let generated = w.answers.prepare(grounded("How long do refunds take?", None)).await.unwrap();
    assert!(!generated.is_quoted());
    assert_eq!(text_of(generated).await, "ok");

    let quoted = w.answers.prepare(grounded("How long do refunds take?", Some(AnswerStyle::Quote))).await.unwrap();
    assert!(quoted.is_quoted());
    assert_eq!(quoted.sources.len(), 1);
    // No model call follows, so no passages are put into a prompt and no window is fitted.
    assert_eq!(quoted.request().messages, question("How long do refunds take?"));
    assert_eq!(text_of(quoted.for_reply("c1", "r1")).await, "Refunds take 14 days to reach your card. [1]");
    let unknown = w.answers.prepare(grounded("What is the support phone number?", Some(AnswerStyle::Quote)));
    let unknown = text_of(unknown.await.unwrap()).await;
    assert_eq!(unknown, format!("{NOT_IN_DOCUMENTS} The closest passages I found are listed as sources."));
    // Without knowledge there is nothing to quote: the model answers.
    let plain = ask(Caller::user(&w.owner), Grounding::None, question("How long do refunds take?"));
    let plain = w.answers.prepare(AnswerRequest { style: Some(AnswerStyle::Quote), ..plain }).await.unwrap();
    assert!(!plain.is_quoted());

    w.ledger.flush().await;
    let mine = crate::storage::LedgerFilter { user_id: Some(w.owner.clone()), ..Default::default() };
    let rows = w.sitechat.db().ledger_rows(&mine, 10).await.unwrap();
    let quoted_rows: Vec<_> = rows.iter().filter(|r| r.output_tokens == Some(0)).collect();
    assert_eq!(quoted_rows.len(), 2, "{rows:?}");
    assert!(quoted_rows.iter().all(|r| r.outcome == "complete" && r.input_tokens == Some(0) && r.ttft_ms.is_some()));
    assert!(quoted_rows.iter().any(|r| r.message_id.as_deref() == Some("r1")));
}

#[tokio::test]
async fn the_local_models_quote_unless_the_setting_or_the_request_says_generate() {
    let w = world().await;
    let kb = refunds_kb(&w).await;
    let catalog =
        ModelCatalog::start(w.sitechat.db().clone(), Registry::new(vec![Arc::new(Local("generated"))])).await.unwrap();
    let req = |style| AnswerRequest {
        model: "tiny".into(),
        style,
        ..ask(Caller::user(&w.owner), Grounding::Attached(vec![kb.clone()]), question("How long do refunds take?"))
    };
    let answers = Answers::new(catalog.clone(), w.sitechat.clone(), None);
    assert_eq!(
        text_of(answers.prepare(req(None)).await.unwrap()).await,
        "Refunds take 14 days to reach your card. [1]"
    );
    assert_eq!(text_of(answers.prepare(req(Some(AnswerStyle::Generate))).await.unwrap()).await, "generated");
    let generating = Answers::new(catalog, w.sitechat.clone(), None).local_grounded_answers(AnswerStyle::Generate);
    assert_eq!(text_of(generating.prepare(req(None)).await.unwrap()).await, "generated");
    let asked = text_of(generating.prepare(req(Some(AnswerStyle::Quote))).await.unwrap()).await;
    assert!(asked.ends_with("[1]"), "{asked}");
}

#[tokio::test]
async fn a_conversation_s_answer_style_reaches_its_questions_to_the_attached_knowledge() {
    use crate::{
        chat::{Chat, ChatSettings},
        storage::MessageStatus,
    };
    let w = world().await;
    let kb = refunds_kb(&w).await;
    let db = w.sitechat.db().clone();
    let provider = Arc::new(Recording::default());
    let catalog = ModelCatalog::start(db.clone(), Registry::new(vec![provider.clone()])).await.unwrap();
    let chat = Chat::new(db.clone(), Answers::new(catalog, w.sitechat.clone(), None), "r");
    let conv = chat.create_conversation(&w.owner, None, None).await.unwrap();
    db.set_conversation_knowledge_bases(&conv.id, std::slice::from_ref(&kb.id)).await.unwrap();
    let ask = async |q: &str| {
        let reply = chat.send_message(&w.owner, &conv.id, q, None, &[]).await.unwrap().reply.row;
        let mut live = chat.generations().subscribe(&w.owner, &reply.id).expect("just started");
        live.wait_for(|s| s.status != MessageStatus::Streaming).await.unwrap();
        chat.message(&w.owner, &reply.id).await.unwrap().content
    };

    // The recording model is not a local one: it writes the answer.
    assert_eq!(ask("How long do refunds take?").await, "ok 1");
    let quoting = ChatSettings { answer_style: Some(AnswerStyle::Quote), ..ChatSettings::default() };
    let saved = chat.save_settings(&w.owner, &conv.id, quoting.clone()).await.unwrap();
    assert_eq!(saved, quoting);
    assert_eq!(chat.settings(&w.owner, &conv.id).await.unwrap().answer_style, Some(AnswerStyle::Quote));
    assert_eq!(ask("How long do refunds take?").await, "Refunds take 14 days to reach your card. [1]");
    assert_eq!(provider.0.lock().unwrap().len(), 1, "the quote called no model");
}

#[tokio::test]
async fn a_local_model_s_written_answer_with_numbers_the_passages_lack_ends_with_a_check() {
    let w = world().await;
    let kb = refunds_kb(&w).await;
    let answers_with = async |text: &'static str| {
        let catalog = ModelCatalog::start(w.sitechat.db().clone(), Registry::new(vec![Arc::new(Local(text))]));
        let answers = Answers::new(catalog.await.unwrap(), w.sitechat.clone(), None);
        let req = AnswerRequest {
            model: "tiny".into(),
            style: Some(AnswerStyle::Generate),
            ..ask(Caller::user(&w.owner), Grounding::Attached(vec![kb.clone()]), question("How long do refunds take?"))
        };
        text_of(answers.prepare(req).await.unwrap()).await
    };
    assert_eq!(
        answers_with("They take 30 days, or 2 weeks [1].").await,
        "They take 30 days, or 2 weeks [1].\n\n*Check this answer: the documents do not have “30”, “2”. They say:* \
         Refunds take 14 days to reach your card. [1]"
    );
    // Numbers the passages (or the question) have, and citation numbers, pass.
    assert_eq!(answers_with("14 days [1].").await, "14 days [1].");
}

#[test]
fn a_quote_adds_the_next_best_passages_of_the_documents_found_and_no_others() {
    let hit = |chunk_id: i64, document_id: &str| Hit {
        chunk_id,
        kb_id: "kb".into(),
        document_id: document_id.into(),
        url: None,
        file_name: None,
        title: document_id.into(),
        heading_path: String::new(),
        text: format!("chunk {chunk_id}"),
        score: 1.0 / chunk_id as f32,
    };
    let docs = ["a", "b", "a", "c", "a", "d", "b", "e", "c", "a", "a", "a", "a", "a"];
    let mut hits: Vec<Hit> = docs.iter().enumerate().map(|(i, d)| hit(i as i64 + 1, d)).collect();
    let more = more_from_the_same_documents(&mut hits);
    assert_eq!(hits.iter().map(|h| h.chunk_id).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    // "d" and "e" are not among the best documents; at most five are added.
    assert_eq!(more.iter().map(|h| h.chunk_id).collect::<Vec<_>>(), [7, 9, 10, 11, 12]);
    let mut few = vec![hit(1, "a")];
    assert!(more_from_the_same_documents(&mut few).is_empty());
    assert_eq!(few.len(), 1);
}
