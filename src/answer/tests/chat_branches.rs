//! Branches: an edit starts one beside the original, a regeneration adds a sibling reply (also
//! from another model), the model sees only the path of the new reply's branch, and the branch on
//! show is remembered.

use super::*;
use crate::{
    chat::{Chat, Exchange, ThreadMessage},
    storage::MessageStatus,
};

struct Setup {
    chat: Chat,
    provider: Arc<Recording>,
    owner: String,
    w: World,
}

async fn setup() -> Setup {
    let (chat, _, provider, w) = recording_chat().await;
    Setup { chat, provider, owner: w.owner.clone(), w }
}

impl Setup {
    /// Waits for the exchange's reply to end; returns its text.
    async fn finish(&self, e: &Exchange) -> String {
        let id = &e.reply.row.id;
        if let Some(mut live) = self.chat.generations().subscribe(&self.owner, id) {
            live.wait_for(|s| s.status != MessageStatus::Streaming).await.unwrap();
        }
        self.chat.message(&self.owner, id).await.unwrap().content
    }

    /// What the recording model was sent last.
    fn last_sent(&self) -> Vec<String> {
        let sent = self.provider.0.lock().unwrap();
        sent.last().unwrap().messages.iter().map(|m| m.content.clone()).collect()
    }

    async fn shown(&self, conv: &str) -> Vec<ThreadMessage> {
        self.chat.latest_messages(&self.owner, conv).await.unwrap().messages
    }
}

fn texts(thread: &[ThreadMessage]) -> Vec<&str> {
    thread.iter().map(|m| m.row.content.as_str()).collect()
}

#[tokio::test]
async fn edits_and_regenerations_branch_and_the_model_sees_only_the_branch_it_answers_on() {
    let s = setup().await;
    let (chat, me) = (&s.chat, s.owner.as_str());
    let conv = chat.create_conversation(me, None, None).await.unwrap().id;

    let first = chat.send_message(me, &conv, "Q1", None, &[]).await.unwrap();
    assert_eq!(s.finish(&first).await, "ok 1");
    let second = chat.send_message(me, &conv, "Q2", None, &[]).await.unwrap();
    assert_eq!(s.finish(&second).await, "ok 2");
    assert_eq!(s.last_sent(), ["Q1", "ok 1", "Q2"]);

    // Editing Q2: a sibling question with its own reply; the model never sees Q2 or its reply.
    let q2 = second.question.as_ref().unwrap().row.id.clone();
    let edited = chat.edit_message(me, &q2, "Q2b").await.unwrap();
    let q2b = edited.question.clone().unwrap();
    assert_eq!(q2b.siblings, [q2.clone(), q2b.row.id.clone()]);
    assert_eq!(q2b.position(), 1);
    assert_eq!(s.finish(&edited).await, "ok 3");
    assert_eq!(s.last_sent(), ["Q1", "ok 1", "Q2b"]);
    let shown = s.shown(&conv).await;
    assert_eq!(texts(&shown), ["Q1", "ok 1", "Q2b", "ok 3"]);
    assert_eq!((shown[2].siblings.len(), shown[2].position(), shown[1].siblings.len()), (2, 1, 1));

    // Regenerating the first reply: a sibling reply to Q1, asked with Q1 alone.
    let a1 = first.reply.row.id.clone();
    let again = chat.regenerate(me, &a1, None).await.unwrap();
    assert!(again.question.is_none());
    assert_eq!(again.reply.siblings, [a1.clone(), again.reply.row.id.clone()]);
    assert_eq!(s.finish(&again).await, "ok 4");
    assert_eq!(s.last_sent(), ["Q1"]);
    assert_eq!(texts(&s.shown(&conv).await), ["Q1", "ok 4"], "the new reply's branch is on show");

    // Going on from there sends that branch.
    let third = chat.send_message(me, &conv, "Q3", None, &[]).await.unwrap();
    s.finish(&third).await;
    assert_eq!(s.last_sent(), ["Q1", "ok 4", "Q3"]);

    // Switching back to the first reply shows the branch last added to below it (the edit), and
    // the choice is kept for the next load.
    let shown = chat.switch_branch(me, &conv, &a1).await.unwrap().messages;
    assert_eq!(texts(&shown), ["Q1", "ok 1", "Q2b", "ok 3"]);
    assert_eq!(texts(&s.shown(&conv).await), ["Q1", "ok 1", "Q2b", "ok 3"]);
    assert_eq!(texts(&chat.switch_branch(me, &conv, &q2).await.unwrap().messages), ["Q1", "ok 1", "Q2", "ok 2"]);

    // A question after a message that is not the end of any branch shown elsewhere: that path.
    let a2 = second.reply.row.id.clone();
    let fourth = chat.send_message(me, &conv, "Q4", Some(&a2), &[]).await.unwrap();
    s.finish(&fourth).await;
    assert_eq!(s.last_sent(), ["Q1", "ok 1", "Q2", "ok 2", "Q4"]);

    // Another model for a regeneration: the reply says which.
    let other = chat.regenerate(me, &fourth.reply.row.id, Some("m")).await.unwrap();
    assert_eq!(s.finish(&other).await, "ok");
    assert_eq!(other.reply.row.model.as_deref(), Some("m"));
    assert_eq!(other.reply.siblings.len(), 2);
}

#[tokio::test]
async fn branching_refuses_the_wrong_kind_of_message_and_other_peoples() {
    let s = setup().await;
    let (chat, me) = (&s.chat, s.owner.as_str());
    let conv = chat.create_conversation(me, None, None).await.unwrap().id;
    let other_conv = chat.create_conversation(me, None, None).await.unwrap().id;
    let sent = chat.send_message(me, &conv, "Q1", None, &[]).await.unwrap();
    s.finish(&sent).await;
    let (q, a) = (sent.question.unwrap().row.id, sent.reply.row.id);

    let field = |r: Result<Exchange>| match r {
        Err(Error::Invalid(v)) => v.field,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(field(chat.edit_message(me, &a, "x").await), "message_id");
    assert_eq!(field(chat.regenerate(me, &q, None).await), "message_id");
    assert!(matches!(chat.regenerate(me, &a, Some("no-such-model")).await, Err(Error::UnknownModel(_))));
    assert_eq!(field(chat.edit_message(me, &q, "  ").await), "content");

    let stranger = s.w.sitechat.db().create_user("s@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    assert!(matches!(chat.edit_message(&stranger, &q, "x").await, Err(Error::NotFound(_))));
    assert!(matches!(chat.regenerate(&stranger, &a, None).await, Err(Error::NotFound(_))));
    assert!(matches!(chat.switch_branch(&stranger, &conv, &a).await, Err(Error::NotFound(_))));
    // A message of another conversation is not one to switch to or to follow.
    assert!(matches!(chat.switch_branch(me, &other_conv, &a).await, Err(Error::NotFound("message"))));
    assert!(matches!(chat.send_message(me, &other_conv, "x", Some(&a), &[]).await, Err(Error::NotFound("message"))));
    // Nothing was written by the refusals.
    assert_eq!(texts(&s.shown(&conv).await), ["Q1", "ok 1"]);
    assert!(s.shown(&other_conv).await.is_empty());
}
