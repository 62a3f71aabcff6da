//! One in-memory vector index per knowledge base, loaded on first use (from its files if they
//! match the database, else rebuilt from the stored embeddings) and saved back when changed.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

use crate::{
    Error, Result,
    index::{Fingerprint, IndexParams, VectorIndex},
    storage::Db,
};

/// Rows read per query while rebuilding.
const REBUILD_PAGE: u32 = 2_000;

type Slot = Arc<OnceCell<Arc<VectorIndex>>>;

pub struct Indexes {
    dir: PathBuf,
    db: Db,
    slots: Mutex<HashMap<String, Slot>>,
    /// Changed since last saved.
    dirty: Mutex<HashSet<String>>,
}

impl Indexes {
    pub fn new(dir: PathBuf, db: Db) -> Self {
        Self { dir, db, slots: Mutex::default(), dirty: Mutex::default() }
    }

    /// The index of a knowledge base, loading or rebuilding it on first use. Concurrent callers
    /// share one load.
    pub async fn get(&self, kb_id: &str) -> Result<Arc<VectorIndex>> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            slots.entry(kb_id.to_owned()).or_default().clone()
        };
        slot.get_or_try_init(|| self.load(kb_id)).await.cloned()
    }

    async fn load(&self, kb_id: &str) -> Result<Arc<VectorIndex>> {
        let started = std::time::Instant::now();
        let kb = self.db.knowledge_base(kb_id).await?.ok_or(Error::NotFound("knowledge base"))?;
        let dims = kb.embedding_dims as usize;
        let f = self.db.chunk_fingerprint(kb_id).await?;
        let fingerprint_ms = started.elapsed().as_millis() as u64;
        let expected = Fingerprint { count: f.count, max_id: f.max_id, checksum: f.checksum };
        let (dir, name) = (self.dir.clone(), file_name(kb_id));
        let loaded = blocking(move || VectorIndex::load(&dir, &name, &expected)).await?;
        if let Some(index) = loaded.filter(|i| i.dims() == dims) {
            tracing::info!(
                kb = kb_id,
                chunks = index.live(),
                fingerprint_ms,
                ms = started.elapsed().as_millis() as u64,
                "vector index loaded"
            );
            return Ok(Arc::new(index));
        }
        let index = Arc::new(VectorIndex::new(dims, IndexParams::default()));
        let mut after = 0;
        loop {
            let page = self.db.chunk_vectors(kb_id, after, REBUILD_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            // A vector of other dimensions is left from an interrupted model switch: skip it.
            let items: Vec<(u64, Vec<f32>)> =
                page.into_iter().filter(|(_, v)| v.len() == dims).map(|(id, v)| (id as u64, v)).collect();
            let target = index.clone();
            blocking(move || target.insert_batch(&items)).await?;
        }
        tracing::info!(
            kb = kb_id,
            chunks = index.live(),
            ms = started.elapsed().as_millis() as u64,
            "vector index rebuilt"
        );
        self.mark_dirty(kb_id);
        Ok(index)
    }

    /// Adds vectors (new chunks) and hides removed chunk ids; visible to the next search.
    pub async fn apply(&self, kb_id: &str, removed: &[i64], added: Vec<(u64, Vec<f32>)>) -> Result<()> {
        let index = self.get(kb_id).await?;
        let removed: Vec<u64> = removed.iter().map(|id| *id as u64).collect();
        let over_ratio = blocking(move || {
            removed.iter().for_each(|id| {
                index.remove(*id);
            });
            if !added.is_empty() {
                index.insert_batch(&added)?;
            }
            Ok(index.needs_rebuild())
        })
        .await?;
        if over_ratio {
            // Tombstones piled up: the next search rebuilds a compact graph from the database.
            self.slots.lock().unwrap_or_else(PoisonError::into_inner).remove(kb_id);
        }
        self.mark_dirty(kb_id);
        Ok(())
    }

    /// Drops a knowledge base's index (it was deleted or re-embedded) and its files.
    pub fn forget(&self, kb_id: &str) {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner).remove(kb_id);
        self.dirty.lock().unwrap_or_else(PoisonError::into_inner).remove(kb_id);
        VectorIndex::delete_files(&self.dir, &file_name(kb_id));
    }

    fn mark_dirty(&self, kb_id: &str) {
        self.dirty.lock().unwrap_or_else(PoisonError::into_inner).insert(kb_id.to_owned());
    }

    /// Saves one index if it changed since it was last saved.
    pub async fn save(&self, kb_id: &str) -> Result<()> {
        let was_dirty = self.dirty.lock().unwrap_or_else(PoisonError::into_inner).remove(kb_id);
        let slot = self.slots.lock().unwrap_or_else(PoisonError::into_inner).get(kb_id).cloned();
        let Some(index) = slot.and_then(|s| s.get().cloned()) else { return Ok(()) };
        if !was_dirty {
            return Ok(());
        }
        let (dir, name) = (self.dir.clone(), file_name(kb_id));
        let result = blocking(move || {
            let fingerprint = index.live_fingerprint();
            index.save(&dir, &name, &fingerprint)
        })
        .await;
        if result.is_err() {
            self.mark_dirty(kb_id);
        }
        result
    }

    pub async fn save_all(&self) {
        let dirty: Vec<String> = self.dirty.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect();
        for kb in dirty {
            if let Err(e) = self.save(&kb).await {
                tracing::error!(kb = %kb, error = ?e, "saving a vector index failed");
            }
        }
    }
}

/// Knowledge base ids are UUIDs: letters, digits and '-', which index file names accept.
fn file_name(kb_id: &str) -> String {
    format!("kb-{kb_id}")
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(Error::internal)?
}
