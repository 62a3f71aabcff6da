//! Pipelines, their versions, their runs and each node's execution in a run (migration 0017).
//! Every read by id that a user makes is scoped by owner in `crate::pipelines`, which checks the
//! pipeline first; these are the plain queries.

use super::{Db, new_id};
use crate::{Result, time::now_ms};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PipelineRow {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    pub description: String,
    /// The latest version (what a run without a version uses).
    pub version: i64,
    /// Published as the model `pipeline:<model_name>` (the latest version's `publish_as`).
    pub model_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RunRow {
    pub id: String,
    pub pipeline_id: String,
    pub version: i64,
    pub user_id: String,
    pub status: String,
    /// JSON object: the run's inputs by field.
    pub inputs: String,
    /// JSON object: the Output nodes' results by name, once the run succeeded.
    pub outputs: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, sqlx::FromRow)]
pub struct NodeRunRow {
    pub run_id: String,
    pub node_id: String,
    pub status: String,
    pub attempts: i64,
    pub inputs: Option<String>,
    pub outputs: Option<String>,
    pub error: Option<String>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_nano_usd: Option<i64>,
}

const PIPELINE: &str = "id, owner_id, name, description, version, model_name, created_at, updated_at";
const RUN: &str = "id, pipeline_id, version, user_id, status, inputs, outputs, error, created_at, finished_at";
const NODE_RUN: &str = "run_id, node_id, status, attempts, inputs, outputs, error, started_at, finished_at, \
                        input_tokens, output_tokens, cost_nano_usd";

impl Db {
    /// A new pipeline with its first version.
    pub async fn insert_pipeline(
        &self,
        owner_id: &str,
        name: &str,
        description: &str,
        model_name: Option<&str>,
        definition: &str,
    ) -> Result<PipelineRow> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let row: PipelineRow = sqlx::query_as(&format!(
            "INSERT INTO pipelines (id, owner_id, name, description, version, model_name, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 1, $6, $5, $5) RETURNING {PIPELINE}"
        ))
        .bind(new_id())
        .bind(owner_id)
        .bind(name)
        .bind(description)
        .bind(now)
        .bind(model_name)
        .fetch_one(&mut *tx)
        .await?;
        insert_version(&mut tx, &row.id, 1, definition, now).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Saves a new version of an owner's pipeline; `None` if the owner has no such pipeline.
    pub async fn save_pipeline_version(
        &self,
        id: &str,
        owner_id: &str,
        name: &str,
        description: &str,
        model_name: Option<&str>,
        definition: &str,
    ) -> Result<Option<PipelineRow>> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let row: Option<PipelineRow> = sqlx::query_as(&format!(
            "UPDATE pipelines SET version = version + 1, name = $3, description = $4, updated_at = $5, \
             model_name = $6 WHERE id = $1 AND owner_id = $2 RETURNING {PIPELINE}"
        ))
        .bind(id)
        .bind(owner_id)
        .bind(name)
        .bind(description)
        .bind(now)
        .bind(model_name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        insert_version(&mut tx, id, row.version, definition, now).await?;
        tx.commit().await?;
        Ok(Some(row))
    }

    pub async fn pipeline(&self, id: &str) -> Result<Option<PipelineRow>> {
        Ok(sqlx::query_as(&format!("SELECT {PIPELINE} FROM pipelines WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// An owner's pipelines, the latest changed first.
    pub async fn list_pipelines(&self, owner_id: &str) -> Result<Vec<PipelineRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {PIPELINE} FROM pipelines WHERE owner_id = $1 ORDER BY updated_at DESC, id DESC"
        ))
        .bind(owner_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// The owner's pipeline published as the model `pipeline:<model_name>`.
    pub async fn pipeline_by_model(&self, owner_id: &str, model_name: &str) -> Result<Option<PipelineRow>> {
        Ok(sqlx::query_as(&format!("SELECT {PIPELINE} FROM pipelines WHERE owner_id = $1 AND model_name = $2"))
            .bind(owner_id)
            .bind(model_name)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The owner's pipelines published as models, by model name.
    pub async fn published_pipelines(&self, owner_id: &str) -> Result<Vec<PipelineRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {PIPELINE} FROM pipelines WHERE owner_id = $1 AND model_name IS NOT NULL ORDER BY model_name"
        ))
        .bind(owner_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Deletes an owner's pipeline with its versions and runs; false if there was none.
    pub async fn delete_pipeline(&self, id: &str, owner_id: &str) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM pipelines WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner_id)
            .execute(self.pool())
            .await?
            .rows_affected()
            > 0)
    }

    /// A version's definition (JSON).
    pub async fn pipeline_version(&self, id: &str, version: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT definition FROM pipeline_versions WHERE pipeline_id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn insert_run(&self, pipeline_id: &str, version: i64, user_id: &str, inputs: &str) -> Result<RunRow> {
        Ok(sqlx::query_as(&format!(
            "INSERT INTO pipeline_runs (id, pipeline_id, version, user_id, status, inputs, created_at) \
             VALUES ($1, $2, $3, $4, 'running', $5, $6) RETURNING {RUN}"
        ))
        .bind(new_id())
        .bind(pipeline_id)
        .bind(version)
        .bind(user_id)
        .bind(inputs)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?)
    }

    /// Ends a running run; a run that already ended keeps its end.
    pub async fn finish_run(&self, id: &str, status: &str, outputs: Option<&str>, error: Option<&str>) -> Result<()> {
        sqlx::query(
            "UPDATE pipeline_runs SET status = $2, outputs = $3, error = $4, finished_at = $5 \
             WHERE id = $1 AND status = 'running'",
        )
        .bind(id)
        .bind(status)
        .bind(outputs)
        .bind(error)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn run(&self, id: &str) -> Result<Option<RunRow>> {
        Ok(sqlx::query_as(&format!("SELECT {RUN} FROM pipeline_runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The runs of a pipeline a user started, newest first (at most `limit`).
    pub async fn list_runs(&self, pipeline_id: &str, user_id: &str, limit: i64) -> Result<Vec<RunRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {RUN} FROM pipeline_runs WHERE pipeline_id = $1 AND user_id = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(pipeline_id)
        .bind(user_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Writes a node's execution as it stands (inserted at its start, replaced as it changes).
    pub async fn put_node_run(&self, n: &NodeRunRow) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO pipeline_node_runs ({NODE_RUN}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, \
             inputs = excluded.inputs, outputs = excluded.outputs, error = excluded.error, \
             started_at = excluded.started_at, finished_at = excluded.finished_at, \
             input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, \
             cost_nano_usd = excluded.cost_nano_usd"
        ))
        .bind(&n.run_id)
        .bind(&n.node_id)
        .bind(&n.status)
        .bind(n.attempts)
        .bind(&n.inputs)
        .bind(&n.outputs)
        .bind(&n.error)
        .bind(n.started_at)
        .bind(n.finished_at)
        .bind(n.input_tokens)
        .bind(n.output_tokens)
        .bind(n.cost_nano_usd)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A run's node executions, in the order they started.
    pub async fn node_runs(&self, run_id: &str) -> Result<Vec<NodeRunRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {NODE_RUN} FROM pipeline_node_runs WHERE run_id = $1 ORDER BY started_at, node_id"
        ))
        .bind(run_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Runs a user has going (for the per-user limit).
    pub async fn running_runs(&self, user_id: &str) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM pipeline_runs WHERE user_id = $1 AND status = 'running'")
            .bind(user_id)
            .fetch_one(self.pool())
            .await?)
    }

    /// At start-up: runs (and their nodes) left running by the last process are interrupted.
    pub async fn mark_runs_interrupted(&self) -> Result<u64> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE pipeline_node_runs SET status = 'interrupted', finished_at = $1 WHERE status = 'running' \
             AND run_id IN (SELECT id FROM pipeline_runs WHERE status = 'running')",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query(
            "UPDATE pipeline_runs SET status = 'interrupted', finished_at = $1, \
             error = 'the server stopped during this run; start it again' WHERE status = 'running'",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}

async fn insert_version(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    version: i64,
    definition: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO pipeline_versions (pipeline_id, version, definition, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(version)
        .bind(definition)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
