//! Benchmark (not a test): what Web+ adds to time-to-first-token, and its idle memory.
//!
//! Side by side in one run, alternating request by request: streaming chat completions sent
//! (a) straight to the in-process fake OpenAI server and (b) through a real `webplus` process whose
//! upstream is that same fake. TTFT = request sent → first content delta received. Also the
//! server's resident memory after start-up, before any model is loaded.
//! Results are written to docs/BENCHMARKS.md. Run: `cargo bench -p server --bench ttft`.

mod common;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use futures::StreamExt;
use serde_json::json;
use webplus::fakes::{FakeOpenAi, FakeOpenAiConfig};

use common::{Stats, admin_api_key, cpu_model, free_port, ms, rss_kb, today, wait_ready, write_section};

const WARMUP: usize = 50;
const SAMPLES: usize = 1000;
const MODEL: &str = "gpt-4o-mini";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().reply_text("one two three four five")).await;
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let bin = env!("CARGO_BIN_EXE_webplus");
    let env = |c: &mut Command| {
        c.env("WEBPLUS_DATA_DIR", dir.path())
            .env("WEBPLUS_ADDR", format!("127.0.0.1:{port}"))
            .env("WEBPLUS_LOG_FORMAT", "json")
            .env("WEBPLUS_LOG", "warn")
            .env("WEBPLUS_OPENAI_BASE_URL", fake.base_url())
            .env("WEBPLUS_OPENAI_API_KEY", fake.api_key())
            .env("WEBPLUS_OPENAI_MODELS", MODEL);
    };

    // An account and an API key through the admin CLI, as an operator would.
    let key = admin_api_key(bin, &env)?;

    let mut c = Command::new(bin);
    env(&mut c);
    let mut server = c.arg("serve").stdout(Stdio::null()).spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_ready(&client, &base).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss_kb = rss_kb(server.id())?;

    let direct_url = format!("{}/chat/completions", fake.base_url());
    let through_url = format!("{base}/v1/chat/completions");
    let (mut direct, mut through) = (Vec::with_capacity(SAMPLES), Vec::with_capacity(SAMPLES));
    for i in 0..WARMUP + SAMPLES {
        let d = ttft(&client, &direct_url, &fake.api_key(), MODEL).await?;
        // Through Web+ the model is named by its connection: the settings' `[openai]` is `openai`.
        let t = ttft(&client, &through_url, &key, &format!("openai/{MODEL}")).await?;
        if i >= WARMUP {
            direct.push(d);
            through.push(t);
        }
    }
    let after_rss_kb = rss_kb(server.id())?;
    let _ = server.kill();
    let _ = server.wait();

    let (d, t) = (Stats::of(&mut direct), Stats::of(&mut through));
    let report = format!(
        "## Time to first token and idle memory (`cargo bench -p server --bench ttft`)\n\n\
         Streaming `POST /v1/chat/completions`, {SAMPLES} requests each after {WARMUP} warm-up, alternating:\n\
         straight to the in-process fake OpenAI server vs. through a `webplus` process (release build)\n\
         whose upstream is that fake. TTFT = request sent → first content delta read by the client\n\
         (keep-alive connections, loopback).\n\n\
         | path | p50 | p90 | p99 | max |\n|---|---|---|---|---|\n\
         | direct to fake upstream | {} | {} | {} | {} |\n\
         | through Web+ | {} | {} | {} | {} |\n\
         | **added by Web+** | **{}** | {} | **{}** | |\n\n\
         Target: under 1 ms added at p99.\n\n\
         Idle resident memory of the server after start-up, before any model is loaded: **{:.1} MB**\n\
         (target under 40 MB); after the {} requests above: {:.1} MB.\n\n\
         Machine: {} cores, {}. Measured {}.\n",
        ms(d.p50),
        ms(d.p90),
        ms(d.p99),
        ms(d.max),
        ms(t.p50),
        ms(t.p90),
        ms(t.p99),
        ms(t.max),
        ms(t.p50.saturating_sub(d.p50)),
        ms(t.p90.saturating_sub(d.p90)),
        ms(t.p99.saturating_sub(d.p99)),
        idle_rss_kb as f64 / 1024.0,
        2 * (WARMUP + SAMPLES),
        after_rss_kb as f64 / 1024.0,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        cpu_model(),
        today(),
    );
    println!("{report}");
    write_section("docs/BENCHMARKS.md", "ttft", &report)?;
    Ok(())
}

/// Sends one streaming request and returns the time until the first content delta arrives.
async fn ttft(client: &reqwest::Client, url: &str, key: &str, model: &str) -> anyhow::Result<Duration> {
    let body = json!({ "model": model, "stream": true, "messages": [{ "role": "user", "content": "hi" }] });
    let started = Instant::now();
    let res = client.post(url).bearer_auth(key).json(&body).send().await?;
    anyhow::ensure!(res.status().is_success(), "{url}: {}", res.status());
    let mut stream = res.bytes_stream();
    let mut buf = Vec::new();
    let mut first = None;
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(&chunk?);
        if first.is_none() && contains(&buf, br#""content":"one"#) {
            first = Some(started.elapsed());
        }
    }
    first.ok_or_else(|| anyhow::anyhow!("no content delta from {url}"))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
