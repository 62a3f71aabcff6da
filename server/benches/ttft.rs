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
#[path = "ttft/pass_through.rs"]
mod pass_through;

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use anyhow::Context;
use serde_json::json;

use common::{
    Stats, admin_api_key, cpu_model, cpu_time,
    direct::Direct,
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

fn main() -> anyhow::Result<()> {
    if let Some(done) = pass_through::run_if_asked() {
        return done;
    }
    tokio::runtime::Runtime::new()?.block_on(bench())
}

async fn bench() -> anyhow::Result<()> {
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
    // The floor: the OpenAI-compatible fake behind a bare pass-through proxy.
    let floor_port = free_port()?;
    let mut floor_proc = pass_through::spawn(floor_port, &upstreams.openai_base_url())?;
    let floor_base = format!("http://127.0.0.1:{floor_port}");
    let client = reqwest::Client::new();
    let measured = async {
        wait_ready(&client, &base).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let idle_rss_kb = rss_kb(server.id())?;
        let floor = upstreams.openai_direct(&floor_base);
        wait_floor(&client, &floor).await?;
        let cpu_before = (cpu_time(server.id())?, cpu_time(floor_proc.id())?);
        let (rows, floor) =
            measure(&client, &upstreams.routes(), &floor, &format!("{base}/v1/chat/completions"), &key).await?;
        let per_request = |used: Duration, requests: usize| used / u32::try_from(requests).unwrap_or(u32::MAX);
        let calls = WARMUP + SAMPLES;
        let process = Process {
            idle_rss_kb,
            after_rss_kb: rss_kb(server.id())?,
            cpu_per_request: per_request(cpu_time(server.id())? - cpu_before.0, rows.len() * calls),
            floor_cpu_per_request: per_request(cpu_time(floor_proc.id())? - cpu_before.1, calls),
        };
        anyhow::Ok((rows, floor, process))
    }
    .await;
    for child in [&mut server, &mut floor_proc] {
        let _ = child.kill();
        let _ = child.wait();
    }
    let (rows, floor, process) = measured?;

    let report = report(&rows, &floor, &process);
    println!("{report}");
    write_section("docs/BENCHMARKS.md", "ttft", &report)?;
    Ok(())
}

/// Every kind in turn, each request straight to the fake, then through Web+; then the OpenAI fake
/// straight and through the bare pass-through (`floor`); warm-up dropped.
async fn measure(
    client: &reqwest::Client,
    routes: &[Route],
    floor: &Direct,
    through_url: &str,
    key: &str,
) -> anyhow::Result<(Vec<Row>, Row)> {
    let pairs = || (Vec::with_capacity(SAMPLES), Vec::with_capacity(SAMPLES));
    let mut samples: Vec<_> = routes.iter().map(|_| pairs()).collect();
    let (mut floor_direct, mut floor_through) = pairs();
    let openai = &routes.first().context("no routes")?.direct;
    for i in 0..WARMUP + SAMPLES {
        let keep = i >= WARMUP;
        for (route, (direct, through)) in routes.iter().zip(&mut samples) {
            let d = route.direct.time_first_text(client).await.with_context(|| format!("{} direct", route.label))?;
            let t = through_web_plus(client, through_url, key, &route.through_model)
                .await
                .with_context(|| format!("{} through Web+", route.label))?;
            if keep {
                direct.push(d);
                through.push(t);
            }
        }
        let d = openai.time_first_text(client).await.context("OpenAI direct (floor)")?;
        let t = floor.time_first_text(client).await.context("through the bare pass-through")?;
        if keep {
            floor_direct.push(d);
            floor_through.push(t);
        }
    }
    let rows = routes
        .iter()
        .zip(&mut samples)
        .map(|(route, (direct, through))| Row {
            label: route.label,
            through_model: route.through_model.clone(),
            direct: Stats::of(direct),
            through: Stats::of(through),
        })
        .collect();
    let floor = Row {
        label: "Floor: a bare pass-through proxy",
        through_model: "OpenAI-compatible fake".into(),
        direct: Stats::of(&mut floor_direct),
        through: Stats::of(&mut floor_through),
    };
    Ok((rows, floor))
}

/// Waits until the pass-through answers (it starts in its own process).
async fn wait_floor(client: &reqwest::Client, floor: &Direct) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match floor.time_first_text(client).await {
            Ok(_) => return Ok(()),
            Err(e) if std::time::Instant::now() > deadline => return Err(e.context("the pass-through never answered")),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// One streaming chat completion through Web+: the time until the first content delta.
async fn through_web_plus(client: &reqwest::Client, url: &str, key: &str, model: &str) -> anyhow::Result<Duration> {
    let body = json!({ "model": model, "stream": true, "messages": [{ "role": "user", "content": "hi" }] });
    time_first_text(client.post(url).bearer_auth(key).json(&body), "content").await
}

/// What the server process used, and the floor's CPU for comparison.
struct Process {
    idle_rss_kb: u64,
    after_rss_kb: u64,
    cpu_per_request: Duration,
    floor_cpu_per_request: Duration,
}

fn report(rows: &[Row], floor: &Row, process: &Process) -> String {
    let table: String = rows
        .iter()
        .chain([floor])
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
         client (keep-alive connections, loopback). Added = through-Web+ percentile minus direct percentile.\n\
         The last row is the floor of any proxy here: the OpenAI-compatible fake behind a bare pass-through\n\
         on Web+'s own stack (axum, reqwest, the runtime `webplus serve` builds, release, its own process), which copies\n\
         the request on and streams the answer back untouched (`benches/ttft/pass_through.rs`), measured\n\
         in the same loop. What it adds is the extra process and loopback hops; Web+'s own work is the\n\
         difference between a row and the floor.\n\n\
         | provider (model through Web+) | direct p50 | direct p99 | through Web+ p50 | through Web+ p99 | added p50 | added p99 |\n\
         |---|---|---|---|---|---|---|\n\
         {table}\n\
         Goal: under 0.25 ms added at p99 with the ledger on. In this run, met by: {}; not met by: {}.\n\
         The bare pass-through added {} at p99 in the same run.\n\n\
         Idle resident memory of the server after start-up, before any model is loaded: **{:.1} MB**\n\
         (target under 40 MB); after the {} requests above: {:.1} MB.\n\n\
         CPU time (user + system) per streamed request, over the whole run: Web+ {:.0} µs, the bare\n\
         pass-through {:.0} µs.\n\n\
         Machine: {} cores, {}. Measured {}.\n",
        labels(true),
        labels(false),
        ms_minus(floor.through.p99, floor.direct.p99),
        process.idle_rss_kb as f64 / 1024.0,
        2 * rows.len() * (WARMUP + SAMPLES),
        process.after_rss_kb as f64 / 1024.0,
        process.cpu_per_request.as_secs_f64() * 1e6,
        process.floor_cpu_per_request.as_secs_f64() * 1e6,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        cpu_model(),
        today(),
    )
}
