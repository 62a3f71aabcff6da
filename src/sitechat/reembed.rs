//! Switching a knowledge base to another embedding model: every chunk is embedded again.
//!
//! The model is recorded first and the index starts empty, then chunks are re-embedded page by
//! page (their vectors rewritten in the database and added to the index), so searches keep
//! working on keywords throughout and on vectors for what is done. Chunks whose stored vector
//! does not have the model's dimensions are skipped by index rebuilds, so an interrupted run
//! leaves a working knowledge base; asking for the model again finishes the job.

use std::sync::Arc;

use super::{JobKind, SiteChat, ingest::embedding_input, jobs::JobCtx};
use crate::{Result, storage::JobRow};

const PAGE: u32 = 256;

impl SiteChat {
    /// Records the new model and starts re-embedding (also when the model is the same: that
    /// finishes an interrupted switch).
    pub async fn change_embedding_model(&self, user_id: &str, kb_id: &str, model: &str) -> Result<Option<JobRow>> {
        let kb = self.owned_kb(user_id, kb_id).await?;
        if kb.embedding_model != model {
            self.check_embedding_choice(user_id, model).await?;
        }
        let embedder = self.embedders().get(model)?;
        self.inner.jobs.cancel_kb(kb_id);
        self.db().set_embedding_model(kb_id, model, embedder.dims()).await?;
        self.indexes().forget(kb_id);
        let params = serde_json::json!({ "embedding_model": model }).to_string();
        let job = self.spawn_job(kb_id, user_id, JobKind::Reembed, &params, |sc, ctx| sc.run_reembed(ctx)).await?;
        Ok(Some(job))
    }

    async fn run_reembed(self, ctx: Arc<JobCtx>) -> Result<Option<String>> {
        let kb = self.db().knowledge_base(&ctx.kb_id).await?.ok_or(crate::Error::NotFound("knowledge base"))?;
        self.embedders().get(&kb.embedding_model)?;
        let total = self.db().chunk_fingerprint(&kb.id).await?.count;
        ctx.set_total(total as usize);
        let mut after = 0;
        loop {
            if ctx.cancel.is_cancelled() {
                return Ok(None);
            }
            let page = self.db().chunk_texts(&kb.id, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            let texts: Vec<String> =
                page.iter().map(|(_, title, path, text)| embedding_input(title, path, text)).collect();
            let vectors = self.embed_for(&kb, &texts).await?;
            let added: Vec<(u64, Vec<f32>)> = page.iter().zip(vectors).map(|((id, ..), v)| (*id as u64, v)).collect();
            self.db().set_chunk_embeddings(&added).await?;
            let n = added.len();
            self.indexes().apply(&kb.id, &[], added).await?;
            (0..n).for_each(|_| ctx.item_done(1));
        }
        Ok(Some(format!("re-embedded with {}", kb.embedding_model)))
    }
}
