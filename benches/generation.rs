//! Local generation (SmolLM2-135M, GGUF; issue 13 §4), side by side in one run:
//! - Web+'s `local::model::generate` on the weights as the local provider loads them
//!   (`local::llama`: where the CPU has candle's repacked kernels, Q4_1 matrices re-quantised to Q8_0
//!   at load; elsewhere the file's Q4_1 as it is, single tokens by `webplus_quant::q4_1`, quant/);
//! - llama.cpp through `llama-cpp-python` (built from its PyPI sdist into a venv by this bench,
//!   once; about ten minutes on 2 cores), through `generation_llamacpp_baseline.py`.
//!
//! Both run the same GGUF file on the same prompt tokens (a chat prompt of `PROMPT_TOKENS` tokens,
//! tokenised once by Web+ with the file's vocabulary) with as many threads as there are cores,
//! greedy, for `GENERATED` tokens each (end-of-text does not stop either). Per round: time to the
//! first generated token (TTFT: the prompt's forward passes and the first sample), prompt tokens/s
//! (prompt tokens ÷ TTFT) and generated tokens/s (the tokens after the first ÷ the time from the
//! first to the last). 3 rounds, the two interleaved; medians. Run: `cargo bench -p webplus --bench
//! generation` (needs `webplus models fetch`; writes its section of docs/BENCHMARKS.md; `QUICK=1`
//! for one round, docs left alone).

#[path = "doc_section.rs"]
mod doc_section;
#[path = "python_child.rs"]
mod python_child;
#[path = "python_venv.rs"]
mod python_venv;

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::{Rng, SeedableRng, rngs::StdRng};
use webplus::local::llama::Llama;
use webplus::local::model::{GenerateParams, Vocab, generate, load_weights};
use webplus::local::{default_gguf_path, default_models_dir};
use webplus::providers::{ChatMessage, Role};

use python_child::{PythonChild, number};

const PROMPT_TOKENS: usize = 500;
const GENERATED: usize = 128;
const N_CTX: usize = 2048;

/// pip builds llama.cpp from the sdist for this machine's CPU (scikit-build-core fetches CMake from
/// PyPI when the machine has none), without its AMX kernels: on this machine kind, whose CPU
/// reports AMX, the native build (0.3.36) dies of a segmentation fault on the first prompt, in
/// `ggml_backend_amx_mul_mat` (gdb). A CPU without AMX builds the same code either way.
const LLAMA_CPP_BUILD: (&str, &str) = (
    "CMAKE_ARGS",
    r#"-DCMAKE_C_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" -DCMAKE_CXX_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16""#,
);

const WORDS: &[&str] = &[
    "the", "plan", "price", "seat", "yearly", "monthly", "refund", "policy", "days", "customer", "support", "account",
    "invoice", "billing", "team", "admin", "user", "access", "export", "data", "report", "upload", "document",
    "search", "answer", "question", "server", "install", "update", "release", "version", "feature", "security",
    "password", "login", "email", "contact", "office", "company", "history", "founded", "city", "product", "battery",
    "is", "are", "was", "can", "will", "with", "for", "from", "about", "after", "before", "every", "and", "or", "not",
];

/// One round of one side.
#[derive(Debug, Clone, Copy)]
struct Timing {
    ttft: Duration,
    generation: Duration,
}

impl Timing {
    fn prompt_per_s(&self, prompt: usize) -> f64 {
        prompt as f64 / self.ttft.as_secs_f64()
    }

    fn generated_per_s(&self) -> f64 {
        (GENERATED - 1) as f64 / self.generation.as_secs_f64()
    }
}

/// A chat prompt of exactly `PROMPT_TOKENS` tokens: a request to summarise seeded prose, the prose
/// cut to fit.
fn prompt(vocab: &Vocab) -> anyhow::Result<Vec<u32>> {
    let mut rng = StdRng::seed_from_u64(4);
    let words: Vec<&str> = (0..PROMPT_TOKENS * 2).map(|_| WORDS[rng.random_range(0..WORDS.len())]).collect();
    let encode = |n: usize| {
        let text = format!("Summarise this text in detail:\n\n{}.", words[..n].join(" "));
        vocab.template.encode(&vocab.tokenizer, &[ChatMessage::new(Role::User, text)])
    };
    // The longest prose that fits: token counts grow with the words.
    let (mut lo, mut hi) = (0, words.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if encode(mid)?.len() <= PROMPT_TOKENS { lo = mid } else { hi = mid - 1 }
    }
    let ids = encode(lo)?;
    anyhow::ensure!(ids.len() + 2 >= PROMPT_TOKENS, "the prompt came to {} tokens", ids.len());
    Ok(ids)
}

fn ours(weights: &mut Llama, vocab: &Vocab, prompt: &[u32]) -> anyhow::Result<(Timing, Vec<u32>)> {
    let params = GenerateParams { max_tokens: GENERATED, temperature: 0.0, top_p: None, seed: 0 };
    let (mut tokens, mut first, mut last) = (Vec::with_capacity(GENERATED), None, None);
    let started = Instant::now();
    generate(
        weights,
        vocab,
        prompt,
        &params,
        || false,
        |token| {
            let now = Instant::now();
            first.get_or_insert(now);
            last = Some(now);
            tokens.push(token);
            ControlFlow::Continue(())
        },
    )?;
    let (first, last) = first.zip(last).context("no token was generated")?;
    anyhow::ensure!(tokens.len() == GENERATED, "Web+ generated {} tokens", tokens.len());
    Ok((Timing { ttft: first - started, generation: last - first }, tokens))
}

fn llama_cpp(script: &mut PythonChild) -> anyhow::Result<(Timing, Vec<u32>)> {
    let answer = script.ask(&format!("round {GENERATED}"))?;
    let tokens: Vec<u32> = serde_json::from_value(answer["tokens"].clone())?;
    anyhow::ensure!(tokens.len() == GENERATED, "llama.cpp generated {} tokens", tokens.len());
    let timing = Timing {
        ttft: Duration::from_secs_f64(number(&answer, "ttft_ms")? / 1e3),
        generation: Duration::from_secs_f64(number(&answer, "gen_secs")?),
    };
    Ok((timing, tokens))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let quick = std::env::var_os("QUICK").is_some();
    let rounds = if quick { 1 } else { 3 };
    let gguf = default_gguf_path(&default_models_dir());
    anyhow::ensure!(gguf.exists(), "{} is missing: run `webplus models fetch`", gguf.display());
    let mut vocab = Vocab::from_gguf_file(&gguf)?;
    // As llama.cpp's `generate`: every run makes GENERATED tokens.
    vocab.stop_ids.clear();
    let prompt = prompt(&vocab)?;
    let mut weights = load_weights(&gguf, true)?;
    let threads = candle_core::utils::get_num_threads();

    let python = python_venv::python_built_with("llamacpp", &["llama-cpp-python"], "llama_cpp", &[LLAMA_CPP_BUILD])?;
    let dir = tempfile::tempdir()?;
    let prompt_file = dir.path().join("prompt.txt");
    std::fs::write(&prompt_file, prompt.iter().map(u32::to_string).collect::<Vec<_>>().join(" "))?;
    let args =
        [gguf.clone().into_os_string(), threads.to_string().into(), N_CTX.to_string().into(), prompt_file.into()];
    let (mut llama, hello) = PythonChild::start(&python, "benches/generation_llamacpp_baseline.py", &args)?;
    let version = hello["version"].as_str().unwrap_or("?").to_owned();
    println!("llama-cpp-python {version}: {}", hello["system_info"].as_str().unwrap_or("?"));

    // One untimed run each: caches, page faults, lazily set up thread pools.
    ours(&mut weights, &vocab, &prompt)?;
    llama_cpp(&mut llama)?;
    let (mut web, mut base) = (Vec::new(), Vec::new());
    let (mut web_tokens, mut base_tokens) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (t, tokens) = ours(&mut weights, &vocab, &prompt)?;
        web.push(t);
        web_tokens = tokens;
        let (t, tokens) = llama_cpp(&mut llama)?;
        base.push(t);
        base_tokens = tokens;
        let show = |t: &Timing| {
            format!(
                "TTFT {:.1} ms, prompt {:.0}/s, generation {:.1}/s",
                t.ttft.as_secs_f64() * 1e3,
                t.prompt_per_s(prompt.len()),
                t.generated_per_s()
            )
        };
        println!("round {round}: Web+ {}; llama.cpp {}", show(&web[round]), show(&base[round]));
    }
    drop(llama);
    let same = web_tokens.iter().zip(&base_tokens).take_while(|(a, b)| a == b).count();

    let summary = |t: &[Timing]| {
        (
            median(t.iter().map(|t| t.ttft.as_secs_f64() * 1e3).collect()),
            median(t.iter().map(|t| t.prompt_per_s(prompt.len())).collect()),
            median(t.iter().map(Timing::generated_per_s).collect()),
        )
    };
    let ((w_ttft, w_prompt, w_gen), (b_ttft, b_prompt, b_gen)) = (summary(&web), summary(&base));
    let (prompt_ratio, gen_ratio) = (w_prompt / b_prompt, w_gen / b_gen);
    let met = |ratio: f64| if ratio >= 0.8 { "met" } else { "not met" };
    let q8_0 = webplus::local::llama::q8_0_is_faster_than_q4_1();
    let body = format!(
        "## Local generation (`cargo bench -p webplus --bench generation`)\n\n\
         SmolLM2-135M-Instruct, `{file}`, on the CPU ({cpu}) with {threads} threads each, {date}. One chat prompt of \
         {prompt_len} tokens (the same token ids for both), then {GENERATED} tokens, greedy, from an empty cache. \
         TTFT: from the call to the first generated token. Prompt tokens/s: prompt tokens ÷ TTFT. Generated \
         tokens/s: the {after} tokens after the first ÷ their time. Medians of {rounds} interleaved rounds, after \
         one untimed run each. llama.cpp through llama-cpp-python {version} (built from its PyPI sdist for this \
         CPU), timed in Python around `Llama.generate`, as a user of it would call it.\n\n\
         | engine | TTFT ({prompt_len}-token prompt) | prompt tokens/s | generated tokens/s |\n|---|---|---|---|\n\
         | Web+ (`local::llama`, {path}; own attention cache) | {w_ttft:.1} ms | {w_prompt:.0} | {w_gen:.1} |\n\
         | llama.cpp (llama-cpp-python {version}) | {b_ttft:.1} ms | {b_prompt:.0} | {b_gen:.1} |\n\n\
         Web+ / llama.cpp: prompt **{prompt_ratio:.2}×**, generation **{gen_ratio:.2}×**. Goals (issue 13 §4): \
         both ≥ 0.8×: prompt {}, generation {}. The two greedy continuations agree on their first {same} of \
         {GENERATED} tokens ({agreement}).",
        met(prompt_ratio),
        met(gen_ratio),
        file = gguf.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
        prompt_len = prompt.len(),
        after = GENERATED - 1,
        date = time::OffsetDateTime::now_utc().date(),
        cpu = doc_section::cpu_model(),
        path = if q8_0 {
            "Q4_1 re-quantised to Q8_0 at load, widened for candle's repacked kernels where the CPU has them"
        } else {
            "this CPU lacks candle's repacked kernels: the file's Q4_1 as it is, single tokens by `webplus_quant::q4_1`'s AVX2 kernel, prompts multiplied in f32"
        },
        agreement = if q8_0 {
            "Web+ computes with Q8_0 weights, llama.cpp with the file's Q4_1"
        } else {
            "both read the file's Q4_1; Web+ multiplies prompts in f32, llama.cpp with 8-bit activations"
        },
    );
    println!("{body}");
    if !quick {
        let doc = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/BENCHMARKS.md");
        doc_section::write_section(&doc, "generation", &body)?;
    }
    Ok(())
}
