//! Uploads: every file is type-checked by its content before anything is stored (one bad file
//! refuses the upload, naming it), stored under a generated id, then extracted and embedded by
//! a job.

use std::sync::Arc;

use super::{JobKind, SiteChat, ingest::Incoming, jobs::JobCtx};
use crate::{
    Error, Result,
    ingest::files::{FileKind, FileLimits, display_name, extract, sniff},
    storage::{DocumentRow, JobRow, KnowledgeBaseRow, NewDocument},
};

/// A file as received.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub name: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl SiteChat {
    fn file_limits(&self) -> FileLimits {
        FileLimits {
            max_file_bytes: self.config().max_upload_bytes as u64,
            max_files_per_upload: self.config().max_files_per_upload,
            ..FileLimits::default()
        }
    }

    /// Checks, stores and queues the files; returns the job and the new documents.
    pub async fn upload(
        &self,
        user_id: &str,
        kb_id: &str,
        files: Vec<UploadedFile>,
    ) -> Result<(JobRow, Vec<DocumentRow>)> {
        let kb = self.owned_kb(user_id, kb_id).await?;
        let limits = self.file_limits();
        limits
            .check_batch(files.iter().map(|f| (f.name.as_str(), f.bytes.len() as u64)))
            .map_err(|e| Error::invalid("files", e.to_string()))?;
        let mut kinds = Vec::with_capacity(files.len());
        for f in &files {
            let kind = sniff(&f.name, f.content_type.as_deref(), &f.bytes)
                .map_err(|e| Error::invalid("files", e.to_string()))?;
            kinds.push(kind);
        }
        let mut docs = Vec::with_capacity(files.len());
        for (f, kind) in files.iter().zip(&kinds) {
            let name = display_name(&f.name);
            let doc = self
                .db()
                .insert_document(&NewDocument {
                    kb_id,
                    source: "file",
                    url: None,
                    file_name: Some(&name),
                    kind: kind.as_str(),
                    title: &name,
                    content_hash: "",
                    bytes: f.bytes.len(),
                    job_id: None,
                })
                .await?;
            let path = self.file_path(kb_id, &doc.id);
            if let Some(dir) = path.parent() {
                tokio::fs::create_dir_all(dir).await.map_err(Error::internal)?;
            }
            tokio::fs::write(&path, &f.bytes).await.map_err(Error::internal)?;
            docs.push(doc);
        }
        let ids: Vec<(String, String)> = docs.iter().map(|d| (d.id.clone(), d.kind.clone())).collect();
        let params = serde_json::json!({ "documents": docs.iter().map(|d| &d.id).collect::<Vec<_>>() }).to_string();
        let job = self
            .spawn_job(kb_id, user_id, JobKind::Upload, &params, move |sc, ctx| sc.run_upload(ctx, kb, ids, limits))
            .await?;
        Ok((job, docs))
    }

    async fn run_upload(
        self,
        ctx: Arc<JobCtx>,
        kb: KnowledgeBaseRow,
        docs: Vec<(String, String)>,
        limits: FileLimits,
    ) -> Result<Option<String>> {
        ctx.set_total(docs.len());
        for (doc_id, kind) in docs {
            if ctx.cancel.is_cancelled() {
                return Ok(None);
            }
            let Some(row) = self.db().document(&kb.id, &doc_id).await? else { continue };
            let name = row.file_name.clone().unwrap_or_default();
            let bytes = tokio::fs::read(self.file_path(&kb.id, &doc_id)).await.map_err(Error::internal)?;
            let kind = FileKind::parse(&kind).ok_or_else(|| Error::internal(anyhow::anyhow!("unknown kind {kind}")))?;
            let extracted = {
                let name = name.clone();
                tokio::task::spawn_blocking(move || extract(&name, kind, &bytes, &limits))
                    .await
                    .map_err(Error::internal)?
            };
            let result = match extracted {
                Ok(file) => {
                    let incoming = Incoming {
                        source: "file",
                        url: None,
                        file_name: Some(name.clone()),
                        kind: kind.as_str().to_owned(),
                        title: file.title,
                        blocks: file.blocks,
                        bytes: row.bytes as usize,
                    };
                    self.store_document(&kb, &ctx.id, incoming, Some(&doc_id)).await
                }
                Err(e) => Err(Error::invalid("file", e.to_string())),
            };
            match result {
                Ok(stored) => ctx.item_done(stored.chunks()),
                Err(Error::Internal(e)) => return Err(Error::Internal(e)),
                Err(e) => {
                    // A file that yields nothing is not kept: the list shows only searchable documents.
                    ctx.item_failed(&name, &e.to_string());
                    self.db().delete_document(&kb.id, &doc_id).await?;
                    let _ = tokio::fs::remove_file(self.file_path(&kb.id, &doc_id)).await;
                }
            }
        }
        Ok(None)
    }
}
