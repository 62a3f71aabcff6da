//! In-process vector index for one knowledge base (an HNSW graph, `webplus-ann`: our inserts,
//! searches on a flat copy of it). Its keyword index (Tantivy) is in `index/keyword.rs`.
//!
//! The database is the source of truth; this index is a cache of it. Ids are the database row ids
//! of chunks. The graph has no delete, so a removed id stays in the graph as a tombstone and is
//! filtered out of every search; [`VectorIndex::needs_rebuild`] says when to rebuild from the
//! database. Persistence (with a fingerprint to detect a stale file) is in `index/persist.rs`.
//!
//! Thread safety: searches and inserts run concurrently (the graph inserts through `&self` with
//! a lock per point). Saving and rebuilding hold the write gate, so inserts and removes
//! wait for them while searches carry on.

mod keyword;
mod live;
mod persist;
mod scan;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};
use webplus_ann::Graph;

use crate::{Error, Result};

pub use keyword::{KeywordBuilder, KeywordIndex, keyword_text};
pub use persist::Fingerprint;
pub use scan::ExactScan;
/// The distance kernel (`1 - dot` of unit vectors), for callers that score vectors themselves.
pub use webplus_ann::{UnitCosine, dot};

/// The graph has at most this many layers.
const MAX_LAYERS: usize = 16;

/// Tuning for one index. The defaults target 384-d sentence embeddings (MiniLM) and knowledge
/// bases of up to some hundred thousand chunks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexParams {
    /// Links per node and layer (M; layer 0 keeps 2·M). 24 rather than the usual 16: 384-d
    /// embeddings have a high intrinsic dimension, and each extra link costs only 8 bytes a node.
    pub max_nb_connection: usize,
    /// Candidate list while building. 200 is the common recall/build-time knee.
    pub ef_construction: usize,
    /// Candidate list while searching (raised to k when k is larger). Recall@10 measured on 10k
    /// uniformly random 384-d unit vectors (the worst case): ef 96 → 0.74, 128 → 0.82, 200 → 0.93,
    /// 400 → 0.99; on 100k clustered ones (docs/BENCHMARKS.md, with queries/s) ef 16 → 0.97,
    /// 32 → 0.998, 64 and up → 1.000. Real embeddings lie in between; a query costs far less than
    /// embedding it, so 200.
    pub ef_search: usize,
    /// Rebuild when tombstones exceed this share of the entries.
    pub max_tombstone_ratio: f32,
}

impl Default for IndexParams {
    fn default() -> Self {
        Self { max_nb_connection: 24, ef_construction: 200, ef_search: 200, max_tombstone_ratio: 0.2 }
    }
}

/// Which graph entries are live. The graph's data ids are our dense entry numbers, not row ids, so an
/// id inserted again (e.g. an edited chunk) gets a fresh entry and its old vector dies with it.
#[derive(Default)]
struct Entries {
    /// Entry number → row id.
    rows: Vec<u64>,
    /// Row id → its live entry number.
    live: HashMap<u64, usize>,
}

impl Entries {
    fn is_live(&self, entry: usize) -> bool {
        self.rows.get(entry).is_some_and(|row| self.live.get(row) == Some(&entry))
    }
}

pub struct VectorIndex {
    dims: usize,
    params: IndexParams,
    graph: RwLock<Graph>,
    entries: RwLock<Entries>,
    /// Inserts and removes hold it shared; save and rebuild exclusively, for a consistent snapshot.
    gate: RwLock<()>,
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("dims", &self.dims)
            .field("entries", &self.len())
            .field("live", &self.live())
            .finish()
    }
}

impl VectorIndex {
    pub fn new(dims: usize, params: IndexParams) -> Self {
        Self::from_parts(dims, params, new_graph(&params, 0), Entries::default())
    }

    fn from_parts(dims: usize, params: IndexParams, graph: Graph, entries: Entries) -> Self {
        Self { dims, params, graph: RwLock::new(graph), entries: RwLock::new(entries), gate: RwLock::new(()) }
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn params(&self) -> IndexParams {
        self.params
    }

    /// Changes the candidate list of later searches. The graph does not depend on it, so one
    /// index can be measured at several values (benches/vector_index).
    pub fn set_ef_search(&mut self, ef_search: usize) {
        self.params.ef_search = ef_search;
    }

    /// Adds `id` (or replaces its vector). A removed id becomes visible again.
    pub fn insert(&self, id: u64, vector: &[f32]) -> Result<()> {
        self.insert_batch(&[(id, vector.to_vec())])
    }

    /// Adds many vectors, in parallel (rayon) when there are enough of them to pay off.
    pub fn insert_batch(&self, items: &[(u64, Vec<f32>)]) -> Result<()> {
        let items: Vec<(u64, Vec<f32>)> =
            items.iter().map(|(id, v)| Ok((*id, unit(self.dims, v)?))).collect::<Result<_>>()?;
        let _gate = read(&self.gate);
        let first = {
            let mut entries = write(&self.entries);
            let first = entries.rows.len();
            entries.rows.extend(items.iter().map(|(id, _)| *id));
            first
        };
        // Not yet live: searches skip these entries until they are published below.
        let batch: Vec<(&[f32], usize)> =
            items.iter().enumerate().map(|(i, (_, v))| (v.as_slice(), first + i)).collect();
        {
            let graph = read(&self.graph);
            if batch.len() >= 64 {
                graph.parallel_insert(batch);
            } else {
                batch.iter().for_each(|&(v, entry)| graph.insert(v, entry));
            }
        }
        let mut entries = write(&self.entries);
        for (i, (id, _)) in items.iter().enumerate() {
            entries.live.insert(*id, first + i);
        }
        Ok(())
    }

    /// Hides `id` from searches. Returns whether it was live.
    pub fn remove(&self, id: u64) -> bool {
        let _gate = read(&self.gate);
        write(&self.entries).live.remove(&id).is_some()
    }

    /// The `k` nearest live ids with their cosine similarity, best first. Returns min(k, live)
    /// results unless the graph cannot reach them (only if it is very sparse).
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<(u64, f32)>> {
        let query = &unit(self.dims, query)?;
        let graph = read(&self.graph);
        let entries = read(&self.entries);
        let total = entries.rows.len();
        let want = k.min(entries.live.len());
        if want == 0 {
            return Ok(Vec::new());
        }
        let live = entries.live.len();
        // No filter inside the graph search (hnsw_rs's `search_filter`, when it searched, never
        // took its early exit and explored most of the graph: 10k entries, ~50× slower). Instead
        // ask for enough extra neighbours to cover the expected share of tombstones, drop those,
        // and widen if that was not enough.
        let mut asked = ((k * total).div_ceil(live) + if total > live { 8 } else { 0 }).min(total);
        loop {
            let ef = self.params.ef_search.max(asked);
            let found: Vec<(u64, f32)> = graph
                .search(query, asked, ef)
                .into_iter()
                .filter(|n| entries.is_live(n.d_id))
                .take(k)
                .map(|n| (entries.rows[n.d_id], 1.0 - n.distance))
                .collect();
            if found.len() >= want || asked >= total {
                return Ok(found);
            }
            asked = (asked * 2).min(total);
        }
    }

    /// Graph entries, tombstones included.
    pub fn len(&self) -> usize {
        read(&self.entries).rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Ids a search can return.
    pub fn live(&self) -> usize {
        read(&self.entries).live.len()
    }

    /// Entries no search returns any more (removed, or replaced by a newer vector).
    pub fn tombstones(&self) -> usize {
        let entries = read(&self.entries);
        entries.rows.len() - entries.live.len()
    }

    /// Tombstones have piled up: searches waste work on them and the files carry them.
    pub fn needs_rebuild(&self) -> bool {
        let total = self.len();
        total > 0 && self.tombstones() as f32 > self.params.max_tombstone_ratio * total as f32
    }

    /// Replaces the contents with `items` (typically every chunk of the knowledge base, read from
    /// the database). Searches keep using the old graph until the new one is complete; inserts and
    /// removes wait.
    pub fn rebuild_from(&self, items: impl IntoIterator<Item = (u64, Vec<f32>)>) -> Result<()> {
        let items: Vec<(u64, Vec<f32>)> = items.into_iter().collect();
        let _gate = write(&self.gate);
        let fresh = Self::new(self.dims, self.params);
        fresh.insert_batch(&items)?;
        let (graph, entries) = fresh.into_parts();
        let mut old_graph = write(&self.graph);
        let mut old_entries = write(&self.entries);
        *old_graph = graph;
        *old_entries = entries;
        Ok(())
    }

    fn into_parts(self) -> (Graph, Entries) {
        (into_inner(self.graph), into_inner(self.entries))
    }
}

/// Validates `v` (of `dims` dimensions) and returns it scaled to unit length.
fn unit(dims: usize, v: &[f32]) -> Result<Vec<f32>> {
    if v.len() != dims {
        return Err(Error::invalid("vector", format!("has {} dimensions; this index takes {dims}", v.len())));
    }
    // A NaN would make every distance to it NaN and the graph's order meaningless: refuse it.
    if !v.iter().all(|x| x.is_finite()) {
        return Err(Error::invalid("vector", "contains NaN or infinite values"));
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return Err(Error::invalid("vector", "has no direction (zero length)"));
    }
    Ok(v.iter().map(|x| x / norm).collect())
}

fn new_graph(params: &IndexParams, capacity: usize) -> Graph {
    Graph::new(graph_params(params), capacity.max(1_000))
}

fn graph_params(params: &IndexParams) -> webplus_ann::Params {
    webplus_ann::Params {
        max_nb_connection: params.max_nb_connection,
        max_layers: MAX_LAYERS,
        ef_construction: params.ef_construction,
    }
}

// A panic while a lock was held cannot leave our data half-updated (each write is one assignment
// or push), so poisoning is ignored.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

fn into_inner<T>(lock: RwLock<T>) -> T {
    lock.into_inner().unwrap_or_else(|e| e.into_inner())
}
