//! The ANN graph behind `webplus::index`: hnsw_rs over unit vectors with [`UnitCosine`] builds,
//! dumps and reloads the graph; searches run on a flat copy of it with our own loop (`flat.rs`,
//! `search.rs`).
//!
//! Why a crate of its own: hnsw_rs is generic over the distance, so its search and insert code is
//! compiled (monomorphised) in the crate that names `Hnsw<f32, UnitCosine>`. Named inside the
//! engine crate, that code was built at the engine's dev opt-level 0 even though dependencies get
//! opt-level 2: 45 searches/s instead of 600 in every test that builds an index. Here, behind
//! non-generic, non-`#[inline]` methods, it is compiled once in this crate, which the root
//! Cargo.toml builds optimised in dev too.

mod distance;
mod flat;
mod search;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use hnsw_rs::prelude::{AnnT, Hnsw, HnswIo, ReloadOptions};

pub use distance::{UnitCosine, dot};
pub use hnsw_rs::prelude::Neighbour;

use flat::Flat;

/// An HNSW graph of unit vectors. Data ids are the caller's (dense) entry numbers.
///
/// hnsw_rs builds the graph (inserts, parallel inserts, dump and reload); searches run on a flat
/// copy of it ([`flat`]) with our own search loop, several times faster than hnsw_rs's. Vectors
/// inserted since the copy was taken are `pending`: searched by brute force and merged, until
/// enough pile up to be worth a new copy (taken by the insert that crosses the threshold, so
/// searches never wait for one).
pub struct Graph {
    hnsw: Hnsw<'static, f32, UnitCosine>,
    /// Inserts hold it shared while hnsw_rs links a point; a copy holds it exclusively, so it
    /// never sees a half-linked point and `pending` is exactly what the copy lacks.
    linking: RwLock<()>,
    snapshot: RwLock<Snapshot>,
}

#[derive(Default)]
struct Snapshot {
    flat: Arc<Flat>,
    /// Inserted since `flat` was copied: (data id, unit vector).
    pending: Vec<(usize, Vec<f32>)>,
}

/// A new copy is taken when the pending vectors reach this many, or 1/128 of the copy if that is
/// more: scanning them costs each search about as much as a beam search at a small ef, and the
/// copy (linear in the graph) is then paid for once per 1/128 of growth.
const MIN_PENDING: usize = 256;

impl Graph {
    /// `max_nb_connection` is M (layer 0 keeps 2·M); `capacity` is a sizing hint, not a limit.
    pub fn new(max_nb_connection: usize, capacity: usize, max_layers: usize, ef_construction: usize) -> Self {
        Self::from_hnsw(Hnsw::new(max_nb_connection, capacity, max_layers, ef_construction, UnitCosine))
    }

    fn from_hnsw(hnsw: Hnsw<'static, f32, UnitCosine>) -> Self {
        let graph = Self { hnsw, linking: RwLock::new(()), snapshot: RwLock::new(Snapshot::default()) };
        graph.refresh();
        graph
    }

    /// Inserts one vector under `id` (through `&self`: hnsw_rs locks internally).
    pub fn insert(&self, vector: &[f32], id: usize) {
        {
            let _linking = read(&self.linking);
            self.hnsw.insert_slice((vector, id));
            write(&self.snapshot).pending.push((id, vector.to_vec()));
        }
        self.refresh_if_due();
    }

    /// Inserts many vectors on the rayon pool.
    pub fn parallel_insert(&self, items: Vec<(&[f32], usize)>) {
        {
            let _linking = read(&self.linking);
            self.hnsw.parallel_insert_slice(&items);
            write(&self.snapshot).pending.extend(items.iter().map(|&(v, id)| (id, v.to_vec())));
        }
        self.refresh_if_due();
    }

    /// The `k` nearest vectors, nearest first, exploring `ef` candidates on layer 0 (`query` a
    /// unit vector). Distances are `1 - cosine` clamped to [0, 2], as hnsw_rs reports them.
    pub fn search(&self, query: &[f32], k: usize, ef: usize) -> Vec<Neighbour> {
        let snapshot = read(&self.snapshot);
        let mut found = snapshot.flat.search(query, k, ef);
        if !snapshot.pending.is_empty() {
            found.extend(snapshot.pending.iter().map(|(id, v)| (UnitCosine::distance(query, v), *id)));
            found.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            found.truncate(k);
        }
        found.into_iter().map(|(distance, d_id)| Neighbour { d_id, distance, ..Default::default() }).collect()
    }

    #[cfg(test)]
    fn flat_len(&self) -> usize {
        read(&self.snapshot).flat.len()
    }

    #[cfg(test)]
    fn pending_len(&self) -> usize {
        read(&self.snapshot).pending.len()
    }

    /// Copies hnsw_rs's graph for searches now, whatever is pending.
    pub fn refresh(&self) {
        self.refresh_when(|_| true);
    }

    fn refresh_if_due(&self) {
        let due = |s: &Snapshot| s.pending.len() >= MIN_PENDING.max(s.flat.len() / 128);
        if due(&read(&self.snapshot)) {
            self.refresh_when(due);
        }
    }

    /// Inserts wait while the graph is copied; searches carry on with the previous copy.
    fn refresh_when(&self, due: impl Fn(&Snapshot) -> bool) {
        let _linking = write(&self.linking);
        // Another insert may have refreshed while this one waited for the lock.
        if !due(&read(&self.snapshot)) {
            return;
        }
        let flat = Arc::new(Flat::from_hnsw(&self.hnsw));
        let old = {
            let mut snapshot = write(&self.snapshot);
            std::mem::replace(&mut *snapshot, Snapshot { flat, pending: Vec::new() })
        };
        drop(old); // freed outside the lock
    }

    pub fn len(&self) -> usize {
        self.hnsw.get_nb_point()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes hnsw_rs's `.hnsw.graph` and `.hnsw.data` files; returns the basename actually used
    /// (hnsw_rs picks another one rather than overwrite files it has mapped). May panic when the
    /// files cannot be created (hnsw_rs does).
    pub fn file_dump(&self, dir: &Path, basename: &str) -> anyhow::Result<String> {
        self.hnsw.file_dump(dir, basename)
    }

    /// Reloads a dump with its data in memory (no mmap). May panic on damaged files (hnsw_rs
    /// asserts on magic numbers and dimensions).
    pub fn load(dir: &Path, basename: &str) -> anyhow::Result<Self> {
        // `load_hnsw` ties the graph's lifetime to its `HnswIo` even when, as here without mmap,
        // the graph owns all its data. Leak the loader deliberately, once per load: it is a path,
        // a name and a few flags (about 100 bytes) and holds no file or mapping.
        let io: &'static mut HnswIo =
            Box::leak(Box::new(HnswIo::new_with_options(dir, basename, ReloadOptions::default())));
        Ok(Self::from_hnsw(io.load_hnsw::<f32, UnitCosine>()?))
    }
}

// A panic while a lock was held leaves nothing half-updated (each write is one push or one
// assignment), so poisoning is ignored.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}
