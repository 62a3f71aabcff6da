//! SiteChat: knowledge bases built from uploaded files and crawled websites, retrieved (keyword +
//! vector, fused) to ground answers that cite their sources.
//!
//! `SiteChat` is the service the HTTP layer and the UI call. Access rules: the owner reads and
//! writes; users it is shared with read (search, attach to conversations); anyone else sees a
//! 404, whatever the id.

mod crawl_job;
mod embedders;
mod indexes;
mod ingest;
mod jobs;
mod kbs;
mod keywords;
mod reembed;
mod retrieve;
mod slots;
#[cfg(feature = "fakes")]
mod testing;
mod upload;

use std::path::PathBuf;
use std::sync::Arc;

pub use crawl_job::CrawlRequest;
pub use embedders::EmbedderSet;
pub use indexes::Indexes;
pub use ingest::HEADING_SEPARATOR;
pub(crate) use ingest::embed_error_on;
pub use jobs::{JobKind, JobStatus, JobView};
pub use kbs::{KbView, Publication};
pub use keywords::Keywords;
pub use retrieve::{Hit, keyword_query};
pub use upload::UploadedFile;

use crate::{
    net::AddressPolicy,
    storage::{Db, KnowledgeBaseRow, NewChunk},
};

/// Limits and defaults for ingestion.
#[derive(Debug, Clone)]
pub struct SiteChatConfig {
    /// Where vector and keyword indexes and uploaded files live.
    pub data_dir: PathBuf,
    /// Embedder id for new knowledge bases (a key of the `EmbedderSet`).
    pub default_embedding_model: String,
    pub crawl_policy: AddressPolicy,
    pub max_upload_bytes: usize,
    pub max_files_per_upload: usize,
    /// Ingestion jobs that run at once; more wait in the queue.
    pub max_running_jobs: usize,
}

impl SiteChatConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            default_embedding_model: embedders::LOCAL_MINILM.to_owned(),
            crawl_policy: AddressPolicy::default(),
            max_upload_bytes: 20 * 1024 * 1024,
            max_files_per_upload: 20,
            max_running_jobs: 2,
        }
    }
}

/// The SiteChat service (cheap to clone).
#[derive(Clone)]
pub struct SiteChat {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    config: SiteChatConfig,
    embedders: EmbedderSet,
    indexes: Indexes,
    keywords: Keywords,
    jobs: jobs::Runner,
    /// Where embedding calls are recorded and priced, and which models callers may pick (set
    /// once, at start-up).
    meter: std::sync::OnceLock<crate::embed::metered::Meter>,
}

impl SiteChat {
    pub fn new(db: Db, config: SiteChatConfig, embedders: EmbedderSet) -> Self {
        let indexes = Indexes::new(config.data_dir.join("indexes"), db.clone());
        let keywords = Keywords::new(config.data_dir.join("keywords"), db.clone());
        let jobs = jobs::Runner::new(config.max_running_jobs);
        let meter = std::sync::OnceLock::new();
        Self { inner: Arc::new(Inner { db, config, embedders, indexes, keywords, jobs, meter }) }
    }

    /// Records embedding calls through `meter` from now on, and lets its catalog say which
    /// embedding models new knowledge bases may use (the first meter given stays).
    pub fn meter_with(&self, meter: crate::embed::metered::Meter) {
        let _ = self.inner.meter.set(meter);
    }

    /// Embeds a knowledge base's texts with its embedding model, as one ledger row of its owner's
    /// (surface `ingest`).
    pub(crate) async fn embed_for(&self, kb: &KnowledgeBaseRow, texts: &[String]) -> crate::Result<Vec<Vec<f32>>> {
        use crate::embed::metered::{EmbedFor, embed_recorded};
        let embedder = self.embedders().get(&kb.embedding_model)?;
        let who = EmbedFor {
            caller: crate::answer::Caller::user(&kb.owner_id),
            surface: crate::answer::Surface::Ingest,
            knowledge_base_id: Some(kb.id.clone()),
        };
        let (vectors, _) = embed_recorded(embedder.as_ref(), &kb.embedding_model, texts, self.meter(), who).await;
        vectors.map_err(ingest::embed_error)
    }

    /// Where embedding calls are recorded and priced (None before [`SiteChat::meter_with`]).
    pub fn meter(&self) -> Option<&crate::embed::metered::Meter> {
        self.inner.meter.get()
    }

    /// Whether `user_id` may pick the embedding model `model` for a knowledge base (the catalog
    /// says, once there is one; an embedder of this server in any case).
    pub(crate) async fn check_embedding_choice(&self, user_id: &str, model: &str) -> crate::Result<()> {
        if let Some(meter) = self.meter() {
            let caller = crate::answer::Caller::user(user_id);
            meter.catalog.check_embedding(model, &caller, "embedding_model").await?;
        }
        self.embedders().get(model).map(|_| ())
    }

    /// At server start: jobs the previous run left unfinished can no longer progress.
    pub async fn recover(&self) -> crate::Result<()> {
        let failed = self.inner.db.fail_unfinished_jobs().await?;
        if failed > 0 {
            tracing::warn!(failed, "ingestion jobs interrupted by the last shutdown were marked failed");
        }
        Ok(())
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn config(&self) -> &SiteChatConfig {
        &self.inner.config
    }

    pub fn embedders(&self) -> &EmbedderSet {
        &self.inner.embedders
    }

    pub fn indexes(&self) -> &Indexes {
        &self.inner.indexes
    }

    pub fn keywords(&self) -> &Keywords {
        &self.inner.keywords
    }

    /// Brings a knowledge base's vector and keyword indexes up to a change of its chunks that the
    /// database already holds: `removed` chunk ids, and `added` (id, chunk).
    pub(crate) async fn index_chunks(
        &self,
        kb_id: &str,
        removed: &[i64],
        added: Vec<(i64, NewChunk)>,
    ) -> crate::Result<()> {
        let mut vectors = Vec::with_capacity(added.len());
        let mut texts = Vec::with_capacity(added.len());
        for (id, chunk) in added {
            vectors.push((id as u64, chunk.embedding));
            texts.push((id, chunk.heading_path, chunk.text));
        }
        let (vectors, keywords) =
            tokio::join!(self.indexes().apply(kb_id, removed, vectors), self.keywords().apply(kb_id, removed, texts));
        vectors.and(keywords)
    }

    /// Loads every knowledge base's vector index (from its files, or its stored vectors read and
    /// its graph rebuilt from them), its keyword index (opened, or rebuilt from the chunk texts)
    /// and, meanwhile, the embedding models they use, in the background; searches of a knowledge
    /// base wait until its vectors are loaded or read (never for its keyword index: the database
    /// answers until it is ready).
    pub fn warm_up(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let models = this.clone();
            let models = tokio::spawn(async move { models.warm_up_embedders().await });
            this.warm_up_indexes().await;
            let _ = models.await;
        })
    }

    async fn warm_up_embedders(&self) {
        let models = match self.inner.db.embedding_models_in_use().await {
            Ok(models) => models,
            Err(e) => return tracing::error!(error = ?e, "listing embedding models failed"),
        };
        for model in models {
            // An unknown model (its provider is no longer configured) fails where it is used.
            if let Ok(embedder) = self.inner.embedders.get(&model)
                && let Err(e) = embedder.warm_up().await
            {
                tracing::warn!(model = %model, error = %e, "embedding model not ready");
            }
        }
    }

    async fn warm_up_indexes(&self) {
        let ids = match self.inner.db.all_knowledge_base_ids().await {
            Ok(ids) => ids,
            Err(e) => return tracing::error!(error = ?e, "listing knowledge bases failed"),
        };
        // First searches wait for the vectors, not for keyword indexes (the database answers
        // meanwhile): keyword rebuilds, which read every chunk's text, wait until every
        // knowledge base's vectors are read, so the reads have the cores and the database.
        let paused = self.inner.keywords.pause_rebuilds();
        for id in ids {
            // One knowledge base's vectors read at a time; graphs to rebuild build meanwhile.
            self.inner.keywords.warm_up(&id);
            if let Err(e) = self.inner.indexes.searchable(&id).await {
                tracing::error!(kb = %id, error = ?e, "loading a vector index failed");
            }
        }
        drop(paused);
    }

    /// Stops running jobs and saves the vector indexes (at shutdown).
    pub async fn shutdown(&self) {
        self.inner.jobs.cancel_all();
        self.inner.jobs.wait_idle().await;
        self.inner.indexes.save_all().await;
    }

    /// Where the bytes of an uploaded document are kept: generated ids only, never a client name.
    fn file_path(&self, kb_id: &str, document_id: &str) -> PathBuf {
        self.inner.config.data_dir.join("files").join(kb_id).join(document_id)
    }
}
