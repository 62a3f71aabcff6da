//! Knowledge bases, their read-only shares and the ones attached to conversations.
//!
//! Reads are scoped by reader (owner or share), writes by owner: another user's id behaves as a
//! missing one.

use super::{Db, new_id};
use crate::{Result, time::now_ms};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KnowledgeBaseRow {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    pub embedding_model: String,
    pub embedding_dims: i64,
    pub public_id: Option<String>,
    pub allowed_origins: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl KnowledgeBaseRow {
    pub fn allowed_origins(&self) -> Vec<String> {
        self.allowed_origins.lines().map(str::to_owned).filter(|o| !o.is_empty()).collect()
    }
}

/// A knowledge base with what lists show about it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KnowledgeBaseSummary {
    #[sqlx(flatten)]
    pub kb: KnowledgeBaseRow,
    pub documents: i64,
    pub chunks: i64,
}

const COLUMNS: &str = "k.id, k.owner_id, k.name, k.embedding_model, k.embedding_dims, k.public_id, k.allowed_origins, k.created_at, k.updated_at";
const PLAIN_COLUMNS: &str =
    "id, owner_id, name, embedding_model, embedding_dims, public_id, allowed_origins, created_at, updated_at";
const COUNTS: &str = "(SELECT COUNT(*) FROM documents d WHERE d.kb_id = k.id) AS documents, \
     (SELECT COUNT(*) FROM chunks c WHERE c.kb_id = k.id) AS chunks";

/// The condition "`k` is readable by the user in parameter `user`" (its owner, or shared with them).
/// The caller names the parameter, so every numbered parameter is visible in the query it is in.
fn readable_by(user: &str) -> String {
    format!(
        "(k.owner_id = {user} OR EXISTS (SELECT 1 FROM knowledge_base_shares s WHERE s.kb_id = k.id AND s.user_id = {user}))"
    )
}

impl Db {
    pub async fn create_knowledge_base(
        &self,
        owner_id: &str,
        name: &str,
        embedding_model: &str,
        dims: usize,
    ) -> Result<KnowledgeBaseRow> {
        let now = now_ms();
        Ok(sqlx::query_as(&format!(
            "INSERT INTO knowledge_bases (id, owner_id, name, embedding_model, embedding_dims, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {PLAIN_COLUMNS}"
        ))
        .bind(new_id())
        .bind(owner_id)
        .bind(name)
        .bind(embedding_model)
        .bind(dims as i64)
        .bind(now)
        .fetch_one(self.pool())
        .await?)
    }

    /// The knowledge base if `user_id` owns it or it is shared with them.
    pub async fn readable_knowledge_base(&self, user_id: &str, id: &str) -> Result<Option<KnowledgeBaseRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM knowledge_bases k WHERE k.id = $2 AND {}",
            readable_by("$1")
        ))
        .bind(user_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn owned_knowledge_base(&self, owner_id: &str, id: &str) -> Result<Option<KnowledgeBaseRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM knowledge_bases k WHERE k.id = $1 AND k.owner_id = $2"))
            .bind(id)
            .bind(owner_id)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn knowledge_base(&self, id: &str) -> Result<Option<KnowledgeBaseRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM knowledge_bases k WHERE k.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn published_knowledge_base(&self, public_id: &str) -> Result<Option<KnowledgeBaseRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM knowledge_bases k WHERE k.public_id = $1"))
            .bind(public_id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// One readable knowledge base with its document and chunk counts.
    pub async fn readable_knowledge_base_summary(
        &self,
        user_id: &str,
        id: &str,
    ) -> Result<Option<KnowledgeBaseSummary>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS}, {COUNTS} FROM knowledge_bases k WHERE k.id = $2 AND {}",
            readable_by("$1")
        ))
        .bind(user_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Every knowledge base the user can read, newest first, with document and chunk counts.
    pub async fn list_knowledge_bases(&self, user_id: &str) -> Result<Vec<KnowledgeBaseSummary>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS}, {COUNTS} FROM knowledge_bases k WHERE {} ORDER BY k.created_at DESC, k.id DESC",
            readable_by("$1")
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn all_knowledge_base_ids(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM knowledge_bases").fetch_all(self.pool()).await?)
    }

    /// The embedding models knowledge bases use (each once).
    pub async fn embedding_models_in_use(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT DISTINCT embedding_model FROM knowledge_bases").fetch_all(self.pool()).await?)
    }

    pub async fn rename_knowledge_base(&self, owner_id: &str, id: &str, name: &str) -> Result<bool> {
        let n = sqlx::query("UPDATE knowledge_bases SET name = $1, updated_at = $2 WHERE id = $3 AND owner_id = $4")
            .bind(name)
            .bind(now_ms())
            .bind(id)
            .bind(owner_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    pub async fn set_embedding_model(&self, id: &str, model: &str, dims: usize) -> Result<()> {
        sqlx::query(
            "UPDATE knowledge_bases SET embedding_model = $1, embedding_dims = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(model)
        .bind(dims as i64)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Publishes (with a new public id) or unpublishes (None), and sets the allowed origins.
    pub async fn set_publication(
        &self,
        owner_id: &str,
        id: &str,
        public_id: Option<&str>,
        allowed_origins: &[String],
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE knowledge_bases SET public_id = $1, allowed_origins = $2, updated_at = $3 \
             WHERE id = $4 AND owner_id = $5",
        )
        .bind(public_id)
        .bind(allowed_origins.join("\n"))
        .bind(now_ms())
        .bind(id)
        .bind(owner_id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    pub async fn delete_knowledge_base(&self, owner_id: &str, id: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM knowledge_bases WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    pub async fn share_knowledge_base(&self, kb_id: &str, user_id: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO knowledge_base_shares (kb_id, user_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (kb_id, user_id) DO NOTHING",
        )
        .bind(kb_id)
        .bind(user_id)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn unshare_knowledge_base(&self, kb_id: &str, user_id: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM knowledge_base_shares WHERE kb_id = $1 AND user_id = $2")
            .bind(kb_id)
            .bind(user_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// Emails of the users a knowledge base is shared with.
    pub async fn knowledge_base_shares(&self, kb_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT u.email FROM knowledge_base_shares s JOIN users u ON u.id = s.user_id \
             WHERE s.kb_id = $1 ORDER BY u.email",
        )
        .bind(kb_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Replaces the knowledge bases attached to a conversation.
    pub async fn set_conversation_knowledge_bases(&self, conversation_id: &str, kb_ids: &[String]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM conversation_knowledge_bases WHERE conversation_id = $1")
            .bind(conversation_id)
            .execute(&mut *tx)
            .await?;
        for kb in kb_ids {
            sqlx::query("INSERT INTO conversation_knowledge_bases (conversation_id, kb_id) VALUES ($1, $2)")
                .bind(conversation_id)
                .bind(kb)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The attached knowledge bases the conversation's owner can still read; none when `user_id` does
    /// not own the conversation.
    pub async fn conversation_knowledge_bases(
        &self,
        user_id: &str,
        conversation_id: &str,
    ) -> Result<Vec<KnowledgeBaseRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM conversation_knowledge_bases ck JOIN knowledge_bases k ON k.id = ck.kb_id \
             JOIN conversations c ON c.id = ck.conversation_id \
             WHERE ck.conversation_id = $2 AND c.user_id = $1 AND {} ORDER BY k.name",
            readable_by("$1")
        ))
        .bind(user_id)
        .bind(conversation_id)
        .fetch_all(self.pool())
        .await?)
    }
}
