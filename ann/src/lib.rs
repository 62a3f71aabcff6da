//! The ANN graph behind `webplus::index`: hnsw_rs over unit vectors with [`UnitCosine`].
//!
//! Why a crate of its own: hnsw_rs is generic over the distance, so its search and insert code is
//! compiled (monomorphised) in the crate that names `Hnsw<f32, UnitCosine>`. Named inside the
//! engine crate, that code was built at the engine's dev opt-level 0 even though dependencies get
//! opt-level 2: 45 searches/s instead of 600 in every test that builds an index. Here, behind
//! non-generic, non-`#[inline]` methods, it is compiled once in this crate, which the root
//! Cargo.toml builds optimised in dev too.

mod distance;

use std::path::Path;

use hnsw_rs::prelude::{AnnT, Hnsw, HnswIo, ReloadOptions};

pub use distance::{UnitCosine, dot};
pub use hnsw_rs::prelude::Neighbour;

/// An HNSW graph of unit vectors. Data ids are the caller's (dense) entry numbers.
pub struct Graph(Hnsw<'static, f32, UnitCosine>);

impl Graph {
    /// `max_nb_connection` is M (layer 0 keeps 2·M); `capacity` is a sizing hint, not a limit.
    pub fn new(max_nb_connection: usize, capacity: usize, max_layers: usize, ef_construction: usize) -> Self {
        Self(Hnsw::new(max_nb_connection, capacity, max_layers, ef_construction, UnitCosine))
    }

    /// Inserts one vector under `id` (through `&self`: hnsw_rs locks internally).
    pub fn insert(&self, vector: &[f32], id: usize) {
        self.0.insert_slice((vector, id));
    }

    /// Inserts many vectors on the rayon pool.
    pub fn parallel_insert(&self, items: Vec<(&[f32], usize)>) {
        self.0.parallel_insert_slice(&items);
    }

    /// The `k` nearest vectors, nearest first, exploring `ef` candidates on layer 0.
    pub fn search(&self, query: &[f32], k: usize, ef: usize) -> Vec<Neighbour> {
        self.0.search(query, k, ef)
    }

    pub fn len(&self) -> usize {
        self.0.get_nb_point()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes hnsw_rs's `.hnsw.graph` and `.hnsw.data` files; returns the basename actually used
    /// (hnsw_rs picks another one rather than overwrite files it has mapped). May panic when the
    /// files cannot be created (hnsw_rs does).
    pub fn file_dump(&self, dir: &Path, basename: &str) -> anyhow::Result<String> {
        self.0.file_dump(dir, basename)
    }

    /// Reloads a dump with its data in memory (no mmap). May panic on damaged files (hnsw_rs
    /// asserts on magic numbers and dimensions).
    pub fn load(dir: &Path, basename: &str) -> anyhow::Result<Self> {
        // `load_hnsw` ties the graph's lifetime to its `HnswIo` even when, as here without mmap,
        // the graph owns all its data. Leak the loader deliberately, once per load: it is a path,
        // a name and a few flags (about 100 bytes) and holds no file or mapping.
        let io: &'static mut HnswIo =
            Box::leak(Box::new(HnswIo::new_with_options(dir, basename, ReloadOptions::default())));
        Ok(Self(io.load_hnsw::<f32, UnitCosine>()?))
    }
}
