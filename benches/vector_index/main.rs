//! Benchmark (not a test): the per-knowledge-base HNSW index side by side with hnswlib (the C++
//! library's Python package) on the same 100,000 clustered 384-d unit vectors (see `data.rs` for
//! exactly what they are) and 1,000 held-out queries, with the same M / ef_construction and an
//! ef_search sweep: recall@10 against brute force and single-thread queries/s, searches of the two
//! interleaved and repeated (best of the rounds) so that other load hits both alike. Also build
//! time, save/load, and queries/s with tombstones. Writes its section of docs/BENCHMARKS.md.
//!
//! Run: `cargo bench -p webplus --bench vector_index`. Needs `python3` (hnswlib is installed into
//! a venv under ~/.cache/webplus on first use). `N=20000` for a quick run (docs left alone).

mod baseline;
mod data;
#[path = "../doc_section.rs"]
mod doc_section;
#[path = "../python_child.rs"]
mod python_child;
#[path = "../python_venv.rs"]
mod python_venv;
mod report;

use std::path::Path;
use std::time::Instant;

use webplus::index::{Fingerprint, IndexParams, VectorIndex};

use crate::report::Row;

/// The server's allocator (server/src/main.rs): the index is built and searched in its process.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const DIMS: usize = 384;
const K: usize = 10;
const FULL: usize = 100_000;
const QUERIES: usize = 1_000;
const EFS: [usize; 7] = [10, 16, 32, 64, 100, 200, 400];
const ROUNDS: usize = 2;

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("N").map_or(Ok(FULL), |v| v.parse())?;
    let params = IndexParams::default();
    let mut mixture = data::Mixture::new(DIMS, 7);
    let (base, queries) = (mixture.draw(n), mixture.draw(QUERIES));
    let t = Instant::now();
    let truth = data::ground_truth(&base, &queries, DIMS, K);
    println!("data: {n} + {QUERIES} queries x {DIMS}-d; brute-force top-{K}: {:.1?}", t.elapsed());
    let dir = tempfile::tempdir()?;
    data::write_files(dir.path(), &base, &queries, &truth)?;

    let mut ours = VectorIndex::new(DIMS, params);
    let items: Vec<(u64, Vec<f32>)> =
        base.chunks_exact(DIMS).enumerate().map(|(i, v)| (i as u64, v.to_vec())).collect();
    let t = Instant::now();
    ours.insert_batch(&items)?;
    let ours_build = t.elapsed().as_secs_f64();
    println!("Web+ build: {ours_build:.1} s");

    let python = baseline::python();
    let mut lib = match &python {
        Ok(python) => {
            baseline::Hnswlib::build(python, dir.path(), DIMS, params.max_nb_connection, params.ef_construction)?
        }
        Err(e) => {
            eprintln!("hnswlib baseline unavailable: {e:#}\n(needs python3 with venv and pip, and g++)");
            return Ok(());
        }
    };
    println!("hnswlib {} build: {:.1} s", lib.version, lib.build_secs);

    let query_rows: Vec<&[f32]> = queries.chunks_exact(DIMS).collect();
    let mut rows: Vec<Row> = Vec::new();
    for round in 0..ROUNDS {
        for (i, &ef) in EFS.iter().enumerate() {
            ours.set_ef_search(ef);
            let (recall, qps) = measure(&ours, &query_rows, &truth)?;
            let theirs = lib.search(ef)?;
            println!(
                "round {round} ef {ef:>3}: Web+ {recall:.3} / {qps:>6.0} q/s   hnswlib {:.3} / {:>6.0} q/s (batch {:.0})",
                theirs.recall, theirs.qps, theirs.qps_batch
            );
            if round == 0 {
                rows.push(Row {
                    ef,
                    ours_recall: recall,
                    ours_qps: 0.0,
                    lib_recall: theirs.recall,
                    lib_qps: 0.0,
                    lib_qps_batch: 0.0,
                });
            }
            let row = &mut rows[i];
            row.ours_qps = row.ours_qps.max(qps);
            row.lib_qps = row.lib_qps.max(theirs.qps);
            row.lib_qps_batch = row.lib_qps_batch.max(theirs.qps_batch);
        }
    }
    let (lib_build, lib_version) = (lib.build_secs, lib.version.clone());
    drop(lib);
    ours.set_ef_search(params.ef_search);

    let extras = save_load_and_tombstones(&mut ours, &query_rows, n)?;
    let table = report::table(&rows);
    println!("\n{table}\n{extras}");
    if n == FULL {
        let python_version = python.ok().and_then(|p| {
            std::process::Command::new(p)
                .arg("--version")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        });
        let setup = Setup { params, ours_build, lib_build, lib_version, python: python_version.unwrap_or_default() };
        let body = doc(&rows, &table, &extras, &setup);
        doc_section::write_section(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/BENCHMARKS.md"),
            "vector_index",
            &body,
        )?;
    }
    Ok(())
}

/// Recall@K and queries/s of one pass over the queries, one thread, one `search` call each.
fn measure(index: &VectorIndex, queries: &[&[f32]], truth: &[Vec<u32>]) -> anyhow::Result<(f64, f64)> {
    let t = Instant::now();
    let mut found = Vec::with_capacity(queries.len());
    for q in queries {
        found.push(index.search(q, K)?);
    }
    let qps = queries.len() as f64 / t.elapsed().as_secs_f64();
    let hits: usize =
        found.iter().zip(truth).map(|(f, t)| f.iter().filter(|(id, _)| t.contains(&(*id as u32))).count()).sum();
    Ok((hits as f64 / (queries.len() * K) as f64, qps))
}

/// Save/load of the full index, then queries/s at the default ef_search with every 7th vector
/// removed (14% tombstones: searches over-fetch to make up for them) against none.
fn save_load_and_tombstones(index: &mut VectorIndex, queries: &[&[f32]], n: usize) -> anyhow::Result<String> {
    let mut out = String::new();
    let dir = tempfile::tempdir()?;
    let fp = Fingerprint { count: n as u64, max_id: n as u64 - 1, checksum: 0 };
    let t = Instant::now();
    index.save(dir.path(), "kb", &fp)?;
    let save = t.elapsed();
    let mut bytes = 0;
    for entry in std::fs::read_dir(dir.path())? {
        bytes += entry?.metadata()?.len();
    }
    let t = Instant::now();
    let loaded =
        VectorIndex::load(dir.path(), "kb", &fp)?.ok_or_else(|| anyhow::anyhow!("saved index did not load"))?;
    let load = t.elapsed();
    anyhow::ensure!(loaded.search(queries[0], K)? == index.search(queries[0], K)?, "loaded index differs");
    drop(loaded);
    out += &format!("- Save: {save:.2?}, load: {load:.2?}, files: {:.0} MB.\n", bytes as f64 / 1e6);

    let qps = |index: &VectorIndex| -> anyhow::Result<f64> {
        let t = Instant::now();
        for q in queries {
            std::hint::black_box(index.search(q, K)?);
        }
        Ok(queries.len() as f64 / t.elapsed().as_secs_f64())
    };
    let clean = qps(index)?;
    for id in (0..n as u64).step_by(7) {
        index.remove(id);
    }
    let dead = qps(index)?;
    out += &format!(
        "- Tombstones (ef_search {}): {clean:.0} q/s with none, {dead:.0} q/s with every 7th vector removed (14%).\n",
        index.params().ef_search
    );
    Ok(out)
}

/// What the doc says about how both indexes were built.
struct Setup {
    params: IndexParams,
    ours_build: f64,
    lib_build: f64,
    lib_version: String,
    python: String,
}

fn doc(rows: &[Row], table: &str, extras: &str, s: &Setup) -> String {
    let (ours, theirs) = report::at_recall(rows, 0.95);
    let goal = match (ours, theirs) {
        (Some(o), Some(t)) => format!(
            "Cheapest sweep point with recall@10 ≥ 0.95: Web+ ef {} ({:.3}, {:.0} q/s), hnswlib ef {} ({:.3}, {:.0} q/s): \
             **{:.2}×** hnswlib's queries/s (goal ≥ 1.0×).",
            o.ef,
            o.ours_recall,
            o.ours_qps,
            t.ef,
            t.lib_recall,
            t.lib_qps,
            o.ours_qps / t.lib_qps
        ),
        _ => "Neither reached recall@10 0.95 on the sweep.".to_string(),
    };
    format!(
        "## Vector index vs hnswlib (`cargo bench -p webplus --bench vector_index`)\n\n\
         Data: {FULL} vectors + {QUERIES} held-out queries, 384-d, unit length, seeded: a mixture of {} Gaussian \
         clusters (popularity ∝ 1/√rank), each a random unit centre plus its own random {}-d subspace with standard \
         deviations 0.35·0.95^j (anisotropic) plus isotropic noise of norm ~0.5, normalised (`benches/vector_index/data.rs`). \
         Nearest neighbour cosine ~0.70, 10th ~0.62. Ground truth: exact top-10 by brute force.\n\n\
         Both: M = {}, ef_construction = {}, distance 1 − dot; built on all cores (2); searched on one thread, \
         k = 10, one call per query (hnswlib: `knn_query` per query from Python after `set_num_threads(1)`; the last \
         column is one `knn_query` call for all queries, still one thread, without Python's per-call overhead). \
         Searches of the two interleaved, {ROUNDS} rounds, best queries/s kept. hnswlib {}, {}.\n\n\
         {table}\n{goal}\n\n\
         - Build, one each, ours first: Web+ {:.1} s ({:.0} inserts/s), hnswlib {:.1} s ({:.0} inserts/s): \
         **{:.2}×** hnswlib's inserts/s (goal ≥ 1.0×).\n{extras}\n\
         Machine: {} cores, {}. Measured {}.\n",
        data::CLUSTERS,
        data::SUB_DIMS,
        s.params.max_nb_connection,
        s.params.ef_construction,
        s.lib_version,
        s.python,
        s.ours_build,
        FULL as f64 / s.ours_build,
        s.lib_build,
        FULL as f64 / s.lib_build,
        s.lib_build / s.ours_build,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        doc_section::cpu_model(),
        time::OffsetDateTime::now_utc().date(),
    )
}
