//! Ingestion jobs and their progress. Readable by the owner of the knowledge base they fill.

use super::{Db, new_id};
use crate::{Result, time::now_ms};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub kb_id: String,
    pub owner_id: String,
    pub kind: String,
    pub status: String,
    pub params: String,
    pub done: i64,
    pub total: i64,
    pub chunks: i64,
    pub errors: String,
    pub message: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// Progress written while a job runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobProgress {
    pub done: i64,
    pub total: i64,
    pub chunks: i64,
    /// JSON array of {"url", "error"}.
    pub errors: String,
}

const COLUMNS: &str = "id, kb_id, owner_id, kind, status, params, done, total, chunks, errors, message, created_at, started_at, finished_at";

impl Db {
    pub async fn insert_job(
        &self,
        kb_id: &str,
        owner_id: &str,
        kind: &str,
        params: &str,
        total: i64,
    ) -> Result<JobRow> {
        Ok(sqlx::query_as(&format!(
            "INSERT INTO jobs (id, kb_id, owner_id, kind, status, params, total, created_at) \
             VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(new_id())
        .bind(kb_id)
        .bind(owner_id)
        .bind(kind)
        .bind(params)
        .bind(total)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn owned_job(&self, owner_id: &str, id: &str) -> Result<Option<JobRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1 AND owner_id = $2"))
            .bind(id)
            .bind(owner_id)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn job(&self, id: &str) -> Result<Option<JobRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The newest jobs of a knowledge base.
    pub async fn list_jobs(&self, kb_id: &str, limit: u32) -> Result<Vec<JobRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM jobs WHERE kb_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(kb_id)
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn start_job(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE jobs SET status = 'running', started_at = $1 WHERE id = $2 AND status = 'queued'")
            .bind(now_ms())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn save_job_progress(&self, id: &str, p: &JobProgress) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET done = $1, total = $2, chunks = $3, errors = $4 WHERE id = $5 AND status = 'running'",
        )
        .bind(p.done)
        .bind(p.total)
        .bind(p.chunks)
        .bind(&p.errors)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Ends a job (done, failed or cancelled) with its last progress and a user-facing message.
    pub async fn finish_job(&self, id: &str, status: &str, p: &JobProgress, message: Option<&str>) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET status = $1, done = $2, total = $3, chunks = $4, errors = $5, message = $6, \
             finished_at = $7 WHERE id = $8",
        )
        .bind(status)
        .bind(p.done)
        .bind(p.total)
        .bind(p.chunks)
        .bind(&p.errors)
        .bind(message)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// At start-up: jobs a crash or restart left behind can no longer progress.
    pub async fn fail_unfinished_jobs(&self) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE jobs SET status = 'failed', message = 'the server restarted during this job; start it again', \
             finished_at = $1 WHERE status IN ('queued', 'running')",
        )
        .bind(now_ms())
        .execute(self.pool())
        .await?
        .rows_affected())
    }
}
