//! Saving and loading a [`VectorIndex`].
//!
//! Files per index in the data dir, under a fresh *generation* name each time the graph changed:
//! `NAME.GEN.flat` (the graph: the search copy, read at load; the graph to insert into is made
//! from it when the index is next written to), and our sidecar `NAME.index.json` (dims, params, the caller's fingerprint of the database state, the
//! generation, entry → row id table, tombstones). Every file is synced before the sidecar is
//! written and renamed into place, so the sidecar is the commit point: a crash mid-save leaves
//! the previous generation in force, and files of other generations are deleted after a commit.
//!
//! Loading reads the sidecar and the flat copy only (one sequential read, checked by CRC-32 and
//! bounds), which is what keeps start-up with a large index short (docs/BENCHMARKS.md).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Entries, Graph, IndexParams, VectorIndex, graph_params, new_graph, read, write};
use crate::{Error, Result};

/// 1: hnsw_rs files with SHA-256 sums, reloaded at load. 2: generations with a flat copy (until
/// 2026-12-06 beside hnsw_rs's files, which are no longer written or read; the next save of a
/// changed graph deletes them).
const FORMAT: u32 = 2;

/// What the database looked like when the index was saved, computed by the caller (e.g. chunk
/// count, max chunk id and a checksum of the ids). A loaded index is only used if it matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub count: u64,
    pub max_id: u64,
    pub checksum: u64,
}

impl Fingerprint {
    /// The fingerprint of a set of row ids (each given once).
    pub fn of_ids(ids: impl Iterator<Item = u64>) -> Self {
        let (mut count, mut max_id, mut checksum) = (0, 0, 0u64);
        for id in ids {
            count += 1;
            max_id = max_id.max(id);
            checksum = checksum.wrapping_add(id);
        }
        Self { count, max_id, checksum }
    }
}

#[derive(Serialize, Deserialize)]
struct Sidecar {
    format: u32,
    dims: usize,
    params: IndexParams,
    fingerprint: Fingerprint,
    /// The generation whose graph files hold the entries; None for an empty index (no files).
    generation: Option<String>,
    /// Entry number → row id.
    rows: Vec<u64>,
    /// Entry numbers that are tombstones.
    dead: Vec<usize>,
}

impl VectorIndex {
    /// Writes the index to `dir` under `name` (letters, digits, `-`, `_`), tagged with the
    /// fingerprint of the database state it reflects. Inserts and removes wait; searches do not.
    /// When the graph is unchanged since it was loaded from or saved to these files (only
    /// removals since), only the sidecar is rewritten.
    #[tracing::instrument(skip(self), err)]
    pub fn save(&self, dir: &Path, name: &str, fingerprint: &Fingerprint) -> Result<()> {
        check_name(name)?;
        let _gate = write(&self.gate);
        let graph = read(&self.graph);
        let entries = read(&self.entries);
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::internal(anyhow::anyhow!("creating {}: {e}", dir.display())))?;
        let generation = if entries.rows.is_empty() {
            None
        } else if let Some(current) = current_generation(&graph, dir, name) {
            Some(current)
        } else {
            let generation = uuid::Uuid::new_v4().simple().to_string();
            graph.save(dir, &format!("{name}.{generation}")).map_err(Error::internal)?;
            Some(generation)
        };
        let live: std::collections::HashSet<usize> = entries.live.values().copied().collect();
        let sidecar = Sidecar {
            format: FORMAT,
            dims: self.dims,
            params: self.params,
            fingerprint: *fingerprint,
            generation: generation.clone(),
            rows: entries.rows.clone(),
            dead: (0..entries.rows.len()).filter(|e| !live.contains(e)).collect(),
        };
        let json = serde_json::to_vec(&sidecar).map_err(Error::internal)?;
        write_atomically(&dir.join(format!("{name}.index.json")), &json).map_err(Error::internal)?;
        remove_files_except(dir, name, generation.as_deref());
        Ok(())
    }

    /// Loads the index saved under `name`, or None if it is missing, damaged, or was saved for
    /// another database state than `expected` (the caller then rebuilds from the database).
    /// Errors only when the files exist but cannot be read (permissions, I/O).
    #[tracing::instrument(err)]
    pub fn load(dir: &Path, name: &str, expected: &Fingerprint) -> Result<Option<VectorIndex>> {
        check_name(name)?;
        let started = std::time::Instant::now();
        let bytes = match std::fs::read(dir.join(format!("{name}.index.json"))) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::internal(e)),
        };
        let sidecar = match serde_json::from_slice::<Sidecar>(&bytes) {
            Ok(s) if s.format == FORMAT => s,
            Ok(_) => return Ok(stale(name, "another format")),
            // Format 1 sidecars lack `generation` and fail here too: rebuilt once after upgrade.
            Err(e) => return Ok(stale(name, &format!("unreadable sidecar: {e}"))),
        };
        if sidecar.fingerprint != *expected {
            return Ok(stale(name, "fingerprint differs from the database"));
        }
        let Some(entries) = entries_from(&sidecar) else {
            return Ok(stale(name, "inconsistent entry table"));
        };
        let sidecar_ms = started.elapsed().as_millis() as u64;
        let graph = match &sidecar.generation {
            None if sidecar.rows.is_empty() => new_graph(&sidecar.params, 0),
            None => return Ok(stale(name, "entries without graph files")),
            Some(generation) if !is_generation(generation) => return Ok(stale(name, "bad generation name")),
            Some(generation) => {
                let basename = format!("{name}.{generation}");
                match Graph::open(dir, &basename, graph_params(&sidecar.params)) {
                    Ok(graph) => graph,
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidData) => {
                        return Ok(stale(name, &format!("search copy not usable: {e}")));
                    }
                    Err(e) => return Err(Error::internal(e)),
                }
            }
        };
        if graph.len() != sidecar.rows.len() {
            return Ok(stale(name, "graph size differs from the entry table"));
        }
        tracing::debug!(index = name, sidecar_ms, total_ms = started.elapsed().as_millis() as u64, "index files read");
        Ok(Some(VectorIndex::from_parts(sidecar.dims, sidecar.params, graph, entries)))
    }

    /// Deletes every file of the index saved under `name` (the knowledge base is gone).
    pub fn delete_files(dir: &Path, name: &str) {
        let _ = std::fs::remove_file(dir.join(format!("{name}.index.json")));
        remove_files_except(dir, name, None);
    }
}

/// The generation of the files that already hold `graph` under `dir`/`name`, if any (and they
/// are all still there).
fn current_generation(graph: &Graph, dir: &Path, name: &str) -> Option<String> {
    let (saved_dir, basename) = graph.saved_at()?;
    let generation = basename.strip_prefix(name)?.strip_prefix('.').filter(|g| is_generation(g))?;
    let present = dir.join(format!("{basename}.flat")).is_file();
    (saved_dir == dir && present).then(|| generation.to_owned())
}

fn stale(name: &str, why: &str) -> Option<VectorIndex> {
    tracing::info!(index = name, why, "saved vector index not used");
    None
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok { Ok(()) } else { Err(Error::invalid("name", "use letters, digits, '-' and '_' only")) }
}

/// Generations are 32 lowercase hex digits; anything else in a sidecar is not a file name of ours.
fn is_generation(g: &str) -> bool {
    g.len() == 32 && g.bytes().all(|b| b.is_ascii_hexdigit())
}

fn entries_from(sidecar: &Sidecar) -> Option<Entries> {
    let mut dead = vec![false; sidecar.rows.len()];
    for &e in &sidecar.dead {
        *dead.get_mut(e)? = true;
    }
    let mut live = HashMap::with_capacity(sidecar.rows.len() - sidecar.dead.len().min(sidecar.rows.len()));
    for (entry, &row) in sidecar.rows.iter().enumerate() {
        if !dead[entry] && live.insert(row, entry).is_some() {
            return None; // two live entries for one row
        }
    }
    Some(Entries { rows: sidecar.rows.clone(), live })
}

/// Removes the graph files of `name` that are not of generation `keep` (older generations, the
/// format-1 files, leftovers of a save that crashed), and hnsw_rs's files of `keep` itself (saved
/// before 2026-12-06, never read now). Not the sidecar.
fn remove_files_except(dir: &Path, name: &str, keep: Option<&str>) {
    let Ok(listing) = std::fs::read_dir(dir) else { return };
    let prefix = format!("{name}.");
    let sidecar = format!("{name}.index.json");
    let kept = keep.map(|g| format!("{name}.{g}."));
    for entry in listing.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let ours = file.starts_with(&prefix) && file != sidecar;
        let kept = kept.as_ref().is_some_and(|k| file.starts_with(k.as_str())) && !file.contains(".hnsw.");
        if ours && !kept {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    // Make the rename itself durable (best effort: not every platform can sync a directory).
    if let Some(dir) = path.parent() {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}
