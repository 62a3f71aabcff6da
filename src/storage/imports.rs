//! Writing imported conversations: each with its messages (parents first) and its branch on show,
//! all of a file in one transaction.

use super::{Db, conversations::COLUMNS as CONVERSATION_COLUMNS, new_id, text};
use crate::{
    Result,
    domain::{MessageRole, MessageStatus},
    storage::ConversationRow,
};

/// A message to write; `parent` is the index of an earlier message of the same conversation.
#[derive(Debug, Clone, Copy)]
pub struct ImportedMessage<'a> {
    pub parent: Option<usize>,
    pub role: MessageRole,
    pub content: &'a str,
    pub model: Option<&'a str>,
    pub status: MessageStatus,
    /// JSON array of the passages a reply cites.
    pub sources: Option<&'a str>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct ImportedConversation<'a> {
    pub title: &'a str,
    pub model: &'a str,
    pub settings: Option<&'a str>,
    pub created_at: i64,
    /// Each after its parent.
    pub messages: Vec<ImportedMessage<'a>>,
    /// The index of the message ending the branch on show.
    pub current: Option<usize>,
    pub archived: bool,
}

impl Db {
    /// Writes the conversations for `user_id`, all or none. A conversation's `updated_at` is its
    /// newest message's time, so imported history sorts among the rest by when it happened.
    pub async fn import_conversations(
        &self,
        user_id: &str,
        conversations: &[ImportedConversation<'_>],
    ) -> Result<Vec<ConversationRow>> {
        let mut tx = self.begin_write().await?;
        let mut rows = Vec::with_capacity(conversations.len());
        for c in conversations {
            let ids: Vec<String> = c.messages.iter().map(|_| new_id()).collect();
            let updated_at = c.messages.iter().map(|m| m.created_at).max().unwrap_or(c.created_at).max(c.created_at);
            let row: ConversationRow = sqlx::query_as(&format!(
                "INSERT INTO conversations (id, user_id, title, model, settings, current_leaf_id, archived, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {CONVERSATION_COLUMNS}"
            ))
            .bind(new_id())
            .bind(user_id)
            .bind(text(c.title))
            .bind(c.model)
            .bind(c.settings.map(text))
            .bind(c.current.and_then(|i| ids.get(i)))
            .bind(i64::from(c.archived))
            .bind(c.created_at)
            .bind(updated_at)
            .fetch_one(&mut *tx)
            .await?;
            for (m, id) in c.messages.iter().zip(&ids) {
                sqlx::query(
                    "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, model, sources, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                )
                .bind(id)
                .bind(&row.id)
                .bind(m.parent.and_then(|p| ids.get(p)))
                .bind(m.role.as_str())
                .bind(text(m.content))
                .bind(m.status.as_str())
                .bind(m.model)
                .bind(m.sources)
                .bind(m.created_at)
                .execute(&mut *tx)
                .await?;
            }
            rows.push(row);
        }
        tx.commit().await?;
        Ok(rows)
    }
}
