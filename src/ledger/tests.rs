//! The ledger on this test run's database: records become rows, batched; who may read what; a
//! conversation's usage per reply.

use std::net::IpAddr;

use super::*;
use crate::{
    Error,
    answer::usage::{Outcome, ReplyRef, Surface},
    auth::Principal,
    providers::Usage,
    storage::{LedgerGroup, ReplyUsage, Role, test_support::temp_db},
};

fn record(caller: Caller, model: &str, usage: Option<Usage>) -> UsageRecord {
    UsageRecord {
        // gpt-4o-mini's list prices: 0.15 and 0.60 dollars per million tokens.
        cost_nano_usd: usage.map(|u| i64::from(u.prompt_tokens) * 150 + i64::from(u.completion_tokens) * 600),
        caller,
        surface: Surface::Api,
        provider: "openai".into(),
        model: model.into(),
        outcome: if usage.is_some() { Outcome::Complete } else { Outcome::Failed },
        usage,
        reply: None,
        knowledge_base_id: None,
        started_at_ms: 1_700_000_000_000,
        ttft_ms: Some(40),
        elapsed_ms: 900,
    }
}

fn user(id: &str, key: Option<&str>) -> Caller {
    Caller::User { user_id: id.into(), api_key_id: key.map(str::to_owned) }
}

fn principal(id: &str, role: Role) -> Principal {
    Principal { user_id: id.into(), email: format!("{id}@example.com"), role, session_id: None, api_key_id: None }
}

fn tokens(prompt: u32, completion: u32) -> Option<Usage> {
    Some(Usage::reported(prompt, completion))
}

#[tokio::test]
async fn every_record_becomes_one_row_with_who_and_what_for() {
    let (db, _temp) = temp_db().await;
    let ledger = Ledger::start(db.clone());
    let mut chat = record(user("u1", None), "m", tokens(10, 3));
    chat.surface = Surface::Chat;
    chat.reply = Some(ReplyRef { conversation_id: "c1".into(), message_id: "r1".into() });
    let visitor_ip: IpAddr = "203.0.113.9".parse().unwrap();
    let mut widget = record(
        Caller::Visitor { knowledge_base_id: "kb1".into(), owner_id: "u2".into(), ip: Some(visitor_ip) },
        "m",
        tokens(5, 1),
    );
    widget.surface = Surface::Widget;
    let mut ingest =
        record(user("u3", None), "local:all-minilm-l6-v2", Some(Usage { counted: true, ..Usage::reported(70, 0) }));
    ingest.surface = Surface::Ingest;
    ingest.knowledge_base_id = Some("kb3".into());
    // Many at once: the writer stores them in batches, none is lost.
    for _ in 0..600 {
        ledger.record(&record(user("u1", Some("k1")), "bulk", None));
    }
    ledger.record(&chat);
    ledger.record(&widget);
    ledger.record(&ingest);
    ledger.flush().await;

    let all = db.ledger_rows(&Default::default(), 1000).await.unwrap();
    assert_eq!(all.len(), 603);
    let ingest_row = all.iter().find(|r| r.surface == "ingest").unwrap();
    assert_eq!(
        (ingest_row.user_id.as_deref(), ingest_row.knowledge_base_id.as_deref(), ingest_row.input_tokens),
        (Some("u3"), Some("kb3"), Some(70)),
        "an ingestion's embedding call is the knowledge base owner's, and names the knowledge base"
    );
    assert_eq!(ingest_row.tokens_counted, 1, "the embedder reported no tokens: they were counted");
    let chat_row = all.iter().find(|r| r.surface == "chat").unwrap();
    assert_eq!(
        (chat_row.user_id.as_deref(), chat_row.conversation_id.as_deref(), chat_row.message_id.as_deref()),
        (Some("u1"), Some("c1"), Some("r1"))
    );
    assert_eq!((chat_row.input_tokens, chat_row.output_tokens, chat_row.ttft_ms), (Some(10), Some(3), Some(40)));
    assert_eq!(chat_row.tokens_counted, 0, "reported by the provider");
    assert_eq!(
        (chat_row.outcome.as_str(), chat_row.duration_ms, chat_row.started_at),
        ("complete", 900, 1_700_000_000_000)
    );
    let widget_row = all.iter().find(|r| r.surface == "widget").unwrap();
    assert_eq!(
        (widget_row.user_id.as_deref(), widget_row.knowledge_base_id.as_deref(), widget_row.api_key_id.as_deref()),
        (Some("u2"), Some("kb1"), None),
        "a visitor's call is its knowledge base owner's usage; the visitor's IP is not stored"
    );
    let bulk = all.iter().filter(|r| r.model == "bulk").collect::<Vec<_>>();
    assert!(
        bulk.iter().all(|r| r.api_key_id.as_deref() == Some("k1") && r.outcome == "failed" && r.input_tokens.is_none())
    );
}

#[tokio::test]
async fn users_read_their_own_usage_and_admins_anyones() {
    let (db, _temp) = temp_db().await;
    let ledger = Ledger::start(db);
    ledger.record(&record(user("alice", None), "a", tokens(10, 20)));
    ledger.record(&record(user("alice", None), "b", tokens(1, 2)));
    ledger.record(&record(user("bob", None), "a", tokens(100, 200)));
    // No flush: a read of usage waits for what was recorded before it.
    let (alice, bob, admin) =
        (principal("alice", Role::User), principal("bob", Role::User), principal("root", Role::Admin));

    let rows = |r: UsageReport| match r.detail {
        UsageDetail::Rows(rows) => rows,
        UsageDetail::Groups(g) => panic!("rows expected, got groups {g:?}"),
    };
    let groups = |r: &UsageReport| match &r.detail {
        UsageDetail::Groups(g) => g.clone(),
        UsageDetail::Rows(rows) => panic!("groups expected, got rows {rows:?}"),
    };
    let mine = ledger.usage(&alice, UsageQuery::default()).await.unwrap();
    assert_eq!(rows(mine.clone()).len(), 2);
    assert_eq!((mine.total.calls, mine.total.input_tokens, mine.total.output_tokens), (2, 11, 22));
    let own_by_id = ledger.usage(&alice, UsageQuery { scope: UsageScope::User("alice".into()), ..Default::default() });
    assert_eq!(rows(own_by_id.await.unwrap()).len(), 2);

    for scope in [UsageScope::User("alice".into()), UsageScope::Everyone] {
        let refused = ledger.usage(&bob, UsageQuery { scope, ..Default::default() }).await;
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    }
    let bobs = ledger.usage(&admin, UsageQuery { scope: UsageScope::User("bob".into()), ..Default::default() });
    assert_eq!(bobs.await.unwrap().total.input_tokens, 100);
    let by_model = UsageQuery { scope: UsageScope::Everyone, group_by: Some(LedgerGroup::Model), ..Default::default() };
    let report = ledger.usage(&admin, by_model).await.unwrap();
    assert_eq!(
        groups(&report).iter().map(|g| (g.key.as_str(), g.input_tokens)).collect::<Vec<_>>(),
        [("a", 110), ("b", 1)]
    );
    assert_eq!(report.total.calls, 3);
    let by_day = UsageQuery { scope: UsageScope::Everyone, group_by: Some(LedgerGroup::Day), ..Default::default() };
    let days = groups(&ledger.usage(&admin, by_day).await.unwrap());
    assert_eq!(days.iter().map(|g| (g.key.as_str(), g.calls)).collect::<Vec<_>>(), [("2023-11-14", 3)]);
    let admins_own = ledger.usage(&admin, UsageQuery::default()).await.unwrap();
    assert_eq!(admins_own.total.calls, 0, "without user=, an admin reads their own usage");
}

#[tokio::test]
async fn bad_ranges_and_limits_are_refused_by_name() {
    let (db, _temp) = temp_db().await;
    let ledger = Ledger::start(db);
    let me = principal("alice", Role::User);
    let reversed = UsageQuery { from_ms: Some(10), to_ms: Some(10), ..Default::default() };
    assert!(matches!(ledger.usage(&me, reversed).await, Err(Error::Invalid(v)) if v.field == "to"));
    for limit in [0, 1001] {
        let q = UsageQuery { limit: Some(limit), ..Default::default() };
        assert!(matches!(ledger.usage(&me, q).await, Err(Error::Invalid(v)) if v.field == "limit"));
    }
}

#[tokio::test]
async fn a_conversations_usage_is_per_reply_as_recorded_with_totals_and_only_the_owners() {
    let (db, _temp) = temp_db().await;
    let ledger = Ledger::start(db);
    let chat = |who: &str, conversation: &str, reply: &str, started: i64, usage: Option<Usage>| {
        let mut r = record(user(who, None), "m", usage);
        r.surface = Surface::Chat;
        r.reply = Some(ReplyRef { conversation_id: conversation.into(), message_id: reply.into() });
        r.started_at_ms = started;
        r
    };
    let priced = chat("alice", "c1", "r1", 1, tokens(400, 100));
    let mut unpriced = chat("alice", "c1", "r2", 2, tokens(30, 7));
    unpriced.cost_nano_usd = None;
    let mut free = chat("alice", "c1", "r3", 3, tokens(5, 5));
    free.cost_nano_usd = Some(0);
    let stopped = chat("alice", "c1", "r4", 4, None);
    let mut second_call = chat("alice", "c1", "r5", 5, tokens(1, 1));
    second_call.ttft_ms = Some(10);
    let records = [priced, unpriced, free, stopped, second_call.clone(), second_call.clone()];
    for r in &records {
        ledger.record(r);
    }
    // Not this conversation's, or not alice's.
    ledger.record(&chat("alice", "c2", "x1", 6, tokens(9, 9)));
    ledger.record(&chat("bob", "c1", "x2", 7, tokens(9, 9)));
    ledger.record(&record(user("alice", None), "m", tokens(9, 9)));
    // No flush: the read waits for what was recorded before it.

    let usage = ledger.conversation_usage("alice", "c1").await.unwrap();
    let as_recorded: Vec<_> = records[..4].iter().map(|r| ReplyUsage::of(r).unwrap()).collect();
    assert_eq!(usage.replies[..4], as_recorded, "what the stream showed is what a reload reads");
    let r4 = &usage.replies[3];
    assert_eq!((r4.input_tokens, r4.cost_nano_usd, r4.unpriced_calls), (None, None, 0), "stopped: tokens unknown");
    let r2 = &usage.replies[1];
    assert_eq!((r2.cost_nano_usd, r2.unpriced_calls), (None, 1), "tokens but no price");
    let r5 = &usage.replies[4];
    assert_eq!(
        (r5.message_id.as_str(), r5.calls, r5.input_tokens, r5.cost_nano_usd, r5.ttft_ms, r5.duration_ms),
        ("r5", 2, Some(2), Some(2 * 750), Some(10), 1800),
        "a reply's calls are summed"
    );
    assert_eq!(usage.replies.len(), 5);
    let t = &usage.total;
    assert_eq!((t.calls, t.input_tokens, t.output_tokens, t.unpriced_calls), (6, 400 + 30 + 5 + 2, 100 + 7 + 5 + 2, 1));
    assert_eq!(t.cost_nano_usd, 400 * 150 + 100 * 600 + 2 * 750);

    let one = ledger.reply_usage("alice", "c1", "r2").await.unwrap();
    assert_eq!(one.as_ref(), Some(&usage.replies[1]));
    assert_eq!(ledger.reply_usage("bob", "c1", "r2").await.unwrap(), None);
    let empty = ledger.conversation_usage("carol", "c1").await.unwrap();
    assert_eq!((empty.replies.len(), empty.total.calls, empty.total.cost_nano_usd), (0, 0, 0));
}

#[tokio::test]
async fn a_reply_that_failed_over_names_the_model_that_answered() {
    let (db, _temp) = temp_db().await;
    let ledger = Ledger::start(db);
    let call = |model: &str, reply: &str, started: i64, usage: Option<Usage>| {
        let mut r = record(user("alice", None), model, usage);
        r.surface = Surface::Chat;
        r.reply = Some(ReplyRef { conversation_id: "c1".into(), message_id: reply.into() });
        r.started_at_ms = started;
        r
    };
    // r1: "z-first" was unavailable (failed, no tokens), "a-fallback" answered. The failed model
    // sorts last by name, so a MAX(model) would name it.
    ledger.record(&call("z-first", "r1", 10, None));
    ledger.record(&call("a-fallback", "r1", 10, tokens(4, 2)));
    // r2: every call failed: the last one tried is named.
    ledger.record(&call("z-first", "r2", 20, None));
    ledger.record(&call("a-fallback", "r2", 21, None));

    let usage = ledger.conversation_usage("alice", "c1").await.unwrap();
    let models: Vec<_> = usage.replies.iter().map(|r| (r.message_id.as_str(), r.model.as_str(), r.calls)).collect();
    assert_eq!(models, [("r1", "a-fallback", 2), ("r2", "a-fallback", 2)]);
    let one = ledger.reply_usage("alice", "c1", "r1").await.unwrap().unwrap();
    assert_eq!(one.model, "a-fallback");
}
