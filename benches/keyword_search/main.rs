//! Keyword search at 100,000 chunks (issue 13 §2), side by side in one run:
//! - Web+'s keyword index (`webplus::index::KeywordIndex`, Tantivy in process), what retrieval uses;
//! - SQLite FTS5 as Web+ used it before (`Db::keyword_search`: BM25 over `chunks_fts` joined to
//!   `chunks`), still the answer while a keyword index is rebuilt;
//! - Tantivy through its Python package (`tantivy` from PyPI, in a venv under ~/.cache/webplus,
//!   installed on first use), the maintained engine a user could pick instead.
//!
//! Data: the SiteChat bench's generated text (Zipf-distributed words, 60 per chunk) and 300
//! six-word queries, seeded. Each query asks for the top 40 (what hybrid retrieval takes from each
//! method), on one thread, one query at a time; 3 rounds, each engine's percentiles are the median
//! of its rounds. Run: `cargo bench -p webplus --bench keyword_search` (writes its section of
//! docs/BENCHMARKS.md; `N=20000` for a quick run, docs left alone).

#[path = "../doc_section.rs"]
mod doc_section;
#[path = "../python_child.rs"]
mod python_child;
#[path = "../python_venv.rs"]
mod python_venv;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::{Rng, SeedableRng, rngs::StdRng};
use webplus::index::KeywordIndex;
use webplus::storage::{Db, NewChunk, NewDocument, UserStatus};

const FULL: usize = 100_000;
const CHUNKS_PER_DOC: usize = 100;
const QUERIES: usize = 300;
const K: usize = 40;
const ROUNDS: usize = 3;

/// Words with a Zipf-like spread, as `server/benches/sitechat.rs` writes them.
fn words(rng: &mut StdRng, n: usize) -> String {
    (0..n).map(|_| format!("w{}", (rng.random::<f64>().powi(3) * 20_000.0) as u32)).collect::<Vec<_>>().join(" ")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("N").map_or(Ok(FULL), |v| v.parse())?;
    let mut rng = StdRng::seed_from_u64(7);
    let texts: Vec<String> = (0..n).map(|_| words(&mut rng, 60)).collect();
    let queries: Vec<String> = (0..QUERIES).map(|_| words(&mut rng, 6)).collect();
    let dir = tempfile::tempdir()?;

    // Web+: ids are line numbers + 1, as the baseline script numbers them.
    let started = Instant::now();
    let mut builder = KeywordIndex::build(&dir.path().join("webplus"))?;
    let items: Vec<(u64, String)> = texts.iter().enumerate().map(|(i, t)| (i as u64 + 1, t.clone())).collect();
    builder.add(&items)?;
    let ours = builder.finish()?;
    let ours_build = started.elapsed().as_secs_f64();
    println!("Web+ keyword index: {n} chunks in {ours_build:.1} s");

    // SQLite FTS5, written as ingestion writes chunks (the triggers fill chunks_fts).
    let db = Db::connect(&webplus::settings::sqlite_url_in(dir.path())).await?;
    let user = db.create_user("bench@x.io", "h", None, UserStatus::Active).await?;
    let kb = db.create_knowledge_base(&user.id, "bench", "test:hashed", 4).await?;
    let started = Instant::now();
    let mut line_of: HashMap<i64, u64> = HashMap::with_capacity(n);
    for (d, batch) in texts.chunks(CHUNKS_PER_DOC).enumerate() {
        let url = format!("https://bench.example/{d}");
        let doc = NewDocument {
            kb_id: &kb.id,
            source: "web",
            url: Some(&url),
            file_name: None,
            kind: "html",
            title: "bench",
            content_hash: "bench",
            bytes: 0,
            job_id: None,
        };
        let doc = db.insert_document(&doc).await?;
        let chunks: Vec<NewChunk> = batch
            .iter()
            .enumerate()
            .map(|(ord, t)| NewChunk { ord, heading_path: String::new(), text: t.clone(), embedding: vec![0.5; 4] })
            .collect();
        let (_, added) = db.replace_chunks(&kb.id, &doc.id, &chunks).await?;
        for (i, id) in added.into_iter().enumerate() {
            line_of.insert(id, (d * CHUNKS_PER_DOC + i) as u64 + 1);
        }
    }
    let fts_write = started.elapsed().as_secs_f64();
    println!("SQLite: {n} chunks with their FTS5 rows in {fts_write:.1} s");
    let terms: Vec<Vec<String>> =
        queries.iter().map(|q| webplus::sitechat::keyword_query(q).unwrap_or_default()).collect();

    // Tantivy from Python.
    let python = match python_venv::python("tantivy", &["tantivy"], "tantivy") {
        Ok(p) => p,
        Err(e) => {
            eprintln!("Tantivy baseline unavailable: {e:#}\n(needs python3 with venv and pip)");
            return Ok(());
        }
    };
    std::fs::write(dir.path().join("texts.txt"), texts.join("\n"))?;
    std::fs::write(dir.path().join("queries.txt"), queries.join("\n"))?;
    let index_dir = dir.path().join("tantivy-py");
    std::fs::create_dir_all(&index_dir)?;
    let args = [dir.path().join("texts.txt"), dir.path().join("queries.txt"), index_dir, K.to_string().into()];
    let (mut tantivy, started_msg) =
        python_child::PythonChild::start(&python, "benches/keyword_search/tantivy_baseline.py", &args)?;
    // "tantivy v0.27.0, index_format v7"
    let py_version = started_msg["version"].as_str().unwrap_or("?").trim_start_matches("tantivy ").to_owned();
    let py_build = started_msg["build_secs"].as_f64().unwrap_or(f64::NAN);
    println!("Tantivy (Python) {py_version}: built in {py_build:.1} s");

    // Rounds, the three engines in turn.
    let mut rounds: [Vec<Pcts>; 3] = Default::default();
    for round in 0..ROUNDS {
        let mut lat = Vec::with_capacity(QUERIES);
        for q in &queries {
            let t = Instant::now();
            std::hint::black_box(ours.search(q, K)?);
            lat.push(t.elapsed());
        }
        rounds[0].push(Pcts::of(lat));
        let mut lat = Vec::with_capacity(QUERIES);
        for t in &terms {
            let started = Instant::now();
            std::hint::black_box(db.keyword_search(&kb.id, t, K as u32).await?);
            lat.push(started.elapsed());
        }
        rounds[1].push(Pcts::of(lat));
        let us = tantivy.ask("round")?;
        let lat = us["us"]
            .as_array()
            .context("no latencies")?
            .iter()
            .map(|v| Duration::from_secs_f64(v.as_f64().unwrap_or(f64::NAN) / 1e6))
            .collect();
        rounds[2].push(Pcts::of(lat));
        println!(
            "round {round}: p50/p99 Web+ {} / {}, FTS5 {} / {}, Tantivy (Python) {} / {}",
            ms(rounds[0][round].p50),
            ms(rounds[0][round].p99),
            ms(rounds[1][round].p50),
            ms(rounds[1][round].p99),
            ms(rounds[2][round].p50),
            ms(rounds[2][round].p99)
        );
    }

    // Agreement of the result lists (ids as line numbers).
    let py_top: Vec<Vec<u64>> = serde_json::from_value(tantivy.ask("top")?["top"].clone())?;
    drop(tantivy);
    let mut vs_py = 0.0;
    let mut vs_fts = 0.0;
    for (i, q) in queries.iter().enumerate() {
        let mine: Vec<u64> = ours.search(q, 10)?.into_iter().map(|h| h.0).collect();
        let fts: Vec<u64> = db
            .keyword_search(&kb.id, &terms[i], 10)
            .await?
            .iter()
            .filter_map(|(id, _)| line_of.get(id).copied())
            .collect();
        vs_py += overlap(&mine, &py_top[i][..py_top[i].len().min(10)]);
        vs_fts += overlap(&mine, &fts);
    }
    let (vs_py, vs_fts) = (vs_py / QUERIES as f64, vs_fts / QUERIES as f64);
    println!("top-10 overlap: with Tantivy (Python) {vs_py:.3}, with FTS5 {vs_fts:.3}");

    let med = |engine: usize| Pcts::median(&rounds[engine]);
    let (o, f, p) = (med(0), med(1), med(2));
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let date = time::OffsetDateTime::now_utc().date();
    let report = format!(
        "## Keyword search at {n} chunks (`cargo bench -p webplus --bench keyword_search`)\n\n\
         Release build, {cores} cores ({cpu}), {date}. {n} chunks of 60 Zipf-distributed words (the SiteChat \
         bench's text), {QUERIES} six-word queries, top {K} each (what hybrid retrieval takes per method), \
         one thread, one query at a time; median of {ROUNDS} rounds.\n\n\
         | engine | p50 | p90 | p99 | index build |\n|---|---|---|---|---|\n\
         | **Web+ keyword index** (Tantivy in process, what retrieval uses) | {} | {} | {} | {ours_build:.1} s |\n\
         | SQLite FTS5 as Web+ used it (BM25 over `chunks_fts` ⋈ `chunks`; the answer while an index is rebuilt) | {} | {} | {} | {fts_write:.1} s (rows written with their FTS rows) |\n\
         | Tantivy {py_version} through its Python package (`en_stem`, per-call time inside Python) | {} | {} | {} | {py_build:.1} s |\n\n\
         Web+ p99 / Tantivy (Python) p99: **{:.2}×** (lower is faster). Agreement of the top 10: {:.0}% of \
         Web+'s ids are in Tantivy (Python)'s top 10, {:.0}% in FTS5's (FTS5 scores BM25 with its own IDF \
         and per-column lengths, so ties and near-ties order differently).\n",
        ms(o.p50),
        ms(o.p90),
        ms(o.p99),
        ms(f.p50),
        ms(f.p90),
        ms(f.p99),
        ms(p.p50),
        ms(p.p90),
        ms(p.p99),
        o.p99.as_secs_f64() / p.p99.as_secs_f64(),
        vs_py * 100.0,
        vs_fts * 100.0,
        cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    );
    println!("\n{report}");
    if n == FULL {
        doc_section::write_section(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/BENCHMARKS.md"),
            "keyword_search",
            &report,
        )?;
    }
    db.close().await;
    Ok(())
}

/// Share of `a`'s ids that `b` has too (1 when both are empty).
fn overlap(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() {
        return if b.is_empty() { 1.0 } else { 0.0 };
    }
    a.iter().filter(|id| b.contains(id)).count() as f64 / a.len() as f64
}

#[derive(Clone, Copy)]
struct Pcts {
    p50: Duration,
    p90: Duration,
    p99: Duration,
}

impl Pcts {
    fn of(mut lat: Vec<Duration>) -> Self {
        lat.sort();
        let at = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
        Self { p50: at(0.5), p90: at(0.9), p99: at(0.99) }
    }

    /// Each percentile's median over the rounds.
    fn median(rounds: &[Pcts]) -> Self {
        let mid = |f: fn(&Pcts) -> Duration| {
            let mut v: Vec<Duration> = rounds.iter().map(f).collect();
            v.sort();
            v[v.len() / 2]
        };
        Self { p50: mid(|p| p.p50), p90: mid(|p| p.p90), p99: mid(|p| p.p99) }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}
