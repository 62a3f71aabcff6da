//! The ANN graph behind `webplus::index`: HNSW over unit vectors, built by our own inserts
//! (`build.rs`) and searched on a flat, frozen copy of it (`flat.rs`, `search.rs`) that is also
//! the file it is saved to.
//!
//! Why a crate of its own: the graph's hot loops are generic over closures and must be compiled
//! optimised. Named inside the engine crate, such code was built at the engine's dev opt-level 0
//! even though dependencies get opt-level 2: 45 searches/s instead of 600 in every test that
//! builds an index. Here, behind non-generic, non-`#[inline]` methods, it is compiled once in
//! this crate, which the root Cargo.toml builds optimised in dev too.

mod build;
mod distance;
mod flat;
mod search;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_build;
#[cfg(test)]
mod tests_files;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

pub use distance::{UnitCosine, dot};

use build::Build;
use flat::Flat;

/// A neighbour found by a search: the caller's data id and its distance, `1 - cosine`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Neighbour {
    pub d_id: usize,
    pub distance: f32,
}

/// An HNSW graph of unit vectors. Data ids are the caller's (dense) entry numbers.
///
/// Inserts go into the graph being built ([`build`]); searches run on a flat copy of it
/// ([`flat`]) and take no lock the inserts hold. Vectors inserted since the copy was taken are
/// `pending`: searched by brute force and merged, until enough pile up to be worth a new copy
/// (taken by the insert that crosses the threshold, so searches never wait for one).
///
/// A graph opened from files ([`Graph::open`]) has only the flat copy; the graph to insert into
/// is made from it (a copy of links and vectors, no search) when the first insert needs it.
/// Read-only knowledge bases never pay for it, in time or memory.
pub struct Graph {
    build: OnceLock<RwLock<Build>>,
    params: Params,
    /// Inserts hold it shared while they link points; a copy holds it exclusively, so it never
    /// sees a half-linked point and `pending` is exactly what the copy lacks.
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

/// The graph's construction parameters.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// M: the links a point keeps on each upper layer; layer 0 keeps 2·M.
    pub max_nb_connection: usize,
    /// Levels run from 0 to `max_layers - 1`.
    pub max_layers: usize,
    /// The candidates an insert's search keeps on each layer.
    pub ef_construction: usize,
}

/// A new copy is taken when the pending vectors reach this many, or 1/128 of the copy if that is
/// more: scanning them costs each search about as much as a beam search at a small ef, and the
/// copy (linear in the graph) is then paid for once per 1/128 of growth.
const MIN_PENDING: usize = 256;

impl Graph {
    /// `capacity` is a sizing hint, not a limit.
    pub fn new(params: Params, capacity: usize) -> Self {
        Self {
            build: OnceLock::from(RwLock::new(Build::new(params, capacity))),
            params,
            linking: RwLock::new(()),
            snapshot: RwLock::new(Snapshot::default()),
            saved_at: Mutex::new(None),
        }
    }

    /// Inserts one vector under `id`, on the calling thread.
    pub fn insert(&self, vector: &[f32], id: usize) {
        self.add(&[(vector, id)], None);
    }

    /// Inserts many vectors in parallel, on the pool of [`insert_pool`].
    pub fn parallel_insert(&self, items: Vec<(&[f32], usize)>) {
        self.add(&items, insert_pool());
    }

    fn add(&self, items: &[(&[f32], usize)], pool: Option<&rayon::ThreadPool>) {
        if items.is_empty() {
            return;
        }
        let build = self.build();
        {
            let _linking = read(&self.linking);
            *lock(&self.saved_at) = None;
            let added = write(build).append(items);
            read(build).link_all(added, pool);
            write(&self.snapshot).pending.extend(items.iter().map(|&(v, id)| (id, v.to_vec())));
        }
        self.refresh_if_due();
    }

    /// The graph to insert into, made from the flat copy on first use for a graph opened from
    /// files.
    fn build(&self) -> &RwLock<Build> {
        self.build.get_or_init(|| {
            let started = Instant::now();
            let build = Build::from_flat(&read(&self.snapshot).flat, self.params);
            tracing::info!(
                points = build.len(),
                ms = started.elapsed().as_millis() as u64,
                "made the saved graph ready for inserts"
            );
            RwLock::new(build)
        })
    }

    /// The `k` nearest vectors, nearest first, exploring `ef` candidates on layer 0 (`query` a
    /// unit vector). Distances are `1 - cosine` clamped to [0, 2].
    pub fn search(&self, query: &[f32], k: usize, ef: usize) -> Vec<Neighbour> {
        let snapshot = read(&self.snapshot);
        let mut found = snapshot.flat.search(query, k, ef);
        if !snapshot.pending.is_empty() {
            found.extend(snapshot.pending.iter().map(|(id, v)| (UnitCosine::distance(query, v), *id)));
            found.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            found.truncate(k);
        }
        found.into_iter().map(|(distance, d_id)| Neighbour { d_id, distance }).collect()
    }

    #[cfg(test)]
    fn flat_len(&self) -> usize {
        read(&self.snapshot).flat.len()
    }

    #[cfg(test)]
    fn pending_len(&self) -> usize {
        read(&self.snapshot).pending.len()
    }

    /// Whether the graph to insert into is in memory (always, unless opened from files and not
    /// written to).
    pub fn is_ready_for_inserts(&self) -> bool {
        self.build.get().is_some()
    }

    /// Copies the graph for searches now, whatever is pending.
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
        // Not made yet: nothing was inserted since the copy was read, so it is complete.
        let Some(build) = self.build.get() else { return };
        let _linking = write(&self.linking);
        // Another insert may have refreshed while this one waited for the lock.
        if !due(&read(&self.snapshot)) {
            return;
        }
        let flat = Arc::new(Flat::from_build(&read(build)));
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

    /// Writes `basename.flat`, the search copy, which is all of the graph, synced to disk. Use a
    /// basename no other graph's files have. Inserts wait; searches carry on.
    pub fn save(&self, dir: &Path, basename: &str) -> anyhow::Result<()> {
        anyhow::ensure!(!self.is_empty(), "an empty graph has nothing to save");
        let _linking = write(&self.linking);
        let flat = {
            let mut snapshot = write(&self.snapshot);
            if let Some(build) = self.build.get().filter(|_| !snapshot.pending.is_empty()) {
                *snapshot = Snapshot { flat: Arc::new(Flat::from_build(&read(build))), pending: Vec::new() };
            }
            snapshot.flat.clone()
        };
        flat.write_file(&dir.join(format!("{basename}.flat")))?;
        *lock(&self.saved_at) = Some((dir.to_path_buf(), basename.to_owned()));
        Ok(())
    }

    /// Opens a file written by [`Graph::save`]: searches work at once; the graph to insert into
    /// is made from it on the first insert. `InvalidData` when the copy is damaged.
    pub fn open(dir: &Path, basename: &str, params: Params) -> std::io::Result<Self> {
        let flat = Flat::read_file(&dir.join(format!("{basename}.flat")))?;
        Ok(Self {
            build: OnceLock::new(),
            params,
            linking: RwLock::new(()),
            snapshot: RwLock::new(Snapshot { flat: Arc::new(flat), pending: Vec::new() }),
            saved_at: Mutex::new(Some((dir.to_path_buf(), basename.to_owned()))),
        })
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

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
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
