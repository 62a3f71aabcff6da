//! A chat reply's usage: shown the moment the reply ends, read back the same from the ledger, and
//! only by the conversation's owner.

use super::*;
use crate::{
    chat::Chat,
    storage::{MessageStatus, NewExchange},
};

#[tokio::test]
async fn a_replys_usage_is_the_same_live_and_from_the_ledger_and_only_its_owner_reads_it() {
    let w = world().await;
    let db = w.sitechat.db().clone();
    let chat = Chat::new(db.clone(), w.answers.clone(), "m");
    let conv = chat.create_conversation(&w.owner, None, None).await.unwrap();
    let exchange = NewExchange {
        attachments: &[],
        user_id: &w.owner,
        conversation_id: &conv.id,
        parent_id: None,
        content: Some("Hi?"),
        model: "m",
        sources: None,
        title: None,
        dropped_params: None,
    };
    let (_, reply) = db.start_reply(exchange).await.unwrap();
    let prepared = w.answers.prepare(ask(Caller::user(&w.owner), Grounding::None, question("Hi?"))).await.unwrap();
    chat.generations().start(&w.owner, &reply.id, prepared.for_reply(&conv.id, &reply.id));
    let mut live = chat.generations().subscribe(&w.owner, &reply.id).expect("just started");
    let ended = live.wait_for(|s| s.status != MessageStatus::Streaming).await.unwrap().clone();

    let shown = ended.usage.expect("the last update carries the usage");
    // "Hi?" is 3 tokens to CharModel, "ok" 2: 3 µ$ + 2 × 2 µ$.
    assert_eq!(
        (shown.model.as_str(), shown.input_tokens, shown.output_tokens, shown.cost_nano_usd, shown.unpriced_calls),
        ("m", Some(3), Some(2), Some(7_000), 0)
    );
    assert!(shown.ttft_ms.is_some());
    let stored = chat.usage(&w.owner, &conv.id).await.unwrap();
    assert_eq!(stored.replies, std::slice::from_ref(&shown), "a reload shows what the stream showed");
    assert_eq!((stored.total.input_tokens, stored.total.output_tokens, stored.total.cost_nano_usd), (3, 2, 7_000));
    assert_eq!(chat.reply_usage(&w.owner, &reply.id).await.unwrap(), Some(shown));

    let stranger = db.create_user("s@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    assert!(matches!(chat.usage(&stranger, &conv.id).await, Err(Error::NotFound(_))));
    assert!(matches!(chat.reply_usage(&stranger, &reply.id).await, Err(Error::NotFound(_))));
}
