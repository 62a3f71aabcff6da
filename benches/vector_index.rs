//! Benchmark (not a test): the per-knowledge-base HNSW index on 10,000 random unit 384-d vectors
//! (the worst case for HNSW; real embeddings cluster): build time, single-thread queries/s at
//! k = 10, recall@10 against brute force, save/load time and sizes, and queries/s with 14%
//! tombstones. Run: `cargo bench -p webplus --bench vector_index` (`EF_SEARCH=n` to try another ef).
//! The comparison with hnswlib that issue 3 asks for comes with the retrieval work.

use std::time::Instant;

use rand::{Rng, SeedableRng, rngs::StdRng};
use webplus::index::{Fingerprint, IndexParams, VectorIndex};

const DIMS: usize = 384;

fn unit_vectors(n: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let v: Vec<f32> = (0..DIMS).map(|_| rng.random_range(-1.0f32..1.0)).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        })
        .collect()
}

fn brute_force(items: &[(u64, Vec<f32>)], query: &[f32], k: usize) -> Vec<u64> {
    let mut scored: Vec<(u64, f32)> =
        items.iter().map(|(id, v)| (*id, v.iter().zip(query).map(|(a, b)| a * b).sum())).collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.into_iter().take(k).map(|(id, _)| id).collect()
}

fn main() -> anyhow::Result<()> {
    let n = 10_000;
    let items: Vec<(u64, Vec<f32>)> =
        unit_vectors(n, 7).into_iter().enumerate().map(|(i, v)| (1000 + i as u64, v)).collect();
    let mut params = IndexParams::default();
    if let Ok(ef) = std::env::var("EF_SEARCH") {
        params.ef_search = ef.parse()?;
    }
    let index = VectorIndex::new(DIMS, params);
    let t = Instant::now();
    index.insert_batch(&items)?;
    println!("build {n} x {DIMS}-d: {:.2?}", t.elapsed());

    let queries = unit_vectors(1_000, 99);
    let t = Instant::now();
    for q in &queries {
        std::hint::black_box(index.search(q, 10)?);
    }
    println!("search k=10, one thread: {:.0} queries/s", queries.len() as f64 / t.elapsed().as_secs_f64());
    let mut hits = 0;
    for q in &queries[..200] {
        let truth = brute_force(&items, q, 10);
        hits += index.search(q, 10)?.iter().filter(|(id, _)| truth.contains(id)).count();
    }
    println!("recall@10 (200 queries): {:.3}", hits as f64 / 2000.0);

    let dir = tempfile::tempdir()?;
    let fp = Fingerprint { count: n as u64, max_id: 0, checksum: 0 };
    let t = Instant::now();
    index.save(dir.path(), "kb", &fp)?;
    println!("save: {:.2?}", t.elapsed());
    for entry in std::fs::read_dir(dir.path())? {
        let entry = entry?;
        println!("  {:?}: {} bytes", entry.file_name(), entry.metadata()?.len());
    }
    let t = Instant::now();
    let loaded =
        VectorIndex::load(dir.path(), "kb", &fp)?.ok_or_else(|| anyhow::anyhow!("saved index did not load"))?;
    println!("load: {:.2?}", t.elapsed());
    anyhow::ensure!(loaded.search(&queries[0], 10)? == index.search(&queries[0], 10)?, "loaded index differs");

    for (id, _) in items.iter().step_by(7) {
        index.remove(*id);
    }
    let t = Instant::now();
    for q in &queries {
        std::hint::black_box(index.search(q, 10)?);
    }
    println!("with 14% tombstones: {:.0} queries/s", queries.len() as f64 / t.elapsed().as_secs_f64());
    Ok(())
}
