//! Conversations. Every query is scoped by owner: another user's id behaves as a missing one.

use super::{Db, new_id, text};
use crate::{Result, time::now_ms};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub model: String,
    /// JSON of the conversation's chat settings (`chat::ChatSettings`); None: none set.
    pub settings: Option<String>,
    /// The last message of the branch on show (None, or a message since gone: the newest one).
    pub current_leaf_id: Option<String>,
    /// 1: pinned above the others. 0: not.
    pub pinned: i64,
    /// 1: archived (out of the sidebar's lists but searched). 0: not.
    pub archived: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(super) const COLUMNS: &str =
    "id, user_id, title, model, settings, current_leaf_id, pinned, archived, created_at, updated_at";

/// Which of a user's conversations a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationList {
    /// Neither pinned nor archived: the sidebar's main list.
    Recent,
    Pinned,
    Archived,
}

impl ConversationList {
    fn condition(self) -> &'static str {
        match self {
            Self::Recent => "archived = 0 AND pinned = 0",
            Self::Pinned => "archived = 0 AND pinned = 1",
            Self::Archived => "archived = 1",
        }
    }
}

impl ConversationRow {
    pub fn is_pinned(&self) -> bool {
        self.pinned != 0
    }

    pub fn is_archived(&self) -> bool {
        self.archived != 0
    }
}

impl Db {
    /// `settings`: the chat settings JSON it starts with (the owner's preset), if any.
    pub async fn create_conversation(
        &self,
        user_id: &str,
        title: &str,
        model: &str,
        settings: Option<&str>,
    ) -> Result<ConversationRow> {
        let now = now_ms();
        Ok(sqlx::query_as(&format!(
            "INSERT INTO conversations (id, user_id, title, model, settings, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
        ))
        .bind(new_id())
        .bind(user_id)
        .bind(text(title))
        .bind(model)
        .bind(settings.map(text))
        .bind(now)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn conversation(&self, user_id: &str, id: &str) -> Result<Option<ConversationRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM conversations WHERE id = $1 AND user_id = $2"))
            .bind(id)
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// One of a user's lists, newest first. `before` is the `(updated_at, id)` of the last row of
    /// the previous page.
    pub async fn list_conversations(
        &self,
        user_id: &str,
        list: ConversationList,
        before: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<ConversationRow>> {
        let which = list.condition();
        let rows = match before {
            None => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM conversations WHERE user_id = $1 AND {which} \
                     ORDER BY updated_at DESC, id DESC LIMIT $2"
                ))
                .bind(user_id)
                .bind(limit as i64)
                .fetch_all(self.pool())
                .await?
            }
            Some((ts, id)) => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM conversations WHERE user_id = $1 AND {which} \
                     AND (updated_at < $2 OR (updated_at = $2 AND id < $3)) \
                     ORDER BY updated_at DESC, id DESC LIMIT $4"
                ))
                .bind(user_id)
                .bind(ts)
                .bind(id)
                .bind(limit as i64)
                .fetch_all(self.pool())
                .await?
            }
        };
        Ok(rows)
    }

    pub async fn rename_conversation(&self, user_id: &str, id: &str, title: &str) -> Result<bool> {
        let n = sqlx::query("UPDATE conversations SET title = $1, updated_at = $2 WHERE id = $3 AND user_id = $4")
            .bind(text(title))
            .bind(now_ms())
            .bind(id)
            .bind(user_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// Sets a written title if the conversation still has `expected` (the one its first message
    /// gave it): a rename by its owner meanwhile wins. False: not changed. `updated_at` stays, so
    /// the list keeps its order.
    pub async fn replace_title(&self, user_id: &str, id: &str, expected: &str, title: &str) -> Result<bool> {
        let n = sqlx::query("UPDATE conversations SET title = $1 WHERE id = $2 AND user_id = $3 AND title = $4")
            .bind(text(title))
            .bind(id)
            .bind(user_id)
            .bind(text(expected))
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// Replaces the conversation's chat settings JSON (None: clears them). False: no such
    /// conversation of `user_id`.
    pub async fn set_conversation_settings(&self, user_id: &str, id: &str, settings: Option<&str>) -> Result<bool> {
        let n = sqlx::query("UPDATE conversations SET settings = $1 WHERE id = $2 AND user_id = $3")
            .bind(settings.map(text))
            .bind(id)
            .bind(user_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// Pins or unpins, archives or unarchives (None: unchanged). Archiving unpins. False: no such
    /// conversation of `user_id`.
    pub async fn set_conversation_flags(
        &self,
        user_id: &str,
        id: &str,
        pinned: Option<bool>,
        archived: Option<bool>,
    ) -> Result<bool> {
        let pinned = if archived == Some(true) { Some(false) } else { pinned };
        let n = sqlx::query(
            "UPDATE conversations SET pinned = COALESCE($1, pinned), archived = COALESCE($2, archived) \
             WHERE id = $3 AND user_id = $4",
        )
        .bind(pinned.map(i64::from))
        .bind(archived.map(i64::from))
        .bind(id)
        .bind(user_id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// Shows the branch ending at `leaf_id` (a message of this conversation, checked by the caller).
    /// False: no such conversation of `user_id`.
    pub async fn set_current_leaf(&self, user_id: &str, id: &str, leaf_id: &str) -> Result<bool> {
        let n = sqlx::query("UPDATE conversations SET current_leaf_id = $1 WHERE id = $2 AND user_id = $3")
            .bind(leaf_id)
            .bind(id)
            .bind(user_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// The chat settings JSON new conversations of `user_id` start from, if the user saved one.
    pub async fn chat_preset(&self, user_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT settings FROM chat_presets WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Saves (or replaces) the chat settings JSON new conversations of `user_id` start from.
    pub async fn set_chat_preset(&self, user_id: &str, settings: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_presets (user_id, settings, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(text(settings))
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn touch_conversation(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_conversation(&self, user_id: &str, id: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM conversations WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n > 0)
    }
}
