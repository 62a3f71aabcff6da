//! Attachments: uploads are checked by content, a message carries them into the model's request
//! (text in front of the question, images to vision models only, a note for the others), an edit
//! keeps them, they stay their owner's, and uploads never sent are cleared after a day.

use super::*;
use crate::{
    auth::Principal,
    catalog::ModelInput,
    chat::{Chat, Exchange},
    storage::{MessageStatus, Role as UserRole},
};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

struct Setup {
    chat: Chat,
    catalog: ModelCatalog,
    provider: Arc<Recording>,
    owner: String,
    w: World,
}

async fn setup() -> Setup {
    let (chat, catalog, provider, w) = recording_chat().await;
    Setup { chat, catalog, provider, owner: w.owner.clone(), w }
}

impl Setup {
    async fn finish(&self, e: &Exchange) {
        if let Some(mut live) = self.chat.generations().subscribe(&self.owner, &e.reply.row.id) {
            live.wait_for(|s| s.status != MessageStatus::Streaming).await.unwrap();
        }
    }

    /// The last message the recording model was sent.
    fn last_question(&self) -> ChatMessage {
        let sent = self.provider.0.lock().unwrap();
        sent.last().unwrap().messages.last().unwrap().clone()
    }
}

#[tokio::test]
async fn a_message_carries_its_files_to_the_model_and_an_edit_keeps_them() {
    let s = setup().await;
    let (chat, me) = (&s.chat, s.owner.as_str());
    let conv = chat.create_conversation(me, None, None).await.unwrap().id;
    let bill = chat.attach(me, "bill.txt", Some("text/plain"), b"Total due: 42 EUR".to_vec()).await.unwrap();
    assert_eq!(
        (bill.name.as_str(), bill.size_bytes, bill.preview.as_deref()),
        ("bill.txt", 17, Some("Total due: 42 EUR"))
    );
    let chart = chat.attach(me, "chart.png", None, PNG.to_vec()).await.unwrap();
    assert_eq!((chart.media_type.as_str(), chart.preview.as_deref()), ("image/png", None));

    let sent = chat.send_message(me, &conv, "What is due?", None, &[bill.id.clone(), chart.id.clone()]).await.unwrap();
    s.finish(&sent).await;
    let question = s.last_question();
    assert!(
        question.content.starts_with("<file name=\"bill.txt\">\nTotal due: 42 EUR\n</file>"),
        "{}",
        question.content
    );
    assert!(question.content.ends_with("What is due?"));
    // The model has no catalog entry saying it sees images: a note, no image.
    assert!(question.images.is_empty());
    assert!(
        question.content.contains("attached the image \"chart.png\"") && question.content.contains("cannot see images")
    );
    let names = |m: &crate::chat::ThreadMessage| m.attachments.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(sent.question.as_ref().unwrap()), ["bill.txt", "chart.png"]);
    let shown = chat.latest_messages(me, &conv).await.unwrap().messages;
    assert_eq!(names(&shown[0]), ["bill.txt", "chart.png"], "a reload shows them");
    assert_eq!(s.provider.0.lock().unwrap().last().unwrap().messages.len(), 1, "the files are in the question");

    // With an entry that says it sees images, the image goes as an image.
    let admin = Principal {
        user_id: me.into(),
        email: "owner@example.com".into(),
        role: UserRole::Admin,
        session_id: None,
        api_key_id: None,
    };
    let entry = ModelInput {
        connection_id: Some("local".into()),
        upstream_id: Some("r".into()),
        vision: Some(Some(true)),
        ..Default::default()
    };
    s.catalog.create(&admin, entry).await.unwrap();
    let edited = chat.edit_message(me, &sent.question.as_ref().unwrap().row.id, "What is due now?").await.unwrap();
    s.finish(&edited).await;
    assert_eq!(names(edited.question.as_ref().unwrap()), ["bill.txt", "chart.png"], "an edit keeps the files");
    let question = s.last_question();
    assert_eq!(question.images.len(), 1);
    assert_eq!((question.images[0].media_type.as_str(), &question.images[0].data[..]), ("image/png", PNG));
    assert!(!question.content.contains("cannot see images"), "{}", question.content);
    assert!(question.content.contains("Total due: 42 EUR"));

    // Later questions still have the files in their history.
    let later = chat.send_message(me, &conv, "And in dollars?", None, &[]).await.unwrap();
    s.finish(&later).await;
    let sent = s.provider.0.lock().unwrap().last().unwrap().messages.clone();
    assert!(sent[0].content.contains("Total due: 42 EUR") && sent[0].images.len() == 1);
    assert_eq!(sent.last().unwrap().content, "And in dollars?");
}

#[tokio::test]
async fn files_stay_their_owners_and_are_refused_with_the_reason() {
    let s = setup().await;
    let (chat, me) = (&s.chat, s.owner.as_str());
    let db = s.w.sitechat.db();
    let other = db.create_user("other@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    let mine = chat.attach(me, "notes.md", None, b"# Notes\n\nSecret plan".to_vec()).await.unwrap();
    let conv = chat.create_conversation(me, None, None).await.unwrap().id;
    let theirs = chat.create_conversation(&other, None, None).await.unwrap().id;

    // Another user can neither download nor send it.
    assert!(matches!(chat.attachment_file(&other, &mine.id).await, Err(Error::NotFound("attachment"))));
    let stolen = chat.send_message(&other, &theirs, "Read this", None, std::slice::from_ref(&mine.id)).await;
    assert!(matches!(stolen, Err(Error::NotFound("attachment"))), "{stolen:?}");
    let (row, bytes) = chat.attachment_file(me, &mine.id).await.unwrap();
    assert_eq!(
        (row.media_type.as_str(), bytes.as_slice()),
        ("text/markdown; charset=utf-8", &b"# Notes\n\nSecret plan"[..])
    );

    // Sent in one conversation, it cannot go to another; nothing of the failed send is written.
    let sent = chat.send_message(me, &conv, "Summarise", None, std::slice::from_ref(&mine.id)).await.unwrap();
    s.finish(&sent).await;
    let second = chat.create_conversation(me, None, None).await.unwrap().id;
    let moved = chat.send_message(me, &second, "Again", None, std::slice::from_ref(&mine.id)).await;
    assert!(matches!(moved, Err(Error::NotFound("attachment"))));
    assert!(chat.latest_messages(me, &second).await.unwrap().messages.is_empty(), "the failed send left nothing");
    let twice = chat.send_message(me, &conv, "Twice", None, &[mine.id.clone(), mine.id.clone()]).await;
    assert!(matches!(twice, Err(Error::Invalid(_))));
    let many: Vec<String> = (0..11).map(|i| format!("id-{i}")).collect();
    assert!(matches!(chat.send_message(me, &conv, "Many", None, &many).await, Err(Error::Invalid(_))));

    // Refusals name the file and say what to do.
    let e = chat.attach(me, "report.pdf", Some("application/pdf"), PNG.to_vec()).await.unwrap_err().to_string();
    assert!(e.contains("report.pdf") && e.contains("is an image (image/png)"), "{e}");
    let e = chat.attach(me, "empty.txt", None, Vec::new()).await.unwrap_err().to_string();
    assert!(e.contains("empty.txt") && e.contains("empty"), "{e}");

    // Deleting the conversation deletes its files.
    chat.delete_conversation(me, &conv).await.unwrap();
    assert!(matches!(chat.attachment_file(me, &mine.id).await, Err(Error::NotFound("attachment"))));
}

#[tokio::test]
async fn uploads_never_sent_are_cleared_after_a_day() {
    let s = setup().await;
    let (chat, me) = (&s.chat, s.owner.as_str());
    let db = s.w.sitechat.db();
    let old = chat.attach(me, "old.txt", None, b"old".to_vec()).await.unwrap();
    let day = 24 * 60 * 60 * 1000;
    // Not yet a day old: kept.
    assert_eq!(db.delete_unsent_attachments(me, old.created_at).await.unwrap(), 0);
    assert_eq!(db.delete_unsent_attachments(me, old.created_at + day).await.unwrap(), 1);
    assert!(chat.attachment_file(me, &old.id).await.is_err());
    // A sent one is kept whatever its age.
    let conv = chat.create_conversation(me, None, None).await.unwrap().id;
    let kept = chat.attach(me, "kept.txt", None, b"kept".to_vec()).await.unwrap();
    let sent = chat.send_message(me, &conv, "Hi", None, std::slice::from_ref(&kept.id)).await.unwrap();
    s.finish(&sent).await;
    assert_eq!(db.delete_unsent_attachments(me, kept.created_at + day).await.unwrap(), 0);
    assert!(chat.attachment_file(me, &kept.id).await.is_ok());
}
