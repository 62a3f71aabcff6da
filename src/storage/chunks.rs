//! Chunks: the retrieval units and their embeddings (the source of truth for the vector index).
//! Their keyword search is in `keyword.rs`.

use super::{Db, text};
use crate::Result;

/// A chunk to store, with its embedding.
#[derive(Debug, Clone)]
pub struct NewChunk {
    pub ord: usize,
    pub heading_path: String,
    pub text: String,
    pub embedding: Vec<f32>,
}

/// A chunk with the document it cites.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChunkHit {
    pub id: i64,
    pub kb_id: String,
    pub document_id: String,
    pub heading_path: String,
    pub text: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub title: String,
}

/// What the vector index of a knowledge base must reflect (see `index::Fingerprint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkFingerprint {
    pub count: u64,
    pub max_id: u64,
    pub checksum: u64,
    /// Not part of the fingerprint: where the ids start, so a rebuild can split their range.
    pub min_id: u64,
}

pub fn encode_vector(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn decode_vector(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

impl Db {
    /// Replaces a document's chunks in one transaction. Returns the removed ids and the new ids
    /// (in the order given), so the caller can update the vector index.
    pub async fn replace_chunks(
        &self,
        kb_id: &str,
        document_id: &str,
        chunks: &[NewChunk],
    ) -> Result<(Vec<i64>, Vec<i64>)> {
        let mut tx = self.begin_write().await?;
        // A write transaction (`begin_write`: SQLite's BEGIN IMMEDIATE), and writing first as well:
        // a transaction that reads and then writes cannot wait for another writer under SQLite's
        // WAL (it fails at once with "database is locked" if one committed in between).
        let removed: Vec<i64> = sqlx::query_scalar("DELETE FROM chunks WHERE document_id = $1 RETURNING id")
            .bind(document_id)
            .fetch_all(&mut *tx)
            .await?;
        let mut added = Vec::with_capacity(chunks.len());
        for c in chunks {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO chunks (document_id, kb_id, ord, heading_path, text, embedding) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(document_id)
            .bind(kb_id)
            .bind(c.ord as i64)
            .bind(text(&c.heading_path))
            .bind(text(&c.text))
            .bind(encode_vector(&c.embedding))
            .fetch_one(&mut *tx)
            .await?;
            added.push(id);
        }
        tx.commit().await?;
        Ok((removed, added))
    }

    /// One page of a knowledge base's chunks (id and embedding) with ids in `after_id + 1 ..= up_to`,
    /// in id order, for index rebuilds.
    pub async fn chunk_vectors(
        &self,
        kb_id: &str,
        after_id: i64,
        up_to: i64,
        limit: u32,
    ) -> Result<Vec<(i64, Vec<f32>)>> {
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT id, embedding FROM chunks WHERE kb_id = $1 AND id > $2 AND id <= $3 ORDER BY id LIMIT $4",
        )
        .bind(kb_id)
        .bind(after_id)
        .bind(up_to)
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(id, b)| (id, decode_vector(&b))).collect())
    }

    /// (id, document title, heading path, text) of a knowledge base's chunks after `after_id`
    /// (for re-embedding).
    pub async fn chunk_texts(
        &self,
        kb_id: &str,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<(i64, String, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT c.id, d.title, c.heading_path, c.text FROM chunks c JOIN documents d ON d.id = c.document_id \
             WHERE c.kb_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
        )
        .bind(kb_id)
        .bind(after_id)
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?)
    }

    /// Rewrites the embeddings of these chunks in one transaction (one commit per page of a
    /// re-embedding job, not one per chunk).
    pub async fn set_chunk_embeddings(&self, items: &[(u64, Vec<f32>)]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (id, embedding) in items {
            sqlx::query("UPDATE chunks SET embedding = $1 WHERE id = $2")
                .bind(encode_vector(embedding))
                .bind(*id as i64)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn chunk_fingerprint(&self, kb_id: &str) -> Result<ChunkFingerprint> {
        // PostgreSQL sums BIGINTs as NUMERIC, which does not decode as i64: cast the sum back.
        let (count, min_id, max_id, sum): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(MIN(id), 0), COALESCE(MAX(id), 0), CAST(COALESCE(SUM(id), 0) AS BIGINT) \
             FROM chunks WHERE kb_id = $1",
        )
        .bind(kb_id)
        .fetch_one(self.pool())
        .await?;
        Ok(ChunkFingerprint { count: count as u64, max_id: max_id as u64, checksum: sum as u64, min_id: min_id as u64 })
    }

    /// The chunks with these ids that belong to `kb_id`, with their documents (any order).
    pub async fn chunk_hits(&self, kb_id: &str, ids: &[i64]) -> Result<Vec<ChunkHit>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // `c.id IN ($2, $3, …)`: one parameter per id, numbered and bound in the same order below
        // (the Any driver has no array parameters).
        let ids_in: Vec<String> = (2..ids.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT c.id, c.kb_id, c.document_id, c.heading_path, c.text, d.url, d.file_name, d.title \
             FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.kb_id = $1 AND c.id IN ({})",
            ids_in.join(", ")
        );
        let mut q = sqlx::query_as(&sql).bind(kb_id);
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }
}
