//! One in-memory vector index per knowledge base, loaded on first use (from its files if they
//! match the database, else rebuilt from the stored embeddings) and saved back when changed.
//!
//! A load runs in a task of its own, so a caller that gives up (a closed connection) does not
//! cancel it. While a graph is rebuilt, searches are answered by an exact scan of the stored
//! vectors ([`ExactScan`], read first and then fed to the build) instead of waiting for it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

#[cfg(test)]
mod tests;

use super::slots::{Slots, blocking, lock};
use crate::{
    Error, Result,
    index::{ExactScan, Fingerprint, IndexParams, VectorIndex},
    storage::Db,
};

/// Rows read per query while reading the stored vectors.
const REBUILD_PAGE: u32 = 5_000;

/// Where a knowledge base's index stands.
#[derive(Clone)]
enum Phase {
    /// Reading its files, or the stored vectors.
    Loading,
    /// The graph is being built from these vectors; searches scan them meanwhile.
    Scanning(Arc<ExactScan>),
    Ready(Arc<VectorIndex>),
    /// Loading failed (logged). The slot is gone: the next use tries again.
    Failed(Arc<Error>),
}

type Slot = watch::Receiver<Phase>;

pub struct Indexes {
    shared: Arc<Shared>,
}

struct Shared {
    dir: PathBuf,
    db: Db,
    slots: Slots<Phase>,
    /// Changed since last saved.
    dirty: Mutex<HashSet<String>>,
    /// Tests hold builds here (false) to search while a graph is being built.
    #[cfg(test)]
    builds_open: watch::Sender<bool>,
}

impl Indexes {
    pub fn new(dir: PathBuf, db: Db) -> Self {
        let shared = Shared {
            dir,
            db,
            slots: Slots::default(),
            dirty: Mutex::default(),
            #[cfg(test)]
            builds_open: watch::Sender::new(true),
        };
        Self { shared: Arc::new(shared) }
    }

    /// The index of a knowledge base, loading or rebuilding it on first use and waiting until it
    /// is complete. Concurrent callers share one load.
    pub async fn get(&self, kb_id: &str) -> Result<Arc<VectorIndex>> {
        match self.reached(kb_id, |p| matches!(p, Phase::Ready(_) | Phase::Failed(_))).await? {
            Phase::Ready(index) => Ok(index),
            phase => Err(failure(phase)),
        }
    }

    /// The `k` chunks nearest to `vector` (id, cosine similarity), best first: from the graph
    /// when it is ready, by exact scan while it is being built.
    pub async fn search(&self, kb_id: &str, vector: Vec<f32>, k: usize) -> Result<Vec<(u64, f32)>> {
        match self.reached(kb_id, |p| !matches!(p, Phase::Loading)).await? {
            Phase::Ready(index) => blocking(move || index.search(&vector, k)).await,
            Phase::Scanning(scan) => blocking(move || scan.search(&vector, k)).await,
            phase => Err(failure(phase)),
        }
    }

    /// Starts loading a knowledge base's index if nothing has, and waits until it can answer
    /// searches: loaded from its files, or its stored vectors read for exact scans while its
    /// graph is built.
    pub async fn searchable(&self, kb_id: &str) -> Result<()> {
        match self.reached(kb_id, |p| !matches!(p, Phase::Loading)).await? {
            phase @ Phase::Failed(_) => Err(failure(phase)),
            _ => Ok(()),
        }
    }

    /// Waits until the knowledge base's index reaches a phase `done` accepts, starting its load
    /// when nothing has.
    async fn reached(&self, kb_id: &str, done: impl FnMut(&Phase) -> bool) -> Result<Phase> {
        let mut slot = self.shared.slot(kb_id);
        let reached = slot.wait_for(done).await.map(|phase| phase.clone());
        let phase = match reached {
            Ok(phase) => phase,
            Err(_) => {
                // The load's task ended without a result (it panicked): the next use tries again.
                self.shared.slots.remove_if(kb_id, &slot);
                return Err(Error::internal(anyhow::anyhow!("the vector index load of {kb_id} stopped")));
            }
        };
        Ok(phase)
    }

    /// Whether a search of this knowledge base would be answered by exact scan right now (the
    /// graph is being built).
    #[cfg(test)]
    fn scanning(&self, kb_id: &str) -> bool {
        self.shared.slots.read(kb_id, |p| matches!(p, Phase::Scanning(_))).unwrap_or(false)
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
            self.shared.slots.remove(kb_id);
        }
        self.shared.mark_dirty(kb_id);
        Ok(())
    }

    /// Drops a knowledge base's index (it was deleted or re-embedded) and its files.
    pub fn forget(&self, kb_id: &str) {
        self.shared.slots.remove(kb_id);
        lock(&self.shared.dirty).remove(kb_id);
        VectorIndex::delete_files(&self.shared.dir, &file_name(kb_id));
    }

    /// Saves one index if it changed since it was last saved (an index still loading has nothing
    /// to save yet: it is marked changed when it is ready).
    pub async fn save(&self, kb_id: &str) -> Result<()> {
        let ready = self.shared.slots.read(kb_id, |p| match p {
            Phase::Ready(index) => Some(index.clone()),
            _ => None,
        });
        let ready = ready.flatten();
        let Some(index) = ready else { return Ok(()) };
        if !lock(&self.shared.dirty).remove(kb_id) {
            return Ok(());
        }
        let (dir, name) = (self.shared.dir.clone(), file_name(kb_id));
        let result = blocking(move || {
            let fingerprint = index.live_fingerprint();
            index.save(&dir, &name, &fingerprint)
        })
        .await;
        if result.is_err() {
            self.shared.mark_dirty(kb_id);
        }
        result
    }

    pub async fn save_all(&self) {
        let dirty: Vec<String> = lock(&self.shared.dirty).iter().cloned().collect();
        for kb in dirty {
            if let Err(e) = self.save(&kb).await {
                tracing::error!(kb = %kb, error = ?e, "saving a vector index failed");
            }
        }
    }
}

impl Shared {
    /// The slot of a knowledge base; a new one starts its load in a task of its own.
    fn slot(self: &Arc<Self>, kb_id: &str) -> Slot {
        let (shared, id) = (self.clone(), kb_id.to_owned());
        self.slots.get_or_load(kb_id, Phase::Loading, move |phase| async move { shared.load(id, phase).await })
    }

    async fn load(&self, kb_id: String, phase: watch::Sender<Phase>) {
        match self.load_or_build(&kb_id, &phase).await {
            Ok((index, building)) => {
                phase.send_replace(Phase::Ready(index));
                if building.is_some() {
                    // Built, not saved yet. Only then is the build counted as over.
                    self.mark_dirty(&kb_id);
                }
            }
            Err(e) => {
                tracing::error!(kb = %kb_id, error = ?e, "loading a vector index failed");
                // The next use tries again, unless the slot was replaced meanwhile.
                self.slots.remove_if(&kb_id, &phase.subscribe());
                phase.send_replace(Phase::Failed(Arc::new(e)));
            }
        }
    }

    /// A knowledge base's stored vectors, in id order: its ids split into one range per core, each
    /// read page by page in a task of its own (so on a connection and a core of its own). Decoding
    /// the rows is most of what a first start waits for. The last range is open-ended, so chunks
    /// added since `ids` was read are read too, as a single reader would have.
    async fn read_vectors(&self, kb_id: &str, ids: std::ops::RangeInclusive<i64>) -> Result<Vec<(i64, Vec<f32>)>> {
        let parts = std::thread::available_parallelism().map_or(1, usize::from) as i64;
        let (first, last) = (*ids.start(), *ids.end());
        let width = ((last - first + 1) / parts).max(1);
        let reads = (0..parts).map(|part| {
            // Ids in `after + 1 ..= up_to`.
            let after = if part == 0 { i64::MIN } else { first - 1 + part * width };
            let up_to = if part == parts - 1 { i64::MAX } else { first - 1 + (part + 1) * width };
            let (db, kb_id) = (self.db.clone(), kb_id.to_owned());
            tokio::spawn(async move {
                let (mut rows, mut after) = (Vec::new(), after);
                loop {
                    let page = db.chunk_vectors(&kb_id, after, up_to, REBUILD_PAGE).await?;
                    let Some(last) = page.last() else { break };
                    after = last.0;
                    rows.extend(page);
                }
                Ok::<_, Error>(rows)
            })
        });
        let parts = futures::future::try_join_all(reads).await.map_err(Error::internal)?;
        Ok(parts.into_iter().collect::<Result<Vec<_>>>()?.concat())
    }

    /// The index from its files, or built from the stored vectors (then with the build's gauge).
    async fn load_or_build(
        &self,
        kb_id: &str,
        phase: &watch::Sender<Phase>,
    ) -> Result<(Arc<VectorIndex>, Option<Building>)> {
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
            return Ok((Arc::new(index), None));
        }
        let mut scan = ExactScan::new(dims);
        // A vector of other dimensions is left from an interrupted model switch: skip it.
        for (id, v) in self.read_vectors(kb_id, f.min_id as i64..=f.max_id as i64).await? {
            if v.len() == dims {
                scan.push(id as u64, &v)?;
            }
        }
        let scan = Arc::new(scan);
        tracing::info!(
            kb = kb_id,
            chunks = scan.len(),
            ms = started.elapsed().as_millis() as u64,
            "vectors read; searches scan them until the index is built"
        );
        // Counted before any search can see the scan, so a caller answered by it sees the gauge.
        let building = Building::start();
        phase.send_replace(Phase::Scanning(scan.clone()));
        #[cfg(test)]
        let _ = self.builds_open.subscribe().wait_for(|open| *open).await;
        let index = Arc::new(VectorIndex::new(dims, IndexParams::default()));
        for batch in 0..scan.batches() {
            let (scan, index) = (scan.clone(), index.clone());
            blocking(move || scan.insert_into(&index, batch)).await?;
        }
        tracing::info!(
            kb = kb_id,
            chunks = index.live(),
            ms = started.elapsed().as_millis() as u64,
            "vector index rebuilt"
        );
        Ok((index, Some(building)))
    }

    fn mark_dirty(&self, kb_id: &str) {
        lock(&self.dirty).insert(kb_id.to_owned());
    }
}

/// The gauge `webplus_vector_indexes_building`: graphs being built (searches of their knowledge
/// bases scan meanwhile), decremented however the build ends.
struct Building;

impl Building {
    fn start() -> Self {
        metrics::gauge!("webplus_vector_indexes_building").increment(1.0);
        Self
    }
}

impl Drop for Building {
    fn drop(&mut self) {
        metrics::gauge!("webplus_vector_indexes_building").decrement(1.0);
    }
}

/// What a failed load tells its waiters: a knowledge base deleted meanwhile is not found; anything
/// else was logged where it happened.
fn failure(phase: Phase) -> Error {
    match phase {
        Phase::Failed(e) if matches!(*e, Error::NotFound(_)) => Error::NotFound("knowledge base"),
        _ => Error::internal(anyhow::anyhow!("the vector index could not be loaded")),
    }
}

/// Knowledge base ids are UUIDs: letters, digits and '-', which index file names accept.
fn file_name(kb_id: &str) -> String {
    format!("kb-{kb_id}")
}
