//! The local embedder (all-MiniLM-L6-v2, issue 13 §1), side by side in one run:
//! - Web+'s `LocalMiniLm` (`src/embed/minilm/bert.rs`: ragged batches without padding,
//!   half-precision weights packed once, its own matrix multiplication, attention and GELU), what
//!   ingestion and search use;
//! - ONNX Runtime (the `onnxruntime` Python package, installed into a venv by this bench) on the
//!   same model in fp32: `embedding_onnx_baseline.py` builds the ONNX file from the same
//!   safetensors once and fuses it with onnxruntime's BERT optimizer (what a user of ORT runs);
//! - candle-transformers' `BertModel` in full precision, what Web+ ran until 2026-12-03 (the
//!   same tokenizer, mean pooling and normalisation, batches of the same size).
//!
//! Queries: 200 questions of 6–14 words, one at a time (what a search embeds). Chunks: 256
//! texts of about 1,200 characters of English prose (the chunker's size), in batches of
//! `BATCH_SIZE`. All on every core, with as many threads. 3 rounds, the three interleaved; medians
//! of the rounds. Also the cosine between Web+'s vector of each text and the others'. Run:
//! `cargo bench -p webplus --bench embedding` (needs `webplus models fetch`; writes its section of
//! docs/BENCHMARKS.md; `QUICK=1` for one round, docs left alone).

#[path = "doc_section.rs"]
mod doc_section;
#[path = "python_child.rs"]
mod python_child;
#[path = "python_venv.rs"]
mod python_venv;

use std::time::Instant;

use anyhow::Context;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::Value;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};
use webplus::embed::minilm::{BATCH_SIZE, MAX_TOKENS};
use webplus::embed::{Embedder, LocalMiniLm, cosine, l2_normalize};

use python_child::PythonChild;

const QUERIES: usize = 200;
const CHUNKS: usize = 256;
const CHUNK_CHARS: usize = 1_200;

const WORDS: &[&str] = &[
    "the", "plan", "price", "seat", "yearly", "monthly", "refund", "policy", "days", "customer", "support", "account",
    "invoice", "billing", "team", "admin", "user", "access", "export", "data", "report", "upload", "document",
    "search", "answer", "question", "server", "install", "update", "release", "version", "feature", "security",
    "password", "login", "email", "contact", "office", "company", "history", "founded", "city", "product", "battery",
    "charge", "hours", "minutes", "warranty", "return", "shipping", "order", "delivery", "is", "are", "was", "can",
    "will", "with", "for", "from", "about", "after", "before", "every", "each", "and", "or", "not", "when", "how",
    "what", "which", "who", "where", "our", "your", "their", "a", "an", "of", "to", "in", "on", "by", "at", "this",
    "that", "these", "new", "old", "first", "last", "free", "paid", "limit",
];

fn sentence(rng: &mut StdRng, words: usize) -> String {
    let mut s: String = (0..words).map(|_| WORDS[rng.random_range(0..WORDS.len())]).collect::<Vec<_>>().join(" ");
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s
}

/// candle-transformers' BERT, as Web+ ran it before: full precision, padded to the batch's longest.
struct Baseline {
    bert: BertModel,
    tokenizer: Tokenizer,
}

impl Baseline {
    fn load(dir: &std::path::Path) -> anyhow::Result<Self> {
        let config: Config = serde_json::from_slice(&std::fs::read(dir.join("config.json"))?)?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).map_err(anyhow::Error::msg)?;
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(anyhow::Error::msg)?;
        tokenizer.with_padding(Some(PaddingParams { strategy: PaddingStrategy::BatchLongest, ..Default::default() }));
        let weights = std::fs::read(dir.join("model.safetensors"))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)?;
        Ok(Self { bert: BertModel::load(vb, &config)?, tokenizer })
    }

    fn embed(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH_SIZE) {
            let encodings = self.tokenizer.encode_batch(batch.to_vec(), true).map_err(anyhow::Error::msg)?;
            let shape = (encodings.len(), encodings[0].len());
            let tensor = |part: fn(&tokenizers::Encoding) -> &[u32]| {
                let flat: Vec<u32> = encodings.iter().flat_map(|e| part(e).iter().copied()).collect();
                Tensor::from_vec(flat, shape, &Device::Cpu)
            };
            let (ids, types, mask) = (
                tensor(tokenizers::Encoding::get_ids)?,
                tensor(tokenizers::Encoding::get_type_ids)?,
                tensor(tokenizers::Encoding::get_attention_mask)?,
            );
            let hidden = self.bert.forward(&ids, &types, Some(&mask))?;
            let weights = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let pooled = hidden.broadcast_mul(&weights)?.sum(1)?.broadcast_div(&weights.sum(1)?)?;
            for mut v in pooled.to_vec2::<f32>()? {
                l2_normalize(&mut v);
                out.push(v);
            }
        }
        Ok(out)
    }
}

/// ONNX Runtime through `embedding_onnx_baseline.py`.
struct OnnxRuntime {
    script: PythonChild,
    start: Value,
}

impl OnnxRuntime {
    fn start(dir: &std::path::Path, threads: usize, queries: &[String], chunks: &[String]) -> anyhow::Result<Self> {
        let packages = ["onnx", "onnxruntime", "tokenizers", "numpy", "safetensors", "sympy"];
        let python = python_venv::python("onnxruntime", &packages, &packages.join(", "))?;
        let venv = python.parent().and_then(|bin| bin.parent()).context("the venv's directory")?;
        let texts = tempfile::tempdir()?;
        for (name, lines) in [("queries.txt", queries), ("chunks.txt", chunks)] {
            std::fs::write(texts.path().join(name), lines.join("\n"))?;
        }
        let mut args = vec![dir.as_os_str().to_owned(), venv.join("all-minilm-l6-v2-fp32.onnx").into()];
        args.extend([threads, BATCH_SIZE, MAX_TOKENS].map(|n| n.to_string().into()));
        args.extend(["queries.txt", "chunks.txt"].map(|name| texts.path().join(name).into()));
        // The script has read the texts once it has greeted: the directory may go.
        let (script, start) = PythonChild::start(&python, "benches/embedding_onnx_baseline.py", &args)?;
        Ok(Self { script, start })
    }

    fn ask(&mut self, command: &str) -> anyhow::Result<Value> {
        self.script.ask(command)
    }

    /// Query latencies (ms) and the chunks' time (s) of one round.
    fn round(&mut self) -> anyhow::Result<(Vec<f64>, f64)> {
        let answer = self.ask("round")?;
        let times: Vec<f64> = serde_json::from_value(answer["query_ms"].clone())?;
        Ok((times, python_child::number(&answer, "chunks_secs")?))
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[derive(Default)]
struct Rounds {
    query_p50: Vec<f64>,
    query_p90: Vec<f64>,
    chunks_per_s: Vec<f64>,
}

fn main() -> anyhow::Result<()> {
    let quick = std::env::var_os("QUICK").is_some();
    let rounds = if quick { 1 } else { 3 };
    let dir = LocalMiniLm::default_dir();
    let runtime = tokio::runtime::Runtime::new()?;
    let ours = LocalMiniLm::new(dir.clone());
    runtime.block_on(ours.warm_up()).context("the local model is missing: run `webplus models fetch`")?;
    let baseline = Baseline::load(&dir)?;

    let mut rng = StdRng::seed_from_u64(13);
    let queries: Vec<String> = (0..QUERIES)
        .map(|_| {
            let words = rng.random_range(6..=14);
            format!("{}?", sentence(&mut rng, words))
        })
        .collect();
    let chunks: Vec<String> = (0..CHUNKS)
        .map(|_| {
            let mut text = String::new();
            while text.len() < CHUNK_CHARS {
                let words = rng.random_range(8..=20);
                text.push_str(&sentence(&mut rng, words));
                text.push_str(". ");
            }
            text
        })
        .collect();
    let tokens: Vec<usize> = chunks
        .iter()
        .map(|c| baseline.tokenizer.encode(c.as_str(), true).map(|e| e.get_ids().len()).unwrap_or(0))
        .collect();
    let mean_tokens = tokens.iter().sum::<usize>() as f64 / tokens.len() as f64;

    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut ort = OnnxRuntime::start(&dir, threads, &queries, &chunks)?;
    let selftest = ort.ask("selftest")?;
    anyhow::ensure!(selftest["selftest"] == "ok", "ONNX Runtime's self-test failed: {selftest}");
    let ort_version = ort.start["version"].as_str().unwrap_or("?").to_owned();
    // Both graphs were timed when the file was built; the faster one is what runs.
    let ort_kept = ort.start["graph"].as_str().unwrap_or("?").to_owned();
    let ort_graph = format!(
        "the {ort_kept} graph, the faster of the plain one and the one onnxruntime's BERT optimizer fused into {}",
        ort.start["fused"]
    );
    println!("ONNX Runtime {ort_version}: {ort_graph}; against float64 NumPy {}", selftest["lowest_cosine"]);

    let (mut web, mut onnx, mut base) = (Rounds::default(), Rounds::default(), Rounds::default());
    for round in 0..rounds {
        for (name, rounds) in [("Web+", &mut web), ("ONNX Runtime", &mut onnx), ("candle BertModel", &mut base)] {
            let (mut times, chunks_secs) = if name == "ONNX Runtime" {
                ort.round()?
            } else {
                let embed = |texts: &[String]| -> anyhow::Result<Vec<Vec<f32>>> {
                    if name == "Web+" { Ok(runtime.block_on(ours.embed(texts))?) } else { baseline.embed(texts) }
                };
                let mut times = Vec::with_capacity(QUERIES);
                for q in &queries {
                    let started = Instant::now();
                    embed(std::slice::from_ref(q))?;
                    times.push(started.elapsed().as_secs_f64() * 1e3);
                }
                let started = Instant::now();
                embed(&chunks)?;
                (times, started.elapsed().as_secs_f64())
            };
            times.sort_by(f64::total_cmp);
            let per_s = CHUNKS as f64 / chunks_secs;
            println!(
                "round {round} {name}: query p50 {:.2} ms p90 {:.2} ms, chunks {per_s:.1}/s",
                percentile(&times, 0.5),
                percentile(&times, 0.9)
            );
            rounds.query_p50.push(percentile(&times, 0.5));
            rounds.query_p90.push(percentile(&times, 0.9));
            rounds.chunks_per_s.push(per_s);
        }
    }

    let (some_queries, some_chunks) = (50, 64);
    let texts: Vec<String> =
        queries.iter().take(some_queries).chain(chunks.iter().take(some_chunks)).cloned().collect();
    let ours_vectors = runtime.block_on(ours.embed(&texts))?;
    let lowest = |others: &[Vec<f32>]| -> f64 {
        ours_vectors.iter().zip(others).map(|(x, y)| f64::from(cosine(x, y))).fold(1.0, f64::min)
    };
    let lowest_candle = lowest(&baseline.embed(&texts)?);
    let ort_vectors: Vec<Vec<f32>> =
        serde_json::from_value(ort.ask(&format!("vectors {some_queries} {some_chunks}"))?["vectors"].clone())?;
    anyhow::ensure!(ort_vectors.len() == texts.len(), "ONNX Runtime returned {} vectors", ort_vectors.len());
    let lowest_ort = lowest(&ort_vectors);
    drop(ort);
    println!(
        "lowest cosine of Web+'s vectors to ONNX Runtime's {lowest_ort:.7}, to candle's {lowest_candle:.7} ({} texts)",
        texts.len()
    );

    let row = |name: &str, r: &Rounds| {
        format!(
            "| {name} | {:.2} ms | {:.2} ms | {:.1} |",
            median(r.query_p50.clone()),
            median(r.query_p90.clone()),
            median(r.chunks_per_s.clone())
        )
    };
    let ratio = |a: &Rounds, b: &Rounds| {
        (
            median(b.query_p50.clone()) / median(a.query_p50.clone()),
            median(a.chunks_per_s.clone()) / median(b.chunks_per_s.clone()),
        )
    };
    let ((query_vs_ort, chunks_vs_ort), (query_vs_candle, chunks_vs_candle)) = (ratio(&web, &onnx), ratio(&web, &base));
    let web_query = median(web.query_p50.clone());
    let met = |yes: bool| if yes { "met" } else { "not met" };
    let body = format!(
        "## Local embeddings (`cargo bench -p webplus --bench embedding`)\n\n\
         all-MiniLM-L6-v2 on the CPU, {threads} threads each, {date}. Queries: {QUERIES} questions of 6–14 words, \
         one at a time. Chunks: {CHUNKS} texts of about {CHUNK_CHARS} characters of English prose ({mean_tokens:.0} \
         tokens on average, at most {MAX_TOKENS}), in batches of {BATCH_SIZE}. Medians of {rounds} interleaved rounds. \
         ONNX Runtime {ort_version} from PyPI, fp32: {ort_graph}; timed in Python around tokenising, `run` and \
         pooling, as a user of it would call it.\n\n\
         | embedder | query p50 | query p90 | chunks/s |\n|---|---|---|---|\n{}\n{}\n{}\n\n\
         Web+ / ONNX Runtime: queries **{query_vs_ort:.2}×** as fast (p50), chunks **{chunks_vs_ort:.2}×**; \
         Web+ / candle: queries {query_vs_candle:.2}×, chunks {chunks_vs_candle:.2}×. Lowest cosine between Web+'s \
         vector of a text and ONNX Runtime's: **{lowest_ort:.7}**; candle's: {lowest_candle:.7} ({} texts). Goals \
         (issue 13 §1): chunks/s ≥ 1.0× ONNX Runtime's with cosine ≥ 0.999: {}; a query under 5 ms: {}.",
        row("Web+ (`LocalMiniLm`: ragged batches, half-precision weights packed at load, own kernels)", &web),
        row(&format!("ONNX Runtime, fp32, {ort_kept} graph"), &onnx),
        row("candle-transformers `BertModel`, full precision (Web+ until 2026-12-03)", &base),
        texts.len(),
        met(chunks_vs_ort >= 1.0 && lowest_ort >= 0.999),
        met(web_query < 5.0),
        date = time::OffsetDateTime::now_utc().date(),
    );
    println!("{body}");
    if !quick {
        let doc = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/BENCHMARKS.md");
        doc_section::write_section(&doc, "embedding", &body)?;
    }
    Ok(())
}
