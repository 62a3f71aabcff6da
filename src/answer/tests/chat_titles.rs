//! Titles: after the first reply, the conversation's model titles the conversation (what it was
//! given: the question and the reply), the reply's final state carries the title, and a rename by
//! the user wins.

use super::*;
use crate::chat::Chat;
use crate::storage::MessageStatus;

async fn setup() -> (Chat, Arc<Recording>, World) {
    let (chat, _, provider, w) = recording_chat().await;
    (chat, provider, w)
}

#[tokio::test]
async fn the_first_reply_titles_the_conversation_once_and_its_end_says_so() {
    let (chat, provider, w) = setup().await;
    let me = w.owner.as_str();
    let conv = chat.create_conversation(me, None, None).await.unwrap().id;
    let sent = chat.send_message(me, &conv, "How do tides work?\nI live by the sea.", None, &[]).await.unwrap();
    // The first line at once; the model's title may already have replaced it (the test model
    // answers at once, and the title job runs beside this test: under load it wins the race).
    let first = chat.conversation(me, &conv).await.unwrap().title;
    assert!(first == "How do tides work?" || first == "A test title", "the first line at once: {first:?}");
    // Followers hear that the reply has ended, then the title. Under load the reply and its title
    // job may both be over before this subscribes (the generation is gone then): storage says it.
    if let Some(mut live) = chat.generations().subscribe(me, &sent.reply.row.id) {
        let ended = live.wait_for(|s| s.status != MessageStatus::Streaming).await.unwrap().clone();
        assert_eq!(ended.status, MessageStatus::Complete);
        assert!(ended.titling || ended.title.is_some());
        let end = live.wait_for(|s| !s.titling).await.unwrap().clone();
        assert_eq!(end.title.as_deref(), Some("A test title"));
    }
    assert_eq!(chat.conversation(me, &conv).await.unwrap().title, "A test title");
    let asked = provider.1.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    let exchange = &asked[0].messages[1].content;
    assert!(exchange.contains("How do tides work?") && exchange.contains("ok 1"), "{exchange}");
    assert_eq!(asked[0].max_tokens, Some(24));

    // Later questions do not title it again.
    let again = chat.send_message(me, &conv, "And spring tides?", None, &[]).await.unwrap();
    if let Some(mut live) = chat.generations().subscribe(me, &again.reply.row.id) {
        let end = live.wait_for(|s| s.status != MessageStatus::Streaming).await.unwrap().clone();
        assert_eq!((end.title, end.titling), (None, false));
    }
    // (Gone already: the generation, title step included, had ended.) No second title call.
    assert_eq!(provider.1.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_rename_before_the_title_is_written_wins() {
    let (chat, _, w) = setup().await;
    let me = w.owner.as_str();
    let db = w.sitechat.db();
    let conv = chat.create_conversation(me, None, None).await.unwrap().id;
    db.rename_conversation(me, &conv, "Mine").await.unwrap();
    assert!(!db.replace_title(me, &conv, "New conversation", "Written").await.unwrap());
    assert!(db.replace_title(me, &conv, "Mine", "Written").await.unwrap());
    assert!(!db.replace_title("someone-else", &conv, "Written", "Stolen").await.unwrap());
    assert_eq!(chat.conversation(me, &conv).await.unwrap().title, "Written");
}
