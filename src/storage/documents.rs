//! Documents of a knowledge base (uploaded files and crawled pages). Callers check access to the
//! knowledge base first; every query here is scoped by its id.

use super::{Db, new_id, text};
use crate::{Result, time::now_ms};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: String,
    pub kb_id: String,
    pub source: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub kind: String,
    pub title: String,
    pub content_hash: String,
    pub bytes: i64,
    pub seen_by_job: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a new document is; its chunks are stored separately.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub kb_id: &'a str,
    pub source: &'a str,
    pub url: Option<&'a str>,
    pub file_name: Option<&'a str>,
    pub kind: &'a str,
    pub title: &'a str,
    pub content_hash: &'a str,
    pub bytes: usize,
    pub job_id: Option<&'a str>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentSummary {
    #[sqlx(flatten)]
    pub doc: DocumentRow,
    pub chunks: i64,
}

const COLUMNS: &str =
    "id, kb_id, source, url, file_name, kind, title, content_hash, bytes, seen_by_job, created_at, updated_at";

impl Db {
    pub async fn insert_document(&self, d: &NewDocument<'_>) -> Result<DocumentRow> {
        let now = now_ms();
        Ok(sqlx::query_as(&format!(
            "INSERT INTO documents (id, kb_id, source, url, file_name, kind, title, content_hash, bytes, seen_by_job, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING {COLUMNS}"
        ))
        .bind(new_id())
        .bind(d.kb_id)
        .bind(d.source)
        .bind(d.url)
        .bind(d.file_name)
        .bind(d.kind)
        .bind(text(d.title))
        .bind(d.content_hash)
        .bind(d.bytes as i64)
        .bind(d.job_id)
        .bind(now)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn document(&self, kb_id: &str, id: &str) -> Result<Option<DocumentRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM documents WHERE id = $1 AND kb_id = $2"))
            .bind(id)
            .bind(kb_id)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn document_by_url(&self, kb_id: &str, url: &str) -> Result<Option<DocumentRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM documents WHERE kb_id = $1 AND url = $2"))
            .bind(kb_id)
            .bind(url)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn list_documents(&self, kb_id: &str) -> Result<Vec<DocumentSummary>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS}, (SELECT COUNT(*) FROM chunks c WHERE c.document_id = documents.id) AS chunks \
             FROM documents WHERE kb_id = $1 ORDER BY created_at, id"
        ))
        .bind(kb_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Records that a crawl saw a page again (unchanged pages are not rewritten).
    pub async fn mark_document_seen(&self, id: &str, job_id: &str) -> Result<()> {
        sqlx::query("UPDATE documents SET seen_by_job = $1 WHERE id = $2")
            .bind(job_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Crawled pages (of any site) the job did not see; the caller decides which of them are gone.
    pub async fn unseen_web_documents(&self, kb_id: &str, job_id: &str) -> Result<Vec<DocumentRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM documents WHERE kb_id = $1 AND source = 'web' \
             AND (seen_by_job IS NULL OR seen_by_job <> $2)"
        ))
        .bind(kb_id)
        .bind(job_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Deletes a document with its chunks; returns the chunk ids removed (for the vector index).
    pub async fn delete_document(&self, kb_id: &str, id: &str) -> Result<Option<Vec<i64>>> {
        let mut tx = self.begin_write().await?;
        // Write first (see `replace_chunks`): the chunk rows go, returning their ids.
        let ids: Vec<i64> = sqlx::query_scalar("DELETE FROM chunks WHERE document_id = $1 AND kb_id = $2 RETURNING id")
            .bind(id)
            .bind(kb_id)
            .fetch_all(&mut *tx)
            .await?;
        let n = sqlx::query("DELETE FROM documents WHERE id = $1 AND kb_id = $2")
            .bind(id)
            .bind(kb_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok((n > 0).then_some(ids))
    }

    /// Updates what a changed page or file now says (its chunks are replaced separately).
    pub async fn update_document(
        &self,
        id: &str,
        title: &str,
        content_hash: &str,
        bytes: usize,
        job: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE documents SET title = $1, content_hash = $2, bytes = $3, seen_by_job = $4, updated_at = $5 \
             WHERE id = $6",
        )
        .bind(text(title))
        .bind(content_hash)
        .bind(bytes as i64)
        .bind(job)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
