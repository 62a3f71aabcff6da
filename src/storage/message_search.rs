//! Full-text search over one user's conversations: titles containing every word, and messages
//! containing every word (the last one also as the start of a longer word, as while typing).
//!
//! SQLite: FTS5 (`messages_fts`, porter stemming, BM25). PostgreSQL: the generated
//! `messages.search` tsvector ('english') with a GIN index, ranked by `ts_rank`.

use super::{Backend, Db};
use crate::Result;

/// A message that matched, with its conversation's title.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageMatch {
    pub message_id: String,
    pub conversation_id: String,
    pub title: String,
    pub role: String,
    pub content: String,
    pub created_at: i64,
}

/// A conversation whose title matched.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TitleMatch {
    pub conversation_id: String,
    pub title: String,
    pub updated_at: i64,
}

impl Db {
    /// Messages of `user_id` containing all of `terms` (words: letters and digits only), best
    /// matches first, then newest.
    pub async fn search_messages(&self, user_id: &str, terms: &[String], limit: u32) -> Result<Vec<MessageMatch>> {
        let Some(terms) = words(terms) else { return Ok(Vec::new()) };
        let query = match self.backend() {
            Backend::Sqlite => sqlx::query_as(
                "SELECT m.id AS message_id, m.conversation_id, c.title, m.role, m.content, m.created_at \
                 FROM messages_fts JOIN message_search s ON s.id = messages_fts.rowid \
                 JOIN messages m ON m.id = s.message_id JOIN conversations c ON c.id = m.conversation_id \
                 WHERE messages_fts MATCH $1 AND c.user_id = $2 \
                 ORDER BY bm25(messages_fts), m.created_at DESC, m.id LIMIT $3",
            )
            .bind(fts5_all(&terms)),
            Backend::Postgres => sqlx::query_as(
                "SELECT m.id AS message_id, m.conversation_id, c.title, m.role, m.content, m.created_at \
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id, to_tsquery('english', $1) q \
                 WHERE m.search @@ q AND c.user_id = $2 \
                 ORDER BY ts_rank(m.search, q) DESC, m.created_at DESC, m.id LIMIT $3",
            )
            .bind(tsquery_all(&terms)),
        };
        Ok(query.bind(user_id).bind(limit as i64).fetch_all(self.pool()).await?)
    }

    /// Conversations of `user_id` whose title contains all of `terms` (any case), newest first.
    pub async fn search_titles(&self, user_id: &str, terms: &[String], limit: u32) -> Result<Vec<TitleMatch>> {
        let Some(terms) = words(terms) else { return Ok(Vec::new()) };
        let mut sql =
            String::from("SELECT id AS conversation_id, title, updated_at FROM conversations WHERE user_id = $1");
        for i in 0..terms.len() {
            sql.push_str(&format!(" AND LOWER(title) LIKE ${}", i + 2));
        }
        sql.push_str(&format!(" ORDER BY updated_at DESC, id DESC LIMIT ${}", terms.len() + 2));
        let mut query = sqlx::query_as(&sql).bind(user_id);
        for t in &terms {
            // Words only (checked above): nothing in them is a LIKE wildcard.
            query = query.bind(format!("%{}%", t.to_lowercase()));
        }
        Ok(query.bind(limit as i64).fetch_all(self.pool()).await?)
    }
}

/// The terms that are words (letters and digits only), or None when none is.
fn words(terms: &[String]) -> Option<Vec<&str>> {
    let words: Vec<&str> =
        terms.iter().map(String::as_str).filter(|t| !t.is_empty() && t.chars().all(char::is_alphanumeric)).collect();
    (!words.is_empty()).then_some(words)
}

/// An FTS5 expression matching all of the words, each quoted so it is never FTS5 syntax; the last
/// also as a prefix.
fn fts5_all(terms: &[&str]) -> String {
    let n = terms.len();
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| if i + 1 == n { format!("\"{t}\"*") } else { format!("\"{t}\"") })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A tsquery matching all of the words, each quoted so it is never tsquery syntax; the last also
/// as a prefix.
fn tsquery_all(terms: &[&str]) -> String {
    let n = terms.len();
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| if i + 1 == n { format!("'{t}':*") } else { format!("'{t}'") })
        .collect::<Vec<_>>()
        .join(" & ")
}
