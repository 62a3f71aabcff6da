//! Conversations. Every query is scoped by owner: another user's id behaves as a missing one.

use super::{Db, new_id, text};
use crate::{Result, time::now_ms};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub model: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, user_id, title, model, created_at, updated_at";

impl Db {
    pub async fn create_conversation(&self, user_id: &str, title: &str, model: &str) -> Result<ConversationRow> {
        let now = now_ms();
        Ok(sqlx::query_as(&format!(
            "INSERT INTO conversations (id, user_id, title, model, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {COLUMNS}"
        ))
        .bind(new_id())
        .bind(user_id)
        .bind(text(title))
        .bind(model)
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

    /// Newest first. `before` is the `(updated_at, id)` of the last row of the previous page.
    pub async fn list_conversations(
        &self,
        user_id: &str,
        before: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<ConversationRow>> {
        let rows =
            match before {
                None => sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM conversations WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2"
                ))
                .bind(user_id)
                .bind(limit as i64)
                .fetch_all(self.pool())
                .await?,
                Some((ts, id)) => {
                    sqlx::query_as(&format!(
                        "SELECT {COLUMNS} FROM conversations WHERE user_id = $1 \
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
