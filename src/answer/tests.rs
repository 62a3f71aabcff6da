//! The answer path's choices: which passages, which instruction, which history, which model.

mod chat_attachments;
mod chat_branches;
mod chat_lists;
mod chat_pages;
mod chat_search;
mod chat_settings;
mod chat_titles;
mod chat_transfer;
mod chat_usage;
mod quoting;

use std::sync::{Arc, Mutex};

use futures::StreamExt;

use super::*;
use crate::{
    fakes::BagEmbedder,
    ledger::Ledger,
    providers::{ChatEvent, ChatStream, FinishReason, ParamSupport, ProviderError, Usage},
    sitechat::{EmbedderSet, SiteChatConfig},
    storage::{UserStatus, test_support::temp_db},
};

/// Answers "ok 1", "ok 2"… (its calls so far), keeps what it was sent, and takes no seed. A
/// title request is answered "A test title." and kept in the second list.
#[derive(Default)]
struct Recording(Mutex<Vec<ChatRequest>>, Mutex<Vec<ChatRequest>>);

#[async_trait::async_trait]
impl ChatProvider for Recording {
    fn name(&self) -> &str {
        "rec"
    }
    async fn models(&self) -> Vec<ModelInfo> {
        vec![ModelInfo { id: "r".into(), provider: "rec".into(), context_window: 4_000 }]
    }
    async fn stream_chat(&self, r: ChatRequest) -> Result<ChatStream, ProviderError> {
        // A conversation's title request (after its first reply) is answered apart, so the
        // numbering and "what was sent last" stay the replies'.
        if r.messages.first().is_some_and(|m| m.content.starts_with("You write titles")) {
            self.1.lock().unwrap().push(r);
            let usage = Usage::reported(1, 1);
            let events = [
                ChatEvent::Delta("\"A test title.\"".into()),
                ChatEvent::Finished { reason: FinishReason::Stop, usage },
            ];
            return Ok(futures::stream::iter(events.map(Ok)).boxed());
        }
        let n = {
            let mut sent = self.0.lock().unwrap();
            sent.push(r);
            sent.len()
        };
        let usage = Usage::reported(1, 1);
        let events = [ChatEvent::Delta(format!("ok {n}")), ChatEvent::Finished { reason: FinishReason::Stop, usage }];
        Ok(futures::stream::iter(events.map(Ok)).boxed())
    }
    fn supported_params(&self) -> ParamSupport {
        ParamSupport { seed: false, ..ParamSupport::ALL }
    }
}

/// Counts one token per character, so window arithmetic is easy to follow.
struct CharModel;

#[async_trait::async_trait]
impl ChatProvider for CharModel {
    fn name(&self) -> &str {
        "test"
    }
    async fn models(&self) -> Vec<ModelInfo> {
        vec![ModelInfo { id: "m".into(), provider: "test".into(), context_window: 4_000 }]
    }
    /// Refuses a last message "fail"; otherwise answers "ok" in two pieces, with its usage.
    async fn stream_chat(&self, r: ChatRequest) -> Result<ChatStream, ProviderError> {
        if r.messages.last().is_some_and(|m| m.content == "fail") {
            return Err(ProviderError::Unavailable("refused for the test".into()));
        }
        let usage = Usage::reported(self.count_tokens(&r.model, &r.messages) as u32, 2);
        let events = [
            ChatEvent::Delta("o".into()),
            ChatEvent::Delta("k".into()),
            ChatEvent::Finished { reason: FinishReason::Stop, usage },
        ];
        Ok(futures::stream::iter(events.map(Ok)).boxed())
    }
    fn count_tokens(&self, _: &str, m: &[ChatMessage]) -> usize {
        m.iter().map(|m| m.content.len()).sum()
    }
    /// A dollar a million input tokens (a microdollar each), two an output token.
    fn prices(&self, _: &str) -> Option<crate::providers::Prices> {
        Some(crate::providers::Prices { input_per_mtok: 1.0, output_per_mtok: 2.0 })
    }
}

struct World {
    answers: Answers,
    ledger: Ledger,
    sitechat: SiteChat,
    owner: String,
    _dirs: (crate::storage::TempDb, tempfile::TempDir),
}

async fn world() -> World {
    let (db, db_dir) = temp_db().await;
    let data = tempfile::tempdir().unwrap();
    let config = SiteChatConfig::new(data.path().to_owned());
    let embedders = EmbedderSet::new().with(config.default_embedding_model.clone(), Arc::new(BagEmbedder));
    let sitechat = SiteChat::new(db.clone(), config, embedders);
    let owner = db.create_user("owner@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    let ledger = Ledger::start(db.clone());
    let catalog = ModelCatalog::start(db.clone(), Registry::new(vec![Arc::new(CharModel)])).await.unwrap();
    let answers = Answers::new(catalog, sitechat.clone(), Some(ledger.clone()));
    World { answers, ledger, sitechat, owner, _dirs: (db_dir, data) }
}

/// A chat whose model is the [`Recording`] one (`r`, the default) beside [`CharModel`], with its
/// catalog, on a fresh world.
async fn recording_chat() -> (crate::chat::Chat, ModelCatalog, Arc<Recording>, World) {
    let w = world().await;
    let db = w.sitechat.db().clone();
    let provider = Arc::new(Recording::default());
    let registry = Registry::new(vec![provider.clone(), Arc::new(CharModel)]);
    let catalog = ModelCatalog::start(db.clone(), registry).await.unwrap();
    let chat = crate::chat::Chat::new(db, Answers::new(catalog.clone(), w.sitechat.clone(), None), "r");
    (chat, catalog, provider, w)
}

fn ask(caller: Caller, grounding: Grounding, messages: Vec<ChatMessage>) -> AnswerRequest {
    AnswerRequest {
        caller,
        surface: Surface::Api,
        model: "m".into(),
        messages,
        params: Params::default(),
        grounding,
        history: History::AsSent,
        style: None,
    }
}

fn question(q: &str) -> Vec<ChatMessage> {
    vec![ChatMessage::new(Role::User, q)]
}

#[tokio::test]
async fn passages_go_first_numbered_and_a_published_base_without_any_still_forbids_guessing() {
    let w = world().await;
    let kb = w.sitechat.create_kb(&w.owner, "Docs", None).await.unwrap();

    // Nothing stored yet: a conversation's knowledge base adds nothing, a published one still
    // tells the model to answer only from the (absent) sources.
    let attached = ask(Caller::user(&w.owner), Grounding::Attached(vec![kb.clone()]), question("Refunds?"));
    let prepared = w.answers.prepare(attached).await.unwrap();
    assert!(prepared.sources.is_empty());
    assert_eq!(prepared.request().messages, question("Refunds?"));
    let visitor = Caller::Visitor { knowledge_base_id: kb.id.clone(), owner_id: w.owner.clone(), ip: None };
    let prepared =
        w.answers.prepare(ask(visitor.clone(), Grounding::Published(kb.clone()), question("Refunds?"))).await;
    let prepared = prepared.unwrap();
    let first = &prepared.request().messages[0];
    assert_eq!(first.role, Role::System);
    assert!(first.content.contains("say that you don't know"), "{}", first.content);

    w.sitechat
        .store_page_for_tests(&kb.id, "https://example.com/refunds", "Refunds", "# Refunds\n\nRefunds take 14 days.")
        .await
        .unwrap();
    let prepared = w.answers.prepare(ask(visitor, Grounding::Published(kb), question("How long do refunds take?")));
    let prepared = prepared.await.unwrap();
    assert_eq!(prepared.sources.len(), 1);
    assert_eq!((prepared.sources[0].n, prepared.sources[0].title.as_str()), (1, "Refunds"));
    let messages = &prepared.request().messages;
    assert_eq!(messages.len(), 2);
    assert!(messages[0].content.contains("[1] Refunds") && messages[0].content.contains("14 days"));
    assert_eq!(messages[1].content, "How long do refunds take?");
}

#[tokio::test]
async fn knowledge_bases_named_by_id_must_be_readable_by_a_signed_in_caller() {
    let w = world().await;
    let kb = w.sitechat.create_kb(&w.owner, "Docs", None).await.unwrap();
    let stranger = w.sitechat.db().create_user("s@example.com", "h", None, UserStatus::Active).await.unwrap().id;

    let by_stranger = ask(Caller::user(&stranger), Grounding::Readable(vec![kb.id.clone()]), question("Hi?"));
    assert!(matches!(w.answers.prepare(by_stranger).await, Err(Error::NotFound(_))));
    let none = ask(Caller::user(&w.owner), Grounding::Readable(vec![]), question("Hi?"));
    assert!(matches!(w.answers.prepare(none).await, Err(Error::Invalid(v)) if v.field == "knowledge_bases"));
    let too_many = Grounding::Readable(vec![kb.id.clone(); MAX_KNOWLEDGE_BASES + 1]);
    assert!(matches!(
        w.answers.prepare(ask(Caller::user(&w.owner), too_many, question("Hi?"))).await,
        Err(Error::Invalid(_))
    ));
    let visitor = Caller::Visitor { knowledge_base_id: kb.id.clone(), owner_id: w.owner.clone(), ip: None };
    let by_visitor = ask(visitor, Grounding::Readable(vec![kb.id.clone()]), question("Hi?"));
    assert!(matches!(w.answers.prepare(by_visitor).await, Err(Error::Forbidden(_))));
    let no_question = ask(Caller::user(&w.owner), Grounding::Readable(vec![kb.id]), vec![]);
    assert!(matches!(w.answers.prepare(no_question).await, Err(Error::Invalid(v)) if v.field == "messages"));
}

#[tokio::test]
async fn fitted_history_drops_the_oldest_turns_and_caps_the_reply_while_sent_history_is_kept() {
    let w = world().await;
    // A 4,000-token window keeps 512 for the reply (a quarter would be 1,000): 3,488 for the rest.
    let turns: Vec<ChatMessage> = (0..5).map(|i| ChatMessage::new(Role::User, format!("{i}").repeat(1_000))).collect();

    let mut fitted = ask(Caller::user(&w.owner), Grounding::None, turns.clone());
    fitted.history = History::FitToWindow;
    let prepared = w.answers.prepare(fitted.clone()).await.unwrap();
    assert_eq!(prepared.request().messages, turns[2..]);
    assert_eq!(prepared.request().max_tokens, Some(512));

    fitted.params.max_tokens = Some(2_000);
    let prepared = w.answers.prepare(fitted).await.unwrap();
    assert_eq!(prepared.request().messages, turns[3..]);
    assert_eq!(prepared.request().max_tokens, Some(2_000));

    let mut sent = ask(Caller::user(&w.owner), Grounding::None, turns.clone());
    sent.params = Params { temperature: Some(0.1), seed: Some(7), ..Params::default() };
    let prepared = w.answers.prepare(sent).await.unwrap();
    assert_eq!(prepared.request().messages, turns);
    assert_eq!(
        (prepared.request().max_tokens, prepared.request().temperature, prepared.request().seed),
        (None, Some(0.1), Some(7))
    );
}

#[tokio::test]
async fn an_unknown_model_is_named_in_the_error() {
    let w = world().await;
    let mut req = ask(Caller::user(&w.owner), Grounding::None, question("Hi?"));
    req.model = "gpt-9".into();
    assert!(matches!(w.answers.prepare(req).await, Err(Error::UnknownModel(m)) if m == "gpt-9"));
}

#[tokio::test]
async fn beyond_max_streams_an_answer_is_refused_at_once_until_a_stream_ends() {
    let w = world().await;
    let answers = w.answers.clone().max_streams(2);
    let ask_hi = || ask(Caller::user(&w.owner), Grounding::None, question("Hi?"));
    let prepared = answers.prepare(ask_hi()).await.unwrap();
    let streaming = answers.prepare(ask_hi()).await.unwrap().start().await.unwrap();
    assert!(matches!(answers.prepare(ask_hi()).await, Err(Error::RateLimited { retry_after_secs: 1 })));
    // An answer prepared and dropped unstarted gives its place back, as does a stream read to its end.
    drop(prepared);
    let third = answers.prepare(ask_hi()).await.unwrap();
    assert!(matches!(answers.prepare(ask_hi()).await, Err(Error::RateLimited { .. })));
    let events: Vec<_> = streaming.collect().await;
    assert_eq!(events.len(), 3, "the stream itself is untouched: {events:?}");
    let fourth = answers.prepare(ask_hi()).await.unwrap();
    assert!(matches!(answers.prepare(ask_hi()).await, Err(Error::RateLimited { .. })));
    drop((third, fourth));
}

#[tokio::test]
async fn every_started_call_writes_one_ledger_row_finished_stopped_or_refused() {
    let w = world().await;
    let start = |q: &'static str| {
        let answers = w.answers.clone();
        let owner = w.owner.clone();
        async move { answers.prepare(ask(Caller::user(&owner), Grounding::None, question(q))).await.unwrap() }
    };
    let finished: Vec<_> = start("Hi?").await.for_reply("c1", "r1").start().await.unwrap().collect().await;
    assert_eq!(finished.len(), 3);
    let mut stopped = start("Stop me").await.start().await.unwrap();
    stopped.next().await.unwrap().unwrap();
    drop(stopped);
    assert!(start("fail").await.start().await.is_err());
    // Prepared but never started: not a model call, no row.
    drop(start("never").await);
    w.ledger.flush().await;

    let mine = crate::storage::LedgerFilter { user_id: Some(w.owner.clone()), ..Default::default() };
    let mut rows = w.sitechat.db().ledger_rows(&mine, 10).await.unwrap();
    rows.sort_by_key(|r| r.outcome.clone());
    let summary: Vec<_> = rows
        .iter()
        .map(|r| (r.outcome.as_str(), r.input_tokens, r.output_tokens, r.tokens_counted, r.ttft_ms.is_some()))
        .collect();
    // The stopped call reported no tokens: they are counted (OpenAI's vocabulary, the default) from
    // its prompt and the text it had written, "o". The refused one never reached the model.
    let stopped_prompt = crate::providers::tokens::count_prompt("m", &question("Stop me")) as i64;
    assert_eq!(
        summary,
        [
            ("cancelled", Some(stopped_prompt), Some(1), 1, true),
            ("complete", Some(3), Some(2), 0, true),
            ("failed", None, None, 0, false)
        ]
    );
    let complete = &rows[1];
    assert_eq!((complete.conversation_id.as_deref(), complete.message_id.as_deref()), (Some("c1"), Some("r1")));
    assert_eq!((complete.surface.as_str(), complete.provider.as_str(), complete.model.as_str()), ("api", "test", "m"));
}
