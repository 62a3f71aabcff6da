//! API keys (stored hashed).

use super::{Db, new_id};
use crate::{Result, time::now_ms};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// An API key joined with its owner, for authentication.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyAuth {
    pub key_id: String,
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub disabled: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, name, prefix, created_at, last_used_at, revoked_at";

impl Db {
    pub async fn create_api_key(&self, user_id: &str, name: &str, prefix: &str, key_hash: &str) -> Result<ApiKeyRow> {
        Ok(sqlx::query_as(&format!(
            "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING {COLUMNS}"
        ))
        .bind(new_id())
        .bind(user_id)
        .bind(name)
        .bind(prefix)
        .bind(key_hash)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn list_api_keys(&self, user_id: &str) -> Result<Vec<ApiKeyRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Revokes one of the user's keys; false if the user has no such (unrevoked) key.
    pub async fn revoke_api_key(&self, user_id: &str, key_id: &str) -> Result<bool> {
        let n =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(key_id)
                .bind(user_id)
                .execute(self.pool())
                .await?
                .rows_affected();
        Ok(n > 0)
    }

    pub async fn api_key_auth(&self, key_hash: &str) -> Result<Option<ApiKeyAuth>> {
        Ok(sqlx::query_as(
            "SELECT k.id AS key_id, u.id AS user_id, u.email, u.role, u.disabled, k.revoked_at, k.last_used_at \
             FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1",
        )
        .bind(key_hash)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn touch_api_key(&self, key_id: &str) -> Result<()> {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(key_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
