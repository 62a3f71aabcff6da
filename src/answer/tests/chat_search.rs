//! Searching one's conversations: titles and messages with every word (stemmed, any case,
//! the last word as a prefix), excerpts with the words marked, never another user's, and the index
//! following edits and deletions.

use super::*;
use crate::{
    chat::{Chat, SearchHit},
    storage::{Backend, MessageStatus},
};

const CHATGPT: &str = include_str!("../../chat/testdata/chatgpt_conversations.json");

fn found(hits: &[SearchHit]) -> Vec<String> {
    hits.iter()
        .map(|h| {
            let marked: Vec<&str> = h.excerpt.iter().filter(|p| p.1).map(|p| p.0.as_str()).collect();
            format!("{}:{}", if h.message_id.is_some() { "message" } else { "title" }, marked.join("+"))
        })
        .collect()
}

#[tokio::test]
async fn titles_and_messages_with_every_word_are_found_and_only_the_callers() {
    let w = world().await;
    let db = w.sitechat.db().clone();
    let chat = Chat::new(db.clone(), w.answers.clone(), "m");
    let mine = chat.import(&w.owner, CHATGPT.as_bytes()).await.unwrap().conversations[0].0.clone();
    let stranger = db.create_user("s@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    chat.import(&stranger, CHATGPT.as_bytes()).await.unwrap();

    let hits = chat.search(&w.owner, "Lisbon", 30).await.unwrap();
    assert_eq!(found(&hits), ["title:Lisbon", "message:Lisbon"]);
    assert!(hits.iter().all(|h| h.conversation_id == mine), "never another user's: {hits:?}");
    assert_eq!(hits[1].role, Some(crate::domain::MessageRole::User));
    assert_eq!(hits[1].title, "Trip to Lisbon");

    // Every word must be there; stems and case do not matter; the last word may be unfinished.
    let texts = |hits: &[SearchHit]| {
        let mut t: Vec<String> = hits.iter().map(|h| h.excerpt.iter().map(|p| p.0.as_str()).collect()).collect();
        t.sort();
        t
    };
    assert_eq!(texts(&chat.search(&w.owner, "eat", 30).await.unwrap()), ["And eat?", "And what should I eat?"]);
    // Both words are in the conversation, but not in one message (nor in its title).
    assert!(chat.search(&w.owner, "lisbon eat", 30).await.unwrap().is_empty());
    assert_eq!(texts(&chat.search(&w.owner, "staying", 30).await.unwrap()), ["Where should I stay in Lisbon?"]);
    assert_eq!(texts(&chat.search(&w.owner, "PASTÉIS", 30).await.unwrap()), ["Try pastéis de nata."]);
    assert_eq!(texts(&chat.search(&w.owner, "alfa", 30).await.unwrap()), ["Alfama or Baixa."]);
    assert!(chat.search(&w.owner, "eat tokyo", 30).await.unwrap().is_empty());
    assert!(chat.search(&w.owner, " \"*(): ", 30).await.unwrap().is_empty(), "no words: nothing, not an error");

    // A reply's text as it is now is what is found.
    let reply = hits_of(&chat, &w.owner, "alfama").await;
    db.finish_message(&reply, "Stay in Chiado.", MessageStatus::Complete, None, None).await.unwrap();
    assert!(chat.search(&w.owner, "alfama", 30).await.unwrap().is_empty());
    assert_eq!(texts(&chat.search(&w.owner, "chiado", 30).await.unwrap()), ["Stay in Chiado."]);

    // A deleted conversation leaves nothing in the index.
    chat.delete_conversation(&w.owner, &mine).await.unwrap();
    assert!(chat.search(&w.owner, "lisbon", 30).await.unwrap().is_empty());
    assert_eq!(chat.search(&stranger, "lisbon", 30).await.unwrap().len(), 2, "the other user's copy stays");
    if db.backend() == Backend::Sqlite {
        let indexed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'chiado'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(indexed, 0);
    }
}

async fn hits_of(chat: &Chat, user: &str, q: &str) -> String {
    let hits = chat.search(user, q, 30).await.unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    hits[0].message_id.clone().unwrap()
}
