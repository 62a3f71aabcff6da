//! The local embedder (all-MiniLM-L6-v2, issue 13 §1), side by side in one run:
//! - Web+'s `LocalMiniLm` (`src/embed/minilm/bert.rs`: half-precision weights packed once, its own
//!   matrix multiplication and GELU), what ingestion and search use;
//! - candle-transformers' `BertModel` in full precision, what Web+ ran until 2026-12-03 (the
//!   same tokenizer, mean pooling and normalisation, batches of the same size).
//!
//! Queries: 200 questions of 6–14 words, one at a time (what a search embeds). Chunks: 256
//! texts of about 1,200 characters of English prose (the chunker's size), in batches of
//! `BATCH_SIZE`. Both on every core (candle's threads and ours). 3 rounds, the two interleaved;
//! medians of the rounds. Also the cosine between the two vectors of each text. Run:
//! `cargo bench -p webplus --bench embedding` (needs `webplus models fetch`; writes its section of
//! docs/BENCHMARKS.md; `QUICK=1` for one round, docs left alone).

#[path = "doc_section.rs"]
mod doc_section;

use std::time::Instant;

use anyhow::Context;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use rand::{Rng, SeedableRng, rngs::StdRng};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};
use webplus::embed::minilm::{BATCH_SIZE, MAX_TOKENS};
use webplus::embed::{Embedder, LocalMiniLm, cosine, l2_normalize};

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

    let (mut web, mut base) = (Rounds::default(), Rounds::default());
    for round in 0..rounds {
        for (name, rounds) in [("Web+", &mut web), ("candle BertModel", &mut base)] {
            let embed = |texts: &[String]| -> anyhow::Result<Vec<Vec<f32>>> {
                if name == "Web+" { Ok(runtime.block_on(ours.embed(texts))?) } else { baseline.embed(texts) }
            };
            let mut times = Vec::with_capacity(QUERIES);
            for q in &queries {
                let started = Instant::now();
                embed(std::slice::from_ref(q))?;
                times.push(started.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            let started = Instant::now();
            embed(&chunks)?;
            let per_s = CHUNKS as f64 / started.elapsed().as_secs_f64();
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

    let texts: Vec<String> = queries.iter().take(50).chain(chunks.iter().take(64)).cloned().collect();
    let (a, b) = (runtime.block_on(ours.embed(&texts))?, baseline.embed(&texts)?);
    let similarities: Vec<f64> = a.iter().zip(&b).map(|(x, y)| f64::from(cosine(x, y))).collect();
    let lowest = similarities.iter().copied().fold(1.0, f64::min);
    println!("cosine Web+ vs full precision: lowest {lowest:.7} over {} texts", similarities.len());

    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let row = |name: &str, r: Rounds| {
        format!(
            "| {name} | {:.2} ms | {:.2} ms | {:.1} |",
            median(r.query_p50),
            median(r.query_p90),
            median(r.chunks_per_s)
        )
    };
    let (web_chunks, base_chunks) = (median(web.chunks_per_s.clone()), median(base.chunks_per_s.clone()));
    let (web_query, base_query) = (median(web.query_p50.clone()), median(base.query_p50.clone()));
    let body = format!(
        "## Local embeddings (`cargo bench -p webplus --bench embedding`)\n\n\
         all-MiniLM-L6-v2 on the CPU, {threads} threads, {date}. Queries: {QUERIES} questions of 6–14 words, \
         one at a time. Chunks: {CHUNKS} texts of about {CHUNK_CHARS} characters of English prose ({mean_tokens:.0} \
         tokens on average, at most {MAX_TOKENS}), in batches of {BATCH_SIZE}. Medians of {rounds} interleaved rounds.\n\n\
         | embedder | query p50 | query p90 | chunks/s |\n|---|---|---|---|\n{}\n{}\n\n\
         Web+ / candle: queries **{:.2}×** as fast (p50), chunks **{:.2}×**. Lowest cosine between the two \
         embedders' vectors of the same text: {lowest:.7} ({} texts). Goals (issue 13 §1): a query under 5 ms; \
         chunks/s ≥ 1.0× ONNX Runtime's (not measured here: see the notes).",
        row("Web+ (`LocalMiniLm`: half-precision weights packed at load, own matmul and GELU)", web),
        row("candle-transformers `BertModel`, full precision (Web+ until 2026-12-03)", base),
        base_query / web_query,
        web_chunks / base_chunks,
        similarities.len(),
        date = time::OffsetDateTime::now_utc().date(),
    );
    println!("{body}");
    if !quick {
        let doc = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/BENCHMARKS.md");
        doc_section::write_section(&doc, "embedding", &body)?;
    }
    Ok(())
}
