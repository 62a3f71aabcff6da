//! Export and import: ChatGPT's `conversations.json` comes in with its branches and the branch on
//! show (tool calls, system and hidden messages left out), a Web+ export goes out with every
//! branch and comes back the same, and a file that is neither is refused with what is wrong.

use super::*;
use crate::chat::{Chat, ThreadMessage};

const CHATGPT: &str = include_str!("../../chat/testdata/chatgpt_conversations.json");

async fn chat() -> (Chat, World) {
    let w = world().await;
    let chat = Chat::new(w.sitechat.db().clone(), w.answers.clone(), "m");
    (chat, w)
}

fn texts(thread: &[ThreadMessage]) -> Vec<&str> {
    thread.iter().map(|m| m.row.content.as_str()).collect()
}

/// Every message as (role, content, the content of its parent), sorted: the tree, without ids.
async fn tree_of(chat: &Chat, user: &str, conv: &str) -> Vec<(String, String, Option<String>)> {
    let (_, file) = chat.export_json(user, conv).await.unwrap();
    let by_id: std::collections::HashMap<_, _> =
        file.messages.iter().map(|m| (m.id.clone(), m.content.clone())).collect();
    let mut out: Vec<_> = file
        .messages
        .iter()
        .map(|m| (m.role.clone(), m.content.clone(), m.parent.as_ref().map(|p| by_id[p].clone())))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn chatgpt_history_comes_in_with_its_branches_and_the_branch_that_was_on_show() {
    let (chat, w) = chat().await;
    let report = chat.import(&w.owner, CHATGPT.as_bytes()).await.unwrap();
    assert_eq!(report.skipped_messages, 3, "the system message, the browsing call and its result");
    let [(id, title, count)] = report.conversations.as_slice() else { panic!("{report:?}") };
    assert_eq!((title.as_str(), *count), ("Trip to Lisbon", 6));

    let shown = chat.latest_messages(&w.owner, id).await.unwrap().messages;
    assert_eq!(
        texts(&shown),
        ["Where should I stay in Lisbon?", "Alfama or Baixa.", "And what should I eat?", "Try pastéis de nata."]
    );
    assert_eq!((shown[2].siblings.len(), shown[2].position()), (2, 1), "the edited question is the second version");
    assert_eq!(shown[1].row.model.as_deref(), Some("gpt-4o"));
    assert_eq!(shown[3].row.created_at, 1_700_000_023_000);
    let conv = chat.conversation(&w.owner, id).await.unwrap();
    assert_eq!((conv.updated_at, conv.created_at, conv.model.as_str()), (1_700_000_023_000, 1_700_000_000_500, "m"));

    // The other branch is there, and becomes the one shown when picked.
    let first_version = shown[2].siblings[0].clone();
    let other = chat.switch_branch(&w.owner, id, &first_version).await.unwrap().messages;
    assert_eq!(texts(&other)[2..], ["And eat?", "Time Out Market."]);
}

#[tokio::test]
async fn an_export_holds_every_branch_and_imports_back_the_same() {
    let (chat, w) = chat().await;
    let report = chat.import(&w.owner, CHATGPT.as_bytes()).await.unwrap();
    let original = &report.conversations[0].0;

    let (file_name, file) = chat.export_json(&w.owner, original).await.unwrap();
    assert_eq!(file_name, "trip-to-lisbon.json");
    assert_eq!((file.format.as_str(), file.version, file.messages.len()), ("webplus.conversation", 1, 6));
    let bytes = serde_json::to_vec_pretty(&file).unwrap();
    let again = chat.import(&w.owner, &bytes).await.unwrap();
    let copy = &again.conversations[0].0;
    assert_ne!(copy, original);
    assert_eq!(tree_of(&chat, &w.owner, copy).await, tree_of(&chat, &w.owner, original).await);
    assert_eq!(
        texts(&chat.latest_messages(&w.owner, copy).await.unwrap().messages),
        texts(&chat.latest_messages(&w.owner, original).await.unwrap().messages),
        "the same branch is on show"
    );

    let md = chat.export_markdown(&w.owner, original).await.unwrap();
    assert_eq!(md.file_name, "trip-to-lisbon.md");
    assert!(md.text.starts_with("# Trip to Lisbon\n"), "{}", md.text);
    for part in ["## You\n\nWhere should I stay in Lisbon?", "## Assistant (gpt-4o)\n\nAlfama or Baixa.", "pastéis"] {
        assert!(md.text.contains(part), "{part:?} missing from:\n{}", md.text);
    }
    assert!(!md.text.contains("Time Out Market"), "only the branch on show");

    // Someone else's conversation cannot be exported.
    let stranger = w.sitechat.db().create_user("s@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    assert!(matches!(chat.export_json(&stranger, original).await, Err(Error::NotFound(_))));
    assert!(matches!(chat.export_markdown(&stranger, original).await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn a_file_that_is_not_a_conversation_is_refused_with_what_is_wrong_and_nothing_is_written() {
    let (chat, w) = chat().await;
    let reason = |r: Result<crate::chat::ImportReport>| match r {
        Err(Error::Invalid(v)) if v.field == "file" => v.reason,
        other => panic!("expected a refusal of the file, got {other:?}"),
    };
    assert!(reason(chat.import(&w.owner, b"# Notes\n").await).contains("conversations.json"));
    assert!(reason(chat.import(&w.owner, b"[{\"title\": 1}").await).contains("could not be read as JSON"));
    assert!(reason(chat.import(&w.owner, b"{\"hello\": true}").await).contains("Web+ conversation export"));
    assert!(reason(chat.import(&w.owner, b"[]").await).contains("no conversations"));
    let newer =
        br#"{"format":"webplus.conversation","version":99,"title":"t","model":"m","created_at":1,"messages":[]}"#;
    assert!(reason(chat.import(&w.owner, newer).await).contains("newer Web+"));
    let only_system = br#"{"format":"webplus.conversation","version":1,"title":"t","model":"m","created_at":1,
        "messages":[{"id":"s","role":"system","content":"Be brief.","created_at":1}]}"#;
    assert!(reason(chat.import(&w.owner, only_system).await).contains("nothing to import"));
    assert!(chat.list_conversations(&w.owner, None, 10).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn parent_links_that_loop_or_point_nowhere_still_import_what_can_be_placed() {
    let (chat, w) = chat().await;
    // "x" and "y" follow each other (never reached from a first message); "b" names a parent
    // that is not in the file (a first message); "c" is older than its parent (moved after it).
    let file = br#"{"format":"webplus.conversation","version":1,"title":"Odd","model":"no-such-model","created_at":5,
        "messages":[
          {"id":"a","role":"user","content":"A","created_at":10},
          {"id":"c","parent":"a","role":"assistant","content":"C","created_at":1},
          {"id":"b","parent":"gone","role":"user","content":"B","created_at":20},
          {"id":"x","parent":"y","role":"user","content":"X","created_at":30},
          {"id":"y","parent":"x","role":"assistant","content":"Y","created_at":31}
        ]}"#;
    let report = chat.import(&w.owner, file).await.unwrap();
    assert_eq!((report.conversations[0].2, report.skipped_messages), (3, 2));
    let id = &report.conversations[0].0;
    let conv = chat.conversation(&w.owner, id).await.unwrap();
    assert_eq!(conv.model, "m", "an unknown model is replaced by the default");
    let shown = chat.latest_messages(&w.owner, id).await.unwrap().messages;
    assert_eq!(texts(&shown), ["B"], "no current message named: the last placed one");
    let (_, file) = chat.export_json(&w.owner, id).await.unwrap();
    let c = file.messages.iter().find(|m| m.content == "C").unwrap();
    assert_eq!(c.created_at, 10, "never older than its parent");
}
