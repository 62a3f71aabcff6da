//! Keyword search over chunks: any of the query's words, best matches first.
//!
//! SQLite: FTS5 (`chunks_fts`, porter stemming, BM25). PostgreSQL: the generated `chunks.search`
//! tsvector ('english': stemming and stop words) with a GIN index, ranked by `ts_rank`. The two
//! scores differ in scale (only the order is used: the results are fused by rank); the tests check
//! both databases put the same handbook chunk first for each of the handbook's questions.

use super::{Backend, Db};
use crate::Result;

impl Db {
    /// Chunks of one knowledge base containing any of `terms` (words: letters and digits only,
    /// see `sitechat::keyword_query`): (chunk id, score), best first; higher is better.
    pub async fn keyword_search(&self, kb_id: &str, terms: &[String], limit: u32) -> Result<Vec<(i64, f64)>> {
        let terms: Vec<&str> = terms
            .iter()
            .map(String::as_str)
            .filter(|t| !t.is_empty() && t.chars().all(char::is_alphanumeric))
            .collect();
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let query = match self.backend() {
            // bm25() is lower for better matches. Ties go to the older chunk on both databases.
            Backend::Sqlite => sqlx::query_as(
                "SELECT c.id, -bm25(chunks_fts) AS score FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid \
                 WHERE chunks_fts MATCH $1 AND c.kb_id = $2 ORDER BY bm25(chunks_fts), c.id LIMIT $3",
            )
            .bind(fts5_any(&terms)),
            // ts_rank of an OR query grows with each distinct word matched far more than with
            // repeats of one word, which is what BM25's IDF mostly does on short chunks. (ts_rank_cd
            // and length normalisation put "How to reach the support team." above "Support is
            // available …" for "What hours is support available?".) Cast: REAL, read as f64.
            Backend::Postgres => sqlx::query_as(
                "SELECT c.id, CAST(ts_rank(c.search, q) AS DOUBLE PRECISION) AS score \
                 FROM chunks c, to_tsquery('english', $1) q \
                 WHERE c.search @@ q AND c.kb_id = $2 ORDER BY score DESC, c.id LIMIT $3",
            )
            .bind(tsquery_any(&terms)),
        };
        Ok(query.bind(kb_id).bind(limit as i64).fetch_all(self.pool()).await?)
    }
}

/// An FTS5 expression matching any of the words, each quoted so it is never FTS5 syntax.
fn fts5_any(terms: &[&str]) -> String {
    terms.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(" OR ")
}

/// A tsquery matching any of the words, each quoted so it is never tsquery syntax.
fn tsquery_any(terms: &[&str]) -> String {
    terms.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(" | ")
}

#[cfg(test)]
mod tests;
