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
#[cfg(test)]
mod tests_files;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use hnsw_rs::prelude::{AnnT, Hnsw, HnswIo, ReloadOptions};

pub use distance::{UnitCosine, dot};
pub use hnsw_rs::prelude::Neighbour;

use flat::Flat;

type HnswGraph = Hnsw<'static, f32, UnitCosine>;

/// An HNSW graph of unit vectors. Data ids are the caller's (dense) entry numbers.
///
/// hnsw_rs builds the graph (inserts, parallel inserts, dump and reload); searches run on a flat
/// copy of it ([`flat`]) with our own search loop, several times faster than hnsw_rs's. Vectors
/// inserted since the copy was taken are `pending`: searched by brute force and merged, until
/// enough pile up to be worth a new copy (taken by the insert that crosses the threshold, so
/// searches never wait for one).
///
/// A graph opened from files ([`Graph::open`]) reads only the flat copy; hnsw_rs's graph is
/// reloaded when the first insert needs it. Read-only knowledge bases never pay for it, in time
/// or memory.
pub struct Graph {
    hnsw: OnceLock<HnswGraph>,
    /// For a graph opened from files: how to get hnsw_rs's graph when it is first needed.
    lazy: Option<Lazy>,
    /// Inserts hold it shared while hnsw_rs links a point; a copy holds it exclusively, so it
    /// never sees a half-linked point and `pending` is exactly what the copy lacks.
    linking: RwLock<()>,
    snapshot: RwLock<Snapshot>,
    /// The files (directory, basename) that hold exactly this graph: set by open and save,
    /// cleared by inserts.
    saved_at: Mutex<Option<(PathBuf, String)>>,
}

#[derive(Default)]
struct Snapshot {
    flat: Arc<Flat>,
    /// Inserted since `flat` was copied: (data id, unit vector).
    pending: Vec<(usize, Vec<f32>)>,
}

/// hnsw_rs's construction parameters, kept for a graph whose hnsw_rs part is not loaded yet.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// M; layer 0 keeps 2·M.
    pub max_nb_connection: usize,
    pub max_layers: usize,
    pub ef_construction: usize,
}

struct Lazy {
    dir: PathBuf,
    basename: String,
    params: Params,
}

/// A new copy is taken when the pending vectors reach this many, or 1/128 of the copy if that is
/// more: scanning them costs each search about as much as a beam search at a small ef, and the
/// copy (linear in the graph) is then paid for once per 1/128 of growth.
const MIN_PENDING: usize = 256;

impl Graph {
    /// `capacity` is a sizing hint, not a limit.
    pub fn new(params: Params, capacity: usize) -> Self {
        let hnsw = Hnsw::new(params.max_nb_connection, capacity, params.max_layers, params.ef_construction, UnitCosine);
        Self::from_hnsw(hnsw)
    }

    fn from_hnsw(hnsw: HnswGraph) -> Self {
        let graph = Self {
            hnsw: OnceLock::from(hnsw),
            lazy: None,
            linking: RwLock::new(()),
            snapshot: RwLock::new(Snapshot::default()),
            saved_at: Mutex::new(None),
        };
        graph.refresh();
        graph
    }

    /// Inserts one vector under `id` (through `&self`: hnsw_rs locks internally).
    pub fn insert(&self, vector: &[f32], id: usize) {
        let hnsw = self.hnsw();
        {
            let _linking = read(&self.linking);
            *lock(&self.saved_at) = None;
            hnsw.insert_slice((vector, id));
            write(&self.snapshot).pending.push((id, vector.to_vec()));
        }
        self.refresh_if_due();
    }

    /// Inserts many vectors in parallel, on the pool of [`insert_pool`].
    pub fn parallel_insert(&self, items: Vec<(&[f32], usize)>) {
        let hnsw = self.hnsw();
        {
            let _linking = read(&self.linking);
            *lock(&self.saved_at) = None;
            match insert_pool() {
                Some(pool) => pool.install(|| hnsw.parallel_insert_slice(&items)),
                None => hnsw.parallel_insert_slice(&items),
            }
            write(&self.snapshot).pending.extend(items.iter().map(|&(v, id)| (id, v.to_vec())));
        }
        self.refresh_if_due();
    }

    /// hnsw_rs's graph, reloaded (or, failing that, rebuilt from the flat copy) on first use for
    /// a graph opened from files.
    fn hnsw(&self) -> &HnswGraph {
        self.hnsw.get_or_init(|| {
            let lazy = self.lazy.as_ref().expect("a graph without hnsw_rs's part was opened from files");
            lazy.materialize(&read(&self.snapshot).flat)
        })
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

    /// Whether hnsw_rs's graph is in memory (always, unless opened from files and not written to).
    pub fn is_hnsw_loaded(&self) -> bool {
        self.hnsw.get().is_some()
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
        // Not loaded: nothing was inserted since the copy was read, so it is complete.
        let Some(hnsw) = self.hnsw.get() else { return };
        let _linking = write(&self.linking);
        // Another insert may have refreshed while this one waited for the lock.
        if !due(&read(&self.snapshot)) {
            return;
        }
        let flat = Arc::new(Flat::from_hnsw(hnsw));
        let old = {
            let mut snapshot = write(&self.snapshot);
            std::mem::replace(&mut *snapshot, Snapshot { flat, pending: Vec::new() })
        };
        drop(old); // freed outside the lock
    }

    /// Points in the graph.
    pub fn len(&self) -> usize {
        let snapshot = read(&self.snapshot);
        snapshot.flat.len() + snapshot.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The files (directory, basename), as written by [`Graph::save`], that hold exactly this
    /// graph: it was opened from or saved to them and nothing was inserted since.
    pub fn saved_at(&self) -> Option<(PathBuf, String)> {
        lock(&self.saved_at).clone()
    }

    /// Writes `basename.flat` (the search copy) and hnsw_rs's `basename.hnsw.graph` and
    /// `basename.hnsw.data`, each synced to disk. Use a basename no other graph's files have.
    /// Inserts wait; searches carry on.
    pub fn save(&self, dir: &Path, basename: &str) -> anyhow::Result<()> {
        anyhow::ensure!(!self.is_empty(), "an empty graph has nothing to save");
        let hnsw = self.hnsw();
        let _linking = write(&self.linking);
        let flat = {
            let mut snapshot = write(&self.snapshot);
            if !snapshot.pending.is_empty() {
                *snapshot = Snapshot { flat: Arc::new(Flat::from_hnsw(hnsw)), pending: Vec::new() };
            }
            snapshot.flat.clone()
        };
        flat.write_file(&dir.join(format!("{basename}.flat")))?;
        // hnsw_rs panics instead of returning an error when it cannot create its files.
        let used = catch_unwind(AssertUnwindSafe(|| hnsw.file_dump(dir, basename)))
            .map_err(|_| anyhow::anyhow!("hnsw_rs panicked while writing to {}", dir.display()))??;
        for ext in ["graph", "data"] {
            let path = dir.join(format!("{used}.hnsw.{ext}"));
            std::fs::File::open(&path)?.sync_all()?;
            if used != basename {
                // hnsw_rs picks another name rather than overwrite files it has mapped.
                std::fs::rename(&path, dir.join(format!("{basename}.hnsw.{ext}")))?;
            }
        }
        *lock(&self.saved_at) = Some((dir.to_path_buf(), basename.to_owned()));
        Ok(())
    }

    /// Opens files written by [`Graph::save`]: reads only the flat copy (searches work at once);
    /// hnsw_rs's graph is reloaded on the first insert. `InvalidData` when the copy is damaged.
    pub fn open(dir: &Path, basename: &str, params: Params) -> std::io::Result<Self> {
        let flat = Flat::read_file(&dir.join(format!("{basename}.flat")))?;
        Ok(Self {
            hnsw: OnceLock::new(),
            lazy: Some(Lazy { dir: dir.to_path_buf(), basename: basename.to_owned(), params }),
            linking: RwLock::new(()),
            snapshot: RwLock::new(Snapshot { flat: Arc::new(flat), pending: Vec::new() }),
            saved_at: Mutex::new(Some((dir.to_path_buf(), basename.to_owned()))),
        })
    }
}

impl Lazy {
    /// hnsw_rs's graph from its files; if they are missing, damaged or of another size, a new
    /// one built from the copy's vectors (slow, but the copy is all the data there is).
    fn materialize(&self, flat: &Flat) -> HnswGraph {
        let started = Instant::now();
        let reason = match catch_unwind(|| reload(&self.dir, &self.basename)) {
            Ok(Ok(hnsw)) if hnsw.get_nb_point() == flat.len() => {
                tracing::info!(
                    index = %self.basename,
                    points = flat.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "reloaded the HNSW graph for inserts"
                );
                return hnsw;
            }
            Ok(Ok(hnsw)) => format!("it has {} points, the search copy {}", hnsw.get_nb_point(), flat.len()),
            Ok(Err(e)) => format!("{e:#}"),
            Err(_) => "hnsw_rs panicked reading it".to_owned(),
        };
        tracing::warn!(index = %self.basename, reason, "HNSW graph files not usable; rebuilding from the search copy");
        let p = self.params;
        let hnsw = Hnsw::new(p.max_nb_connection, flat.len().max(1_000), p.max_layers, p.ef_construction, UnitCosine);
        let points: Vec<(Vec<f32>, usize)> = flat.points().collect();
        hnsw.parallel_insert_slice(&points.iter().map(|(v, id)| (v.as_slice(), *id)).collect::<Vec<_>>());
        hnsw
    }
}

/// Reloads a dump with its data in memory (no mmap). May panic on damaged files (hnsw_rs asserts
/// on magic numbers and dimensions).
fn reload(dir: &Path, basename: &str) -> anyhow::Result<HnswGraph> {
    // `load_hnsw` ties the graph's lifetime to its `HnswIo` even when, as here without mmap, the
    // graph owns all its data. Leak the loader deliberately, once per load: it is a path, a name
    // and a few flags (about 100 bytes) and holds no file or mapping.
    let io: &'static mut HnswIo =
        Box::leak(Box::new(HnswIo::new_with_options(dir, basename, ReloadOptions::default())));
    io.load_hnsw::<f32, UnitCosine>()
}

// A panic while a lock was held leaves nothing half-updated (each write is one push or one
// assignment), so poisoning is ignored.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The threads graph inserts run on: a rayon pool of their own, one thread per core, at
/// [`background_priority`]. Not rayon's global pool, where candle runs its matrix products: a
/// query embedding queued there behind a batch of inserts for seconds (3.5 s for one query during
/// a 100k-chunk rebuild, 26 ms without). Here the two share the cores through the OS scheduler
/// instead, which favours the query.
fn insert_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("ann-insert-{i}"))
            .start_handler(|_| background_priority())
            .build();
        // Threads that cannot start leave the inserts on the caller's pool, slower but working.
        pool.inspect_err(|e| tracing::warn!(error = %e, "graph insert threads did not start")).ok()
    })
    .as_ref()
}

/// How much less CPU priority index builds run at than the process (nice steps, 19 at most).
const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread's CPU priority by [`BACKGROUND_NICE`], for building indexes: when
/// the cores are busy, the scheduler then gives most of them to answering requests (a search, its
/// query embedding, a generation) and the rest to the build, which on an idle machine runs as
/// fast as before. Threads the caller starts afterwards inherit it. Linux only; elsewhere, or if
/// the system refuses, the priority stays as it was.
pub fn background_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid, getpriority and setpriority take plain integers and touch no memory of ours;
    // they report failure by their return value, which is ignored (the priority then stays).
    unsafe {
        let thread = libc::gettid() as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, thread);
        libc::setpriority(libc::PRIO_PROCESS, thread, (now + BACKGROUND_NICE).min(19));
    }
}
