//! Benchmark (not a test): what Web+ adds to time-to-first-token for each provider kind, and its
//! idle memory.
//!
//! One `webplus` process has four connections declared, one per provider kind (OpenAI-compatible,
//! Anthropic, Ollama, Bedrock), each upstream an in-process fake (`common/upstreams.rs`). For each
//! kind, alternating request by request: a streaming call straight to the fake in its own wire
//! protocol (`common/direct.rs`), then a streaming `POST /v1/chat/completions` through Web+ to the
//! same fake. TTFT = request sent → first text received. Also the server's resident memory after
//! start-up, before any model is loaded.
//! Results are written to docs/BENCHMARKS.md. Run: `cargo bench -p server --bench ttft`.

mod common;

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use anyhow::Context;
use serde_json::json;

use common::{
    Stats, admin_api_key, cpu_model,
    first_text::time_first_text,
    free_port, ms, ms_minus, rss_kb, today,
    upstreams::{Route, Upstreams},
    wait_ready, write_section,
};

const WARMUP: usize = 50;
/// Per provider kind and path; the same for every kind.
const SAMPLES: usize = 1000;
/// The target for what Web+ adds at p99, with the usage ledger on.
const GOAL_ADDED_P99: Duration = Duration::from_micros(250);

/// One provider kind's results.
struct Row {
    label: &'static str,
    through_model: String,
    direct: Stats,
    through: Stats,
}

impl Row {
    fn meets_goal(&self) -> bool {
        self.through.p99.saturating_sub(self.direct.p99) < GOAL_ADDED_P99
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let upstreams = Upstreams::start().await;
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let bin = env!("CARGO_BIN_EXE_webplus");
    let env = |c: &mut Command| {
        c.env("WEBPLUS_DATA_DIR", dir.path())
            .env("WEBPLUS_ADDR", format!("127.0.0.1:{port}"))
            .env("WEBPLUS_LOG_FORMAT", "json")
            .env("WEBPLUS_LOG", "warn");
        upstreams.declare(c, dir.path());
    };

    // An account and an API key through the admin CLI, as an operator would.
    let key = admin_api_key(bin, &env)?;

    let mut c = Command::new(bin);
    env(&mut c);
    let mut server = c.arg("serve").stdout(Stdio::null()).spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let measured = async {
        wait_ready(&client, &base).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let idle_rss_kb = rss_kb(server.id())?;
        let rows = measure(&client, &upstreams.routes(), &format!("{base}/v1/chat/completions"), &key).await?;
        anyhow::Ok((idle_rss_kb, rows, rss_kb(server.id())?))
    }
    .await;
    let _ = server.kill();
    let _ = server.wait();
    let (idle_rss_kb, rows, after_rss_kb) = measured?;

    let report = report(&rows, idle_rss_kb, after_rss_kb);
    println!("{report}");
    write_section("docs/BENCHMARKS.md", "ttft", &report)?;
    Ok(())
}

/// Every kind in turn, each request straight to the fake, then through Web+; warm-up dropped.
async fn measure(client: &reqwest::Client, routes: &[Route], through_url: &str, key: &str) -> anyhow::Result<Vec<Row>> {
    let mut samples: Vec<_> =
        routes.iter().map(|_| (Vec::with_capacity(SAMPLES), Vec::with_capacity(SAMPLES))).collect();
    for i in 0..WARMUP + SAMPLES {
        for (route, (direct, through)) in routes.iter().zip(&mut samples) {
            let d = route.direct.time_first_text(client).await.with_context(|| format!("{} direct", route.label))?;
            let t = through_web_plus(client, through_url, key, &route.through_model)
                .await
                .with_context(|| format!("{} through Web+", route.label))?;
            if i >= WARMUP {
                direct.push(d);
                through.push(t);
            }
        }
    }
    Ok(routes
        .iter()
        .zip(&mut samples)
        .map(|(route, (direct, through))| Row {
            label: route.label,
            through_model: route.through_model.clone(),
            direct: Stats::of(direct),
            through: Stats::of(through),
        })
        .collect())
}

/// One streaming chat completion through Web+: the time until the first content delta.
async fn through_web_plus(client: &reqwest::Client, url: &str, key: &str, model: &str) -> anyhow::Result<Duration> {
    let body = json!({ "model": model, "stream": true, "messages": [{ "role": "user", "content": "hi" }] });
    time_first_text(client.post(url).bearer_auth(key).json(&body), "content").await
}

fn report(rows: &[Row], idle_rss_kb: u64, after_rss_kb: u64) -> String {
    let table: String = rows
        .iter()
        .map(|r| {
            let (d, t) = (&r.direct, &r.through);
            format!(
                "| {} (`{}`) | {} | {} | {} | {} | **{}** | **{}** |\n",
                r.label,
                r.through_model,
                ms(d.p50),
                ms(d.p99),
                ms(t.p50),
                ms(t.p99),
                ms_minus(t.p50, d.p50),
                ms_minus(t.p99, d.p99),
            )
        })
        .collect();
    let labels = |met: bool| {
        let names: Vec<_> = rows.iter().filter(|r| r.meets_goal() == met).map(|r| r.label).collect();
        if names.is_empty() { "none".to_owned() } else { names.join(", ") }
    };
    format!(
        "## Time to first token and idle memory (`cargo bench -p server --bench ttft`)\n\n\
         Streaming chat, per provider kind: {SAMPLES} requests each way after {WARMUP} warm-up, alternating\n\
         request by request: straight to the provider's in-process fake in its own wire protocol vs.\n\
         `POST /v1/chat/completions` through one `webplus` process (release build, usage ledger on) with\n\
         all four connections declared, whose upstreams are those fakes. Direct calls: OpenAI\n\
         `POST /v1/chat/completions` (SSE); Anthropic `POST /v1/messages` (SSE, first `content_block_delta`);\n\
         Ollama `POST /api/chat` (JSON lines); Bedrock `ConverseStream` with the AWS SDK client\n\
         (`aws-sdk-bedrockruntime`, SigV4, event stream). TTFT = request sent → first text read by the\n\
         client (keep-alive connections, loopback). Added = through-Web+ percentile minus direct percentile.\n\n\
         | provider (model through Web+) | direct p50 | direct p99 | through Web+ p50 | through Web+ p99 | added p50 | added p99 |\n\
         |---|---|---|---|---|---|---|\n\
         {table}\n\
         Goal: under 0.25 ms added at p99 with the ledger on. In this run, met by: {}; not met by: {}.\n\n\
         Idle resident memory of the server after start-up, before any model is loaded: **{:.1} MB**\n\
         (target under 40 MB); after the {} requests above: {:.1} MB.\n\n\
         Machine: {} cores, {}. Measured {}.\n",
        labels(true),
        labels(false),
        idle_rss_kb as f64 / 1024.0,
        2 * rows.len() * (WARMUP + SAMPLES),
        after_rss_kb as f64 / 1024.0,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        cpu_model(),
        today(),
    )
}
