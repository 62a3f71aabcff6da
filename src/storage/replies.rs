//! Starting a reply: the user's message (none when a reply is regenerated), the empty reply (with
//! the passages it was given), the conversation's first title and its branch on show, written
//! together.

use super::{Db, messages::COLUMNS, new_id, text};
use crate::{
    Error, Result,
    domain::{MessageRole, MessageStatus},
    storage::MessageRow,
    time::now_ms,
};

/// What [`Db::start_reply`] writes.
#[derive(Debug, Clone, Copy)]
pub struct NewExchange<'a> {
    pub user_id: &'a str,
    pub conversation_id: &'a str,
    /// The message the new one follows (None: a first message), of this conversation.
    pub parent_id: Option<&'a str>,
    /// The user's message; None: a regenerated reply, a sibling under `parent_id` (the question).
    pub content: Option<&'a str>,
    /// The model answering.
    pub model: &'a str,
    /// JSON array of the passages the reply is given, if any.
    pub sources: Option<&'a str>,
    /// A title for the conversation (its first message), if it still has the default one.
    pub title: Option<&'a str>,
    /// Comma-separated parameters the reply's provider does not take (not sent), if any.
    pub dropped_params: Option<&'a str>,
    /// The user's files the question carries (ids, in order): each must be the user's, and not
    /// sent in another conversation.
    pub attachments: &'a [&'a str],
}

impl Db {
    /// Inserts the user's message (if any) and an empty `streaming` reply, and updates the
    /// conversation (its branch on show ends at the reply), in one transaction: a failure leaves
    /// none of it. Both messages get the same timestamp; ids are time-ordered (UUIDv7, monotonic
    /// within the process), so the reply sorts after the question.
    /// `NotFound` when the conversation is not the user's.
    pub async fn start_reply(&self, new: NewExchange<'_>) -> Result<(Option<MessageRow>, MessageRow)> {
        let now = now_ms();
        // In this order: ids sort as the messages were written (the question first).
        let question_id = new.content.map(|_| new_id());
        let reply_id = new_id();
        let mut tx = self.begin_write().await?;
        // Write first (see `replace_chunks`): the ownership check is the UPDATE's WHERE clause.
        let owned = sqlx::query(
            "UPDATE conversations SET title = COALESCE($1, title), current_leaf_id = $2, updated_at = $3 \
             WHERE id = $4 AND user_id = $5",
        )
        .bind(new.title.map(text))
        .bind(&reply_id)
        .bind(now)
        .bind(new.conversation_id)
        .bind(new.user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if owned == 0 {
            return Err(Error::NotFound("conversation"));
        }
        let insert = format!(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, model, sources, \
             dropped_params, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
             RETURNING {COLUMNS}"
        );
        let question: Option<MessageRow> = match (question_id, new.content) {
            (Some(id), Some(content)) => Some(
                sqlx::query_as(&insert)
                    .bind(id)
                    .bind(new.conversation_id)
                    .bind(new.parent_id)
                    .bind(MessageRole::User.as_str())
                    .bind(text(content))
                    .bind(MessageStatus::Complete.as_str())
                    .bind(None::<&str>)
                    .bind(None::<&str>)
                    .bind(None::<&str>)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?,
            ),
            _ => None,
        };
        if let Some(q) = &question {
            super::attachments::link(&mut tx, new.user_id, new.conversation_id, &q.id, new.attachments).await?;
        }
        let reply: MessageRow = sqlx::query_as(&insert)
            .bind(&reply_id)
            .bind(new.conversation_id)
            .bind(question.as_ref().map(|q| q.id.as_str()).or(new.parent_id))
            .bind(MessageRole::Assistant.as_str())
            .bind("")
            .bind(MessageStatus::Streaming.as_str())
            .bind(new.model)
            .bind(new.sources)
            .bind(new.dropped_params)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((question, reply))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::temp_db;

    #[tokio::test]
    async fn a_reply_starts_with_its_question_sources_and_title_or_not_at_all() {
        let (db, _dir) = temp_db().await;
        let owner = db.create_user("a@example.com", "hash", None, crate::storage::UserStatus::Active).await.unwrap();
        let conv = db.create_conversation(&owner.id, "New conversation", "m", None).await.unwrap();
        let new = NewExchange {
            user_id: &owner.id,
            conversation_id: &conv.id,
            parent_id: None,
            content: Some("What does Team cost?"),
            model: "m",
            sources: Some(r#"[{"n":1}]"#),
            title: Some("What does Team cost?"),
            dropped_params: Some("seed"),
            attachments: &[],
        };

        // Someone else's conversation: nothing is written.
        let stranger = NewExchange { user_id: "someone-else", ..new };
        assert!(matches!(db.start_reply(stranger).await, Err(Error::NotFound("conversation"))));
        assert!(db.list_messages(&owner.id, &conv.id).await.unwrap().is_empty());

        let (q, r) = db.start_reply(new).await.unwrap();
        let q = q.unwrap();
        let listed = db.list_messages(&owner.id, &conv.id).await.unwrap();
        assert_eq!(listed.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [q.id.as_str(), r.id.as_str()]);
        assert_eq!(
            (q.role(), q.status(), q.content.as_str()),
            (MessageRole::User, MessageStatus::Complete, new.content.unwrap())
        );
        assert_eq!((q.parent_id.as_deref(), r.parent_id.as_deref()), (None, Some(q.id.as_str())));
        assert_eq!(
            (r.role(), r.status(), r.model.as_deref()),
            (MessageRole::Assistant, MessageStatus::Streaming, Some("m"))
        );
        assert_eq!(r.sources.as_deref(), new.sources);
        assert_eq!((q.dropped_params.as_deref(), r.dropped_params.as_deref()), (None, Some("seed")));
        let conv = db.conversation(&owner.id, &conv.id).await.unwrap().unwrap();
        assert_eq!(conv.title, "What does Team cost?");
        assert_eq!(conv.current_leaf_id.as_deref(), Some(r.id.as_str()), "the new reply's branch is on show");

        // No title given: the conversation keeps its own.
        let (q2, _) = db
            .start_reply(NewExchange { title: None, parent_id: Some(&r.id), content: Some("And Pro?"), ..new })
            .await
            .unwrap();
        assert_eq!(db.conversation(&owner.id, &conv.id).await.unwrap().unwrap().title, "What does Team cost?");
        assert_eq!(q2.unwrap().parent_id.as_deref(), Some(r.id.as_str()));

        // A regenerated reply: no question, a sibling of the first reply, and its branch on show.
        let (none, again) =
            db.start_reply(NewExchange { title: None, parent_id: Some(&q.id), content: None, ..new }).await.unwrap();
        assert!(none.is_none());
        assert_eq!((again.role(), again.parent_id.as_deref()), (MessageRole::Assistant, Some(q.id.as_str())));
        assert_eq!(db.list_messages(&owner.id, &conv.id).await.unwrap().len(), 5);
        let conv = db.conversation(&owner.id, &conv.id).await.unwrap().unwrap();
        assert_eq!(conv.current_leaf_id.as_deref(), Some(again.id.as_str()));
    }
}
