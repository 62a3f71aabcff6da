//! One keyword index (Tantivy, `index/keyword.rs`) per knowledge base, opened on first use from
//! its directory if it matches the database, else rebuilt from the stored chunk texts.
//!
//! Searches never wait for a rebuild: until the index is ready they are answered by the
//! database's own full-text search (`storage/keyword.rs`: FTS5 on SQLite, a tsvector on
//! PostgreSQL), slower at scale but the same words. Writes wait for the index, so none is lost.
//! One rebuild runs at a time (each holds an indexing buffer of about 100 MB).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{Semaphore, watch};

use super::keyword_query;
use super::slots::{Slots, blocking};
use crate::{
    Error, Result,
    index::{Fingerprint, KeywordIndex, keyword_text},
    storage::Db,
};

#[cfg(test)]
mod tests;

/// Chunk texts read per query during a rebuild.
const REBUILD_PAGE: u32 = 2_000;

#[derive(Clone)]
enum Phase {
    Loading,
    Ready(Arc<KeywordIndex>),
    /// Logged where it happened; the slot is gone, so the next use tries again.
    Failed,
}

type Slot = watch::Receiver<Phase>;

pub struct Keywords {
    shared: Arc<Shared>,
}

struct Shared {
    dir: PathBuf,
    db: Db,
    slots: Slots<Phase>,
    builds: Semaphore,
    /// Rebuilds start only while this is true ([`Keywords::pause_rebuilds`]).
    rebuilds_open: watch::Sender<bool>,
    #[cfg(test)]
    rebuilt: std::sync::atomic::AtomicUsize,
}

impl Keywords {
    pub fn new(dir: PathBuf, db: Db) -> Self {
        let shared = Shared {
            dir,
            db,
            slots: Slots::default(),
            builds: Semaphore::new(1),
            rebuilds_open: watch::Sender::new(true),
            #[cfg(test)]
            rebuilt: Default::default(),
        };
        Self { shared: Arc::new(shared) }
    }

    /// The `limit` best chunks of a knowledge base for the words of `query` (chunk id, score),
    /// best first: from its index when ready, else from the database while the index loads.
    pub async fn search(&self, kb_id: &str, query: &str, limit: usize) -> Result<Vec<(i64, f64)>> {
        let ready = match &*self.shared.slot(kb_id).borrow() {
            Phase::Ready(index) => Some(index.clone()),
            _ => None,
        };
        if let Some(index) = ready {
            let query = query.to_owned();
            let hits = blocking(move || index.search(&query, limit)).await?;
            return Ok(hits.into_iter().map(|(id, score)| (id as i64, f64::from(score))).collect());
        }
        match keyword_query(query) {
            Some(terms) => self.shared.db.keyword_search(kb_id, &terms, limit as u32).await,
            None => Ok(Vec::new()),
        }
    }

    /// Starts loading a knowledge base's index if nothing has (at start-up).
    pub fn warm_up(&self, kb_id: &str) {
        self.shared.slot(kb_id);
    }

    /// Keeps rebuilds from starting until the guard is dropped; indexes whose files match still
    /// open meanwhile, and searches are answered by the database. Start-up holds rebuilds (each
    /// reads every chunk's text) while it reads the stored vectors that first searches wait for.
    pub fn pause_rebuilds(&self) -> RebuildsPaused {
        self.shared.rebuilds_open.send_replace(false);
        RebuildsPaused(self.shared.clone())
    }

    /// Removes chunks and adds others (id, heading path, text), after the database has them.
    /// Waits for the index to load; an index that failed to load is rebuilt on its next use, from
    /// the database, which already holds this change.
    pub async fn apply(&self, kb_id: &str, removed: &[i64], added: Vec<(i64, String, String)>) -> Result<()> {
        let Some(index) = self.ready(kb_id).await else { return Ok(()) };
        let removed: Vec<u64> = removed.iter().map(|id| *id as u64).collect();
        let added: Vec<(u64, String)> =
            added.into_iter().map(|(id, path, text)| (id as u64, keyword_text(&path, &text))).collect();
        let applied = blocking(move || index.apply(&removed, &added)).await;
        if applied.is_err() {
            // Its commit did not happen: rebuild it from the database on next use.
            self.shared.slots.remove(kb_id);
        }
        applied
    }

    /// Drops a knowledge base's index and its files (the knowledge base was deleted).
    pub fn forget(&self, kb_id: &str) {
        self.shared.slots.remove(kb_id);
        KeywordIndex::delete(&self.shared.dir_of(kb_id));
    }

    /// The index once loaded; None if its load failed.
    async fn ready(&self, kb_id: &str) -> Option<Arc<KeywordIndex>> {
        let mut slot = self.shared.slot(kb_id);
        match slot.wait_for(|p| !matches!(p, Phase::Loading)).await.map(|p| p.clone()) {
            Ok(Phase::Ready(index)) => Some(index),
            _ => None,
        }
    }
}

/// Rebuilds wait while this lives ([`Keywords::pause_rebuilds`]).
pub struct RebuildsPaused(Arc<Shared>);

impl Drop for RebuildsPaused {
    fn drop(&mut self) {
        self.0.rebuilds_open.send_replace(true);
    }
}

impl Shared {
    /// The slot of a knowledge base; a new one starts its load in a task of its own.
    fn slot(self: &Arc<Self>, kb_id: &str) -> Slot {
        let (shared, id) = (self.clone(), kb_id.to_owned());
        self.slots.get_or_load(kb_id, Phase::Loading, move |phase| async move {
            match shared.load(&id).await {
                Ok(index) => {
                    phase.send_replace(Phase::Ready(index));
                }
                Err(e) => {
                    if !matches!(e, Error::NotFound(_)) {
                        tracing::error!(kb = %id, error = ?e, "loading a keyword index failed");
                    }
                    shared.slots.remove_if(&id, &phase.subscribe());
                    phase.send_replace(Phase::Failed);
                }
            }
        })
    }

    /// The index from its directory, or rebuilt from the chunk texts.
    async fn load(&self, kb_id: &str) -> Result<Arc<KeywordIndex>> {
        let started = std::time::Instant::now();
        self.db.knowledge_base(kb_id).await?.ok_or(Error::NotFound("knowledge base"))?;
        let f = self.db.chunk_fingerprint(kb_id).await?;
        let expected = Fingerprint { count: f.count, max_id: f.max_id, checksum: f.checksum };
        let dir = self.dir_of(kb_id);
        let opened = {
            let dir = dir.clone();
            blocking(move || KeywordIndex::open(&dir, &expected)).await?
        };
        if let Some(index) = opened {
            let ms = started.elapsed().as_millis() as u64;
            tracing::info!(kb = kb_id, chunks = index.len(), ms, "keyword index opened");
            return Ok(Arc::new(index));
        }
        let _turn = self.builds.acquire().await.map_err(Error::internal)?;
        let _ = self.rebuilds_open.subscribe().wait_for(|open| *open).await;
        let started = std::time::Instant::now();
        let mut builder = blocking(move || KeywordIndex::build(&dir)).await?;
        let mut after = 0;
        loop {
            let page = self.db.chunk_texts(kb_id, after, REBUILD_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            let items: Vec<(u64, String)> =
                page.into_iter().map(|(id, _, path, text)| (id as u64, keyword_text(&path, &text))).collect();
            builder = blocking(move || builder.add(&items).map(|()| builder)).await?;
        }
        let index = blocking(move || builder.finish()).await?;
        #[cfg(test)]
        self.rebuilt.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let ms = started.elapsed().as_millis() as u64;
        tracing::info!(kb = kb_id, chunks = index.len(), ms, "keyword index rebuilt");
        Ok(Arc::new(index))
    }

    /// Knowledge base ids are UUIDs: letters, digits and '-', which directory names accept.
    fn dir_of(&self, kb_id: &str) -> PathBuf {
        self.dir.join(format!("kb-{kb_id}"))
    }
}
