//! From extracted text to searchable chunks: chunk, embed (title and headings included), store
//! in one transaction, then update the vector index so the next search sees it.

use sha2::{Digest, Sha256};

use super::SiteChat;
use crate::{
    Error, Result,
    ingest::{Block, ChunkConfig, Document, chunk},
    storage::{KnowledgeBaseRow, NewChunk, NewDocument},
};

/// Joins a chunk's heading path for display, storage and full-text search.
pub const HEADING_SEPARATOR: &str = " › ";

/// A document ready to be stored: where it came from and its text.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// `web` or `file`.
    pub source: &'static str,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub kind: String,
    pub title: String,
    pub blocks: Vec<Block>,
    pub bytes: usize,
}

impl Incoming {
    /// SHA-256 over the title and the text: what a re-crawl compares.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.title.as_bytes());
        for b in &self.blocks {
            let (tag, text) = match b {
                Block::Heading { level, text } => (*level, text),
                Block::Paragraph(t) => (10, t),
                Block::ListItem(t) => (11, t),
                Block::Code(t) => (12, t),
                Block::TableRow(t) => (13, t),
            };
            h.update([0, tag]);
            h.update(text.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// What storing a document did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New(usize),
    Updated(usize),
    Unchanged,
}

impl Stored {
    pub fn chunks(self) -> usize {
        match self {
            Self::New(n) | Self::Updated(n) => n,
            Self::Unchanged => 0,
        }
    }
}

impl SiteChat {
    /// Stores a document (a crawled page replaces the stored page with the same URL; an unchanged
    /// one is only marked as seen by `job_id`).
    /// `document_id` names a document created beforehand (an upload whose bytes are stored).
    pub(super) async fn store_document(
        &self,
        kb: &KnowledgeBaseRow,
        job_id: &str,
        doc: Incoming,
        document_id: Option<&str>,
    ) -> Result<Stored> {
        let hash = doc.content_hash();
        let existing = match (document_id, &doc.url) {
            (Some(id), _) => Some(self.db().document(&kb.id, id).await?.ok_or(Error::NotFound("document"))?),
            (None, Some(url)) => self.db().document_by_url(&kb.id, url).await?,
            (None, None) => None,
        };
        if let Some(old) = &existing
            && old.content_hash == hash
        {
            self.db().mark_document_seen(&old.id, job_id).await?;
            return Ok(Stored::Unchanged);
        }
        let chunks = self.embed_chunks(kb, &doc).await?;
        let n = chunks.len();
        let (doc_id, stored) = match existing {
            Some(old) => {
                self.db().update_document(&old.id, &doc.title, &hash, doc.bytes, job_id).await?;
                (old.id, Stored::Updated(n))
            }
            None => {
                let row = self
                    .db()
                    .insert_document(&NewDocument {
                        kb_id: &kb.id,
                        source: doc.source,
                        url: doc.url.as_deref(),
                        file_name: doc.file_name.as_deref(),
                        kind: &doc.kind,
                        title: &doc.title,
                        content_hash: &hash,
                        bytes: doc.bytes,
                        job_id: Some(job_id),
                    })
                    .await?;
                (row.id, Stored::New(n))
            }
        };
        self.write_chunks(&kb.id, &doc_id, chunks).await?;
        Ok(stored)
    }

    /// Replaces a stored document's chunks and updates the index.
    pub(super) async fn write_chunks(&self, kb_id: &str, doc_id: &str, chunks: Vec<NewChunk>) -> Result<()> {
        let (removed, added) = self.db().replace_chunks(kb_id, doc_id, &chunks).await?;
        self.index_chunks(kb_id, &removed, added.into_iter().zip(chunks).collect()).await
    }

    /// Chunks a document and embeds each chunk with its title and heading path in front.
    async fn embed_chunks(&self, kb: &KnowledgeBaseRow, doc: &Incoming) -> Result<Vec<NewChunk>> {
        let parsed =
            Document { title: doc.title.clone(), url: doc.url.clone().unwrap_or_default(), blocks: doc.blocks.clone() };
        let pieces = chunk(&parsed, &ChunkConfig::default());
        if pieces.is_empty() {
            return Err(Error::invalid("document", "no text found in it"));
        }
        let inputs: Vec<String> = pieces
            .iter()
            .map(|c| embedding_input(&doc.title, &c.heading_path.join(HEADING_SEPARATOR), &c.text))
            .collect();
        let vectors = self.embed_for(kb, &inputs).await?;
        Ok(pieces
            .into_iter()
            .zip(vectors)
            .map(|(c, embedding)| NewChunk {
                ord: c.index,
                heading_path: c.heading_path.join(HEADING_SEPARATOR),
                text: c.text,
                embedding,
            })
            .collect())
    }
}

/// What is embedded for a chunk: its document's title and heading path give it context.
pub(super) fn embedding_input(title: &str, heading_path: &str, text: &str) -> String {
    [title, heading_path, text].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join("\n")
}

/// Embedding failures a user can act on keep their text; the rest are internal.
pub(super) fn embed_error(e: crate::embed::EmbedError) -> Error {
    embed_error_on(e, "document")
}

/// The same, naming `field` as the one whose input could not be embedded.
pub(crate) fn embed_error_on(e: crate::embed::EmbedError, field: &'static str) -> Error {
    use crate::embed::EmbedError as E;
    match e {
        E::ModelMissing { model, detail } => Error::ModelMissing { model, detail },
        E::Invalid(m) => Error::invalid(field, m),
        E::Unauthorized(m) => {
            tracing::error!(error = %m, "the embedding provider refused the credentials");
            Error::Unavailable("the embedding provider refused the server's credentials; an admin must fix them".into())
        }
        E::RateLimited { retry_after_secs, .. } => {
            Error::RateLimited { retry_after_secs: retry_after_secs.unwrap_or(30) }
        }
        E::Unavailable(m) => {
            tracing::warn!(error = %m, "embedding provider unavailable");
            Error::Unavailable("the embedding provider is unavailable; try again shortly".into())
        }
        E::Failed(m) => {
            tracing::error!(error = %m, "embedding failed");
            Error::Unavailable("the embedding model failed; see the server log".into())
        }
    }
}
