//! Messages of a conversation.

use super::{Db, new_id, text};
use crate::{Result, time::now_ms};

pub use crate::domain::MessageStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: String,
    pub conversation_id: String,
    /// The message it follows (None: a first message). Siblings share it: edits and regenerations.
    pub parent_id: Option<String>,
    pub role: String,
    pub content: String,
    pub status: String,
    pub model: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub error: Option<String>,
    /// JSON array of the passages the reply was given (its citations), when knowledge bases were used.
    pub sources: Option<String>,
    /// Comma-separated parameters the reply's provider does not take (they were not sent).
    pub dropped_params: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl MessageRow {
    pub fn status(&self) -> MessageStatus {
        MessageStatus::parse(&self.status)
    }

    /// Who wrote it; the CHECK constraint allows only the three roles (anything else reads as user).
    pub fn role(&self) -> crate::domain::MessageRole {
        crate::domain::MessageRole::parse(&self.role).unwrap_or(crate::domain::MessageRole::User)
    }
}

pub(super) const COLUMNS: &str = "id, conversation_id, parent_id, role, content, status, model, prompt_tokens, completion_tokens, error, sources, dropped_params, created_at, updated_at";

/// `COLUMNS` qualified with the `m.` alias, for queries that join conversations (built once).
static M_COLUMNS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| COLUMNS.split(", ").map(|c| format!("m.{c}")).collect::<Vec<_>>().join(", "));

impl Db {
    pub async fn insert_message(
        &self,
        conversation_id: &str,
        role: crate::domain::MessageRole,
        content: &str,
        status: MessageStatus,
        model: Option<&str>,
    ) -> Result<MessageRow> {
        let now = now_ms();
        let row = sqlx::query_as(&format!(
            "INSERT INTO messages (id, conversation_id, role, content, status, model, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
        ))
        .bind(new_id())
        .bind(conversation_id)
        .bind(role.as_str())
        .bind(text(content))
        .bind(status.as_str())
        .bind(model)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        self.touch_conversation(conversation_id).await?;
        Ok(row)
    }

    /// Messages of a conversation the user owns, oldest first.
    pub async fn list_messages(&self, user_id: &str, conversation_id: &str) -> Result<Vec<MessageRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {} FROM messages m JOIN conversations c ON c.id = m.conversation_id \
             WHERE m.conversation_id = $1 AND c.user_id = $2 ORDER BY m.created_at, m.id",
            &*M_COLUMNS
        ))
        .bind(conversation_id)
        .bind(user_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// A message, if it belongs to a conversation of `user_id` (another user's id reads as missing).
    pub async fn owned_message(&self, user_id: &str, message_id: &str) -> Result<Option<MessageRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {} FROM messages m JOIN conversations c ON c.id = m.conversation_id \
             WHERE m.id = $1 AND c.user_id = $2",
            &*M_COLUMNS
        ))
        .bind(message_id)
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Saves the partial text of a reply that is still streaming.
    pub async fn save_partial(&self, message_id: &str, content: &str) -> Result<()> {
        sqlx::query("UPDATE messages SET content = $1, updated_at = $2 WHERE id = $3 AND status = 'streaming'")
            .bind(text(content))
            .bind(now_ms())
            .bind(message_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Writes a reply's final text and status.
    pub async fn finish_message(
        &self,
        message_id: &str,
        content: &str,
        status: MessageStatus,
        tokens: Option<(u32, u32)>,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET content = $1, status = $2, prompt_tokens = $3, completion_tokens = $4, error = $5, \
             updated_at = $6 WHERE id = $7",
        )
        .bind(text(content))
        .bind(status.as_str())
        .bind(tokens.map(|t| t.0 as i64))
        .bind(tokens.map(|t| t.1 as i64))
        .bind(error)
        .bind(now_ms())
        .bind(message_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Stores the passages a reply is given, before it is generated (so a stopped reply keeps them).
    pub async fn set_message_sources(&self, message_id: &str, sources_json: &str) -> Result<()> {
        sqlx::query("UPDATE messages SET sources = $1 WHERE id = $2")
            .bind(sources_json)
            .bind(message_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Marks replies left `streaming` by a crash as `interrupted`. Run once at start-up.
    pub async fn mark_interrupted(&self) -> Result<u64> {
        Ok(sqlx::query("UPDATE messages SET status = 'interrupted', updated_at = $1 WHERE status = 'streaming'")
            .bind(now_ms())
            .execute(self.pool())
            .await?
            .rows_affected())
    }
}
