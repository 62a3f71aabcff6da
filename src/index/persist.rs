//! Saving and loading a [`VectorIndex`].
//!
//! Three files per index in the data dir: hnsw_rs's `NAME.hnsw.graph` and `NAME.hnsw.data`, and
//! our sidecar `NAME.index.json` (dims, params, the caller's fingerprint of the database state,
//! SHA-256 of both hnsw files, entry → row id table, tombstones). The sidecar is written last
//! and renamed into place, so it is the commit point: a crash mid-save leaves hashes that do not
//! match and the next load reports the index as missing (rebuild from the database).

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Entries, Graph, IndexParams, VectorIndex, new_graph, read, write};
use crate::{Error, Result};

const FORMAT: u32 = 1;

/// What the database looked like when the index was saved, computed by the caller (e.g. chunk
/// count, max chunk id and a checksum of the ids). A loaded index is only used if it matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub count: u64,
    pub max_id: u64,
    pub checksum: u64,
}

#[derive(Serialize, Deserialize)]
struct Sidecar {
    format: u32,
    dims: usize,
    params: IndexParams,
    fingerprint: Fingerprint,
    /// SHA-256 of the graph and data files; None for an empty index (no hnsw files).
    graph_sha256: Option<String>,
    data_sha256: Option<String>,
    /// Entry number → row id.
    rows: Vec<u64>,
    /// Entry numbers that are tombstones.
    dead: Vec<usize>,
}

impl VectorIndex {
    /// Writes the index to `dir` under `name` (letters, digits, `-`, `_`), tagged with the
    /// fingerprint of the database state it reflects. Inserts and removes wait; searches do not.
    #[tracing::instrument(skip(self), err)]
    pub fn save(&self, dir: &Path, name: &str, fingerprint: &Fingerprint) -> Result<()> {
        check_name(name)?;
        let _gate = write(&self.gate);
        let graph = read(&self.graph);
        let entries = read(&self.entries);
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display())).map_err(Error::internal)?;
        let (graph_sha256, data_sha256) = if entries.rows.is_empty() {
            remove_files(dir, name);
            (None, None)
        } else {
            let (g, d) = dump(&graph, dir, name).map_err(Error::internal)?;
            (Some(g), Some(d))
        };
        let live: std::collections::HashSet<usize> = entries.live.values().copied().collect();
        let sidecar = Sidecar {
            format: FORMAT,
            dims: self.dims,
            params: self.params,
            fingerprint: *fingerprint,
            graph_sha256,
            data_sha256,
            rows: entries.rows.clone(),
            dead: (0..entries.rows.len()).filter(|e| !live.contains(e)).collect(),
        };
        let json = serde_json::to_vec(&sidecar).map_err(Error::internal)?;
        write_atomically(&dir.join(format!("{name}.index.json")), &json).map_err(Error::internal)?;
        Ok(())
    }

    /// Loads the index saved under `name`, or None if it is missing, damaged, or was saved for
    /// another database state than `expected` (the caller then rebuilds from the database).
    /// Errors only when the files exist but cannot be read (permissions, I/O).
    #[tracing::instrument(err)]
    pub fn load(dir: &Path, name: &str, expected: &Fingerprint) -> Result<Option<VectorIndex>> {
        check_name(name)?;
        let bytes = match std::fs::read(dir.join(format!("{name}.index.json"))) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::internal(e)),
        };
        let sidecar: Sidecar = match serde_json::from_slice(&bytes) {
            Ok(s) => s,
            Err(e) => return Ok(stale(name, &format!("unreadable sidecar: {e}"))),
        };
        if sidecar.format != FORMAT {
            return Ok(stale(name, "older format"));
        }
        if sidecar.fingerprint != *expected {
            return Ok(stale(name, "fingerprint differs from the database"));
        }
        let Some(entries) = entries_from(&sidecar) else {
            return Ok(stale(name, "inconsistent entry table"));
        };
        let graph = match (&sidecar.graph_sha256, &sidecar.data_sha256) {
            (None, None) if sidecar.rows.is_empty() => new_graph(&sidecar.params, 0),
            (Some(g), Some(d)) => {
                for (ext, sum) in [("graph", g), ("data", d)] {
                    match sha256_file(&dir.join(format!("{name}.hnsw.{ext}"))) {
                        Ok(actual) if actual == *sum => {}
                        Ok(_) => return Ok(stale(name, "hnsw file does not match its checksum")),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            return Ok(stale(name, "hnsw file missing"));
                        }
                        Err(e) => return Err(Error::internal(e)),
                    }
                }
                match reload(dir, name) {
                    Some(graph) => graph,
                    None => return Ok(stale(name, "hnsw_rs could not reload the files")),
                }
            }
            _ => return Ok(stale(name, "inconsistent sidecar")),
        };
        if graph.len() != sidecar.rows.len() {
            return Ok(stale(name, "graph size differs from the entry table"));
        }
        Ok(Some(VectorIndex::from_parts(sidecar.dims, sidecar.params, graph, entries)))
    }
}

fn stale(name: &str, why: &str) -> Option<VectorIndex> {
    tracing::info!(index = name, why, "saved vector index not used");
    None
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok { Ok(()) } else { Err(Error::invalid("name", "use letters, digits, '-' and '_' only")) }
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

/// Dumps under a temporary name, then renames into place. Returns the files' SHA-256.
fn dump(graph: &Graph, dir: &Path, name: &str) -> anyhow::Result<(String, String)> {
    let tmp = format!("{name}.tmp");
    remove_files(dir, &tmp);
    // hnsw_rs panics instead of returning an error when it cannot create its files.
    let used = catch_unwind(AssertUnwindSafe(|| graph.file_dump(dir, &tmp)))
        .map_err(|_| anyhow::anyhow!("hnsw_rs panicked while writing {}", dir.display()))??;
    let mut sums = Vec::new();
    for ext in ["graph", "data"] {
        let from = dir.join(format!("{used}.hnsw.{ext}"));
        std::fs::File::open(&from)?.sync_all()?;
        sums.push(sha256_file(&from)?);
        std::fs::rename(&from, dir.join(format!("{name}.hnsw.{ext}")))?;
    }
    let data = sums.pop().unwrap_or_default();
    let graph = sums.pop().unwrap_or_default();
    Ok((graph, data))
}

/// Reloads the graph with its data in memory (no mmap). Returns None if hnsw_rs fails or panics
/// (it asserts on bad magic numbers and dimensions instead of returning errors).
fn reload(dir: &Path, name: &str) -> Option<Graph> {
    match catch_unwind(|| Graph::load(dir, name)) {
        Ok(Ok(graph)) => Some(graph),
        Ok(Err(e)) => {
            tracing::warn!(index = name, error = %e, "hnsw_rs could not reload the index");
            None
        }
        Err(_) => {
            tracing::warn!(index = name, "hnsw_rs panicked while reloading the index");
            None
        }
    }
}

fn remove_files(dir: &Path, basename: &str) {
    for ext in ["graph", "data"] {
        let _ = std::fs::remove_file(dir.join(format!("{basename}.hnsw.{ext}")));
    }
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

fn write_atomically(path: &PathBuf, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}
