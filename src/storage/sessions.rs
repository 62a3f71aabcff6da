//! Sessions (login families) and their rotating refresh tokens.

use super::Db;
use crate::{Result, time::now_ms};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshTokenRow {
    pub token_hash: String,
    pub session_id: String,
    pub used_at: Option<i64>,
}

/// What an access check needs in one query: the session, its user's state and role.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionAuth {
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub disabled: i64,
    pub revoked_at: Option<i64>,
    pub expires_at: i64,
}

impl Db {
    /// Starts a session with its first refresh token.
    pub async fn create_session(
        &self,
        id: &str,
        user_id: &str,
        expires_at: i64,
        token_hash: &str,
        user_agent: Option<&str>,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, expires_at, user_agent) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .bind(user_agent)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn session_auth(&self, session_id: &str) -> Result<Option<SessionAuth>> {
        Ok(sqlx::query_as(
            "SELECT u.id AS user_id, u.email, u.role, u.disabled, s.revoked_at, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
        )
        .bind(session_id)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn refresh_token(&self, token_hash: &str) -> Result<Option<RefreshTokenRow>> {
        Ok(sqlx::query_as("SELECT token_hash, session_id, used_at FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Marks `old_hash` used and adds `new_hash` to the same session, atomically. Returns false when
    /// the old token had already been used (a concurrent refresh or a replay won the race).
    pub async fn rotate_refresh_token(&self, old_hash: &str, new_hash: &str, session_id: &str) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let marked = sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(now)
            .bind(old_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if marked == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)")
            .bind(new_hash)
            .bind(session_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn revoke_session(&self, session_id: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(session_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Revokes every session of a user except `keep` (after a password change).
    pub async fn revoke_other_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3")
            .bind(now_ms())
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
