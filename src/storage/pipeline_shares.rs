//! Pipelines shared by their owner with other users, as 'view' or 'run' (migration 0019). The
//! owner-only checks are in `crate::pipelines`; these are the plain queries.

use super::{Db, PipelineRow};
use crate::{Result, time::now_ms};

/// A pipeline shared with a user: the pipeline, what they may do, and whose it is.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SharedPipelineRow {
    #[sqlx(flatten)]
    pub row: PipelineRow,
    /// `view` or `run`.
    pub access: String,
    pub owner_email: String,
}

/// One user a pipeline is shared with.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PipelineShareRow {
    pub user_id: String,
    pub email: String,
    /// `view` or `run`.
    pub access: String,
    pub created_at: i64,
}

const PIPELINE_P: &str = "p.id, p.owner_id, p.name, p.description, p.version, p.model_name, p.created_at, p.updated_at";

impl Db {
    /// Shares a pipeline with a user, or changes what they may do with it.
    pub async fn put_pipeline_share(&self, pipeline_id: &str, user_id: &str, access: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO pipeline_shares (pipeline_id, user_id, access, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (pipeline_id, user_id) DO UPDATE SET access = excluded.access",
        )
        .bind(pipeline_id)
        .bind(user_id)
        .bind(access)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Stops sharing a pipeline with a user; false if it was not shared with them.
    pub async fn delete_pipeline_share(&self, pipeline_id: &str, user_id: &str) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM pipeline_shares WHERE pipeline_id = $1 AND user_id = $2")
            .bind(pipeline_id)
            .bind(user_id)
            .execute(self.pool())
            .await?
            .rows_affected()
            > 0)
    }

    /// What a user may do with a pipeline shared with them (`view` or `run`), if it is.
    pub async fn pipeline_share(&self, pipeline_id: &str, user_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT access FROM pipeline_shares WHERE pipeline_id = $1 AND user_id = $2")
            .bind(pipeline_id)
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The users a pipeline is shared with, by email.
    pub async fn pipeline_shares(&self, pipeline_id: &str) -> Result<Vec<PipelineShareRow>> {
        Ok(sqlx::query_as(
            "SELECT s.user_id, u.email, s.access, s.created_at FROM pipeline_shares s \
             JOIN users u ON u.id = s.user_id WHERE s.pipeline_id = $1 ORDER BY u.email",
        )
        .bind(pipeline_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// The pipelines other users share with `user_id`, the latest changed first.
    pub async fn pipelines_shared_with(&self, user_id: &str) -> Result<Vec<SharedPipelineRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {PIPELINE_P}, s.access, u.email AS owner_email FROM pipeline_shares s \
             JOIN pipelines p ON p.id = s.pipeline_id JOIN users u ON u.id = p.owner_id \
             WHERE s.user_id = $1 ORDER BY p.updated_at DESC, p.id DESC"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?)
    }
}
