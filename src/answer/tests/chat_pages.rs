//! Long conversations open on their last page: the newest messages of the branch on show, with
//! the ids of the ones above them; older pages come on demand, and a switch or a search hit far up
//! brings the branch from that message on.

use super::*;
use crate::chat::{Chat, THREAD_PAGE, ThreadMessage};

fn texts(thread: &[ThreadMessage]) -> Vec<String> {
    thread.iter().map(|m| m.row.content.clone()).collect()
}

/// A Web+ export of `n` messages in one line ("m0" … ), with a second version of message 2
/// ("m2b", older than the last message, so the long line stays on show).
fn long_conversation(n: usize) -> Vec<u8> {
    let mut messages: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "id": format!("m{i}"),
                "parent": i.checked_sub(1).map(|p| format!("m{p}")),
                "role": if i % 2 == 0 { "user" } else { "assistant" },
                "content": format!("m{i}"),
                "created_at": 1_000 + i as i64 * 10,
            })
        })
        .collect();
    messages.push(serde_json::json!({
        "id": "m2b", "parent": "m1", "role": "user", "content": "m2b", "created_at": 1_025,
    }));
    let file = serde_json::json!({
        "format": "webplus.conversation", "version": 1, "title": "Long", "model": "m",
        "created_at": 1_000, "current": format!("m{}", n - 1), "messages": messages,
    });
    serde_json::to_vec(&file).unwrap()
}

#[tokio::test]
async fn a_long_conversation_opens_on_its_last_page_and_older_pages_come_on_demand() {
    let w = world().await;
    let chat = Chat::new(w.sitechat.db().clone(), w.answers.clone(), "m");
    let n = 2 * THREAD_PAGE + 20;
    let report = chat.import(&w.owner, &long_conversation(n)).await.unwrap();
    let id = &report.conversations[0].0;
    let name = |i: usize| format!("m{i}");

    let last = chat.latest_messages(&w.owner, id).await.unwrap();
    assert_eq!(texts(&last.messages), ((n - THREAD_PAGE)..n).map(name).collect::<Vec<_>>());
    assert_eq!(last.earlier.len(), n - THREAD_PAGE);

    // Each earlier page is the one above the first message shown, down to the first message.
    let before = last.messages[0].row.id.clone();
    let middle = chat.earlier_messages(&w.owner, id, &before).await.unwrap();
    assert_eq!(texts(&middle.messages), ((n - 2 * THREAD_PAGE)..(n - THREAD_PAGE)).map(name).collect::<Vec<_>>());
    assert_eq!(middle.earlier.len(), n - 2 * THREAD_PAGE);
    let first = chat.earlier_messages(&w.owner, id, &middle.messages[0].row.id).await.unwrap();
    assert_eq!(texts(&first.messages), (0..20).map(name).collect::<Vec<_>>());
    assert!(first.earlier.is_empty());
    assert_eq!(first.messages[2].siblings.len(), 2, "the edited question still shows its switcher");
    assert!(chat.earlier_messages(&w.owner, id, &first.messages[0].row.id).await.unwrap().messages.is_empty());

    // A message of this branch far up (a search hit) keeps the branch and brings it from there.
    let m10 = first.messages[10].row.id.clone();
    let from = chat.switch_branch(&w.owner, id, &m10).await.unwrap();
    assert_eq!(texts(&from.messages), (10..n).map(name).collect::<Vec<_>>());
    assert_eq!(from.earlier.len(), 10);
    // The other version of message 2 is another branch: the whole of it, a page at most.
    let other = first.messages[2].siblings.iter().find(|s| **s != first.messages[2].row.id).unwrap().clone();
    let switched = chat.switch_branch(&w.owner, id, &other).await.unwrap();
    assert_eq!(texts(&switched.messages), ["m0", "m1", "m2b"]);
    assert_eq!(texts(&chat.latest_messages(&w.owner, id).await.unwrap().messages), ["m0", "m1", "m2b"]);

    // Someone else's conversation, or a message of another one, is not found.
    let stranger = w.sitechat.db().create_user("s@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    assert!(matches!(chat.latest_messages(&stranger, id).await, Err(Error::NotFound(_))));
    assert!(matches!(chat.earlier_messages(&w.owner, id, "no-such").await, Err(Error::NotFound("message"))));
}
