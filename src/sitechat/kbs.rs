//! Knowledge base lifecycle: create, list, rename, delete, share, publish, attach.

use super::SiteChat;
use crate::{
    Error, Result,
    domain::{Email, KnowledgeBaseName},
    storage::{DocumentSummary, KnowledgeBaseRow, KnowledgeBaseSummary},
};

/// A knowledge base as its reader sees it.
#[derive(Debug, Clone)]
pub struct KbView {
    pub row: KnowledgeBaseRow,
    pub documents: i64,
    pub chunks: i64,
    /// The reader owns it (else it is shared with them, read-only).
    pub owned: bool,
}

/// How a knowledge base is offered to other websites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub public_id: Option<String>,
    pub allowed_origins: Vec<String>,
}

impl SiteChat {
    pub async fn create_kb(
        &self,
        owner_id: &str,
        name: &str,
        embedding_model: Option<&str>,
    ) -> Result<KnowledgeBaseRow> {
        let name = KnowledgeBaseName::parse(name)?;
        let model = embedding_model.unwrap_or(&self.inner.config.default_embedding_model);
        self.check_embedding_choice(owner_id, model).await?;
        let embedder = self.inner.embedders.get(model)?;
        self.db().create_knowledge_base(owner_id, name.as_str(), model, embedder.dims()).await
    }

    pub async fn list_kbs(&self, user_id: &str) -> Result<Vec<KbView>> {
        let rows = self.db().list_knowledge_bases(user_id).await?;
        Ok(rows
            .into_iter()
            .map(|KnowledgeBaseSummary { kb, documents, chunks }| KbView {
                owned: kb.owner_id == user_id,
                row: kb,
                documents,
                chunks,
            })
            .collect())
    }

    /// A knowledge base the user may read (owner or share); anything else is "not found".
    pub async fn readable_kb(&self, user_id: &str, id: &str) -> Result<KnowledgeBaseRow> {
        self.db().readable_knowledge_base(user_id, id).await?.ok_or(Error::NotFound("knowledge base"))
    }

    /// A knowledge base the user owns. Readers of a share learn it is read-only; others get 404.
    pub async fn owned_kb(&self, user_id: &str, id: &str) -> Result<KnowledgeBaseRow> {
        let kb = self.readable_kb(user_id, id).await?;
        if kb.owner_id != user_id {
            return Err(Error::Forbidden("this knowledge base is shared with you read-only".into()));
        }
        Ok(kb)
    }

    pub async fn kb_view(&self, user_id: &str, id: &str) -> Result<KbView> {
        let KnowledgeBaseSummary { kb, documents, chunks } =
            self.db().readable_knowledge_base_summary(user_id, id).await?.ok_or(Error::NotFound("knowledge base"))?;
        Ok(KbView { owned: kb.owner_id == user_id, row: kb, documents, chunks })
    }

    pub async fn list_documents(&self, user_id: &str, kb_id: &str) -> Result<Vec<DocumentSummary>> {
        self.readable_kb(user_id, kb_id).await?;
        self.db().list_documents(kb_id).await
    }

    pub async fn rename_kb(&self, user_id: &str, id: &str, name: &str) -> Result<()> {
        let name = KnowledgeBaseName::parse(name)?;
        self.owned_kb(user_id, id).await?;
        self.db().rename_knowledge_base(user_id, id, name.as_str()).await?;
        Ok(())
    }

    /// Deletes the knowledge base, its documents, chunks, jobs, files and index.
    pub async fn delete_kb(&self, user_id: &str, id: &str) -> Result<()> {
        self.owned_kb(user_id, id).await?;
        self.inner.jobs.cancel_kb(id);
        self.db().delete_knowledge_base(user_id, id).await?;
        self.inner.indexes.forget(id);
        self.inner.keywords.forget(id);
        let dir = self.inner.config.data_dir.join("files").join(id);
        if let Err(e) = tokio::fs::remove_dir_all(&dir).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(kb = id, error = %e, "removing uploaded files failed");
        }
        Ok(())
    }

    /// Removes one document and its chunks (visible to the next search).
    pub async fn delete_document(&self, user_id: &str, kb_id: &str, document_id: &str) -> Result<()> {
        self.owned_kb(user_id, kb_id).await?;
        let removed = self.db().delete_document(kb_id, document_id).await?.ok_or(Error::NotFound("document"))?;
        // The index is saved with the next job or at shutdown, not per delete (a save writes every
        // vector); a crash before then only costs a rebuild from the database.
        self.index_chunks(kb_id, &removed, Vec::new()).await?;
        let _ = tokio::fs::remove_file(self.file_path(kb_id, document_id)).await;
        Ok(())
    }

    /// Shares read-only with the user registered under `email`.
    pub async fn share_kb(&self, user_id: &str, id: &str, email: &str) -> Result<()> {
        self.owned_kb(user_id, id).await?;
        let email = Email::parse(email)?;
        let other = self.db().user_by_email(email.as_str()).await?.ok_or_else(|| {
            Error::invalid("email", "no user is registered with this email; they need an account first")
        })?;
        if other.id == user_id {
            return Err(Error::invalid("email", "you own this knowledge base already"));
        }
        self.db().share_knowledge_base(id, &other.id).await
    }

    pub async fn unshare_kb(&self, user_id: &str, id: &str, email: &str) -> Result<()> {
        self.owned_kb(user_id, id).await?;
        let email = Email::parse(email)?;
        if let Some(other) = self.db().user_by_email(email.as_str()).await? {
            self.db().unshare_knowledge_base(id, &other.id).await?;
        }
        Ok(())
    }

    pub async fn kb_shares(&self, user_id: &str, id: &str) -> Result<Vec<String>> {
        self.owned_kb(user_id, id).await?;
        self.db().knowledge_base_shares(id).await
    }

    /// Publishes for the widget (a new public id each time it goes from private to public) or
    /// unpublishes; `allowed_origins` are the sites that may embed it.
    pub async fn publish_kb(
        &self,
        user_id: &str,
        id: &str,
        publish: bool,
        allowed_origins: &[String],
    ) -> Result<Publication> {
        let kb = self.owned_kb(user_id, id).await?;
        let origins = allowed_origins.iter().map(|o| normalize_origin(o)).collect::<Result<Vec<_>>>()?;
        let public_id = match (publish, kb.public_id) {
            (false, _) => None,
            (true, Some(existing)) => Some(existing),
            (true, None) => Some(format!("pk_{}", uuid::Uuid::new_v4().simple())),
        };
        self.db().set_publication(user_id, id, public_id.as_deref(), &origins).await?;
        Ok(Publication { public_id, allowed_origins: origins })
    }

    /// Attaches knowledge bases to a conversation the user owns; each must be readable by them.
    pub async fn attach_kbs(&self, user_id: &str, conversation_id: &str, kb_ids: &[String]) -> Result<()> {
        self.owned_conversation(user_id, conversation_id).await?;
        let mut unique: Vec<String> = Vec::new();
        for id in kb_ids {
            self.readable_kb(user_id, id).await?;
            if !unique.contains(id) {
                unique.push(id.clone());
            }
        }
        self.db().set_conversation_knowledge_bases(conversation_id, &unique).await
    }

    /// The attached knowledge bases the user can read, of a conversation they own (else NotFound).
    pub async fn attached_kbs(&self, user_id: &str, conversation_id: &str) -> Result<Vec<String>> {
        self.owned_conversation(user_id, conversation_id).await?;
        let rows = self.db().conversation_knowledge_bases(user_id, conversation_id).await?;
        Ok(rows.into_iter().map(|kb| kb.id).collect())
    }

    /// Every conversation-scoped call starts here: a conversation of someone else is NotFound, as
    /// one that does not exist (its existence is not revealed).
    async fn owned_conversation(&self, user_id: &str, conversation_id: &str) -> Result<()> {
        self.db().conversation(user_id, conversation_id).await?.ok_or(Error::NotFound("conversation")).map(drop)
    }
}

/// `https://Example.com/path` → `https://example.com`; the widget compares the browser's Origin
/// header with these exactly.
pub fn normalize_origin(raw: &str) -> Result<String> {
    let url = url::Url::parse(raw.trim()).map_err(|_| {
        Error::invalid("allowed_origins", format!("{raw:?} is not an origin like https://www.example.com"))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid("allowed_origins", format!("{raw:?} is not an http(s) origin")));
    }
    Ok(url.origin().ascii_serialization())
}
