//! The sidebar's lists: pinned conversations apart and first, archived ones out of the main list
//! (and unpinned), each change by its owner only; an archived ChatGPT conversation arrives archived.

use super::*;
use crate::chat::Chat;

const CHATGPT: &str = include_str!("../../chat/testdata/chatgpt_conversations.json");

#[tokio::test]
async fn pinned_and_archived_conversations_leave_the_main_list_for_their_own() {
    let w = world().await;
    let db = w.sitechat.db().clone();
    let chat = Chat::new(db.clone(), w.answers.clone(), "m");
    let me = w.owner.as_str();
    let mut ids = Vec::new();
    for title in ["One", "Two", "Three"] {
        ids.push(chat.create_conversation(me, Some(title), None).await.unwrap().id);
    }
    let titles = |rows: Vec<crate::storage::ConversationRow>| rows.into_iter().map(|c| c.title).collect::<Vec<_>>();
    let recent = |chat: Chat| async move { titles(chat.list_conversations(me, None, 30).await.unwrap().items) };

    chat.pin_conversation(me, &ids[0], true).await.unwrap();
    chat.archive_conversation(me, &ids[1], true).await.unwrap();
    assert_eq!(recent(chat.clone()).await, ["Three"]);
    assert_eq!(titles(chat.pinned_conversations(me).await.unwrap()), ["One"]);
    assert_eq!(titles(chat.archived_conversations(me, None, 30).await.unwrap().items), ["Two"]);
    assert!(chat.conversation(me, &ids[0]).await.unwrap().is_pinned());

    // Archiving a pinned one unpins it; unarchiving brings it back to the main list.
    chat.archive_conversation(me, &ids[0], true).await.unwrap();
    assert!(chat.pinned_conversations(me).await.unwrap().is_empty());
    assert_eq!(titles(chat.archived_conversations(me, None, 30).await.unwrap().items).len(), 2);
    chat.archive_conversation(me, &ids[0], false).await.unwrap();
    chat.pin_conversation(me, &ids[2], true).await.unwrap();
    assert_eq!(recent(chat.clone()).await, ["One"]);
    chat.pin_conversation(me, &ids[2], false).await.unwrap();
    assert_eq!(recent(chat.clone()).await, ["Three", "One"]);

    // Only the owner changes them.
    let stranger = db.create_user("s@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    assert!(matches!(chat.pin_conversation(&stranger, &ids[2], true).await, Err(Error::NotFound(_))));
    assert!(matches!(chat.archive_conversation(&stranger, &ids[2], true).await, Err(Error::NotFound(_))));
    assert!(!chat.conversation(me, &ids[2]).await.unwrap().is_pinned());
    assert!(chat.archived_conversations(&stranger, None, 30).await.unwrap().items.is_empty());

    // ChatGPT's archived conversations arrive archived.
    let archived = CHATGPT.replacen("\"is_archived\": false", "\"is_archived\": true", 1);
    let id = chat.import(me, archived.as_bytes()).await.unwrap().conversations[0].0.clone();
    assert!(chat.conversation(me, &id).await.unwrap().is_archived());
    assert!(!recent(chat.clone()).await.contains(&"Trip to Lisbon".to_string()));
}
