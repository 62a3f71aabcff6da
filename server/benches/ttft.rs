//! Benchmark (not a test): what Web+ adds to time-to-first-token, and its idle memory.
//!
//! Side by side in one run, alternating request by request: streaming chat completions sent
//! (a) straight to the in-process fake OpenAI server and (b) through a real `webplus` process whose
//! upstream is that same fake. TTFT = request sent → first content delta received. Also the
//! server's resident memory after start-up, before any model is loaded.
//! Results are written to docs/BENCHMARKS.md. Run: `cargo bench -p server --bench ttft`.

use std::{
    io::Write,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use futures::StreamExt;
use serde_json::json;
use webplus::fakes::{FakeOpenAi, FakeOpenAiConfig};

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
    let mut c = Command::new(bin);
    env(&mut c);
    let mut child = c
        .args(["admin", "create-user", "--email", "bench@example.com", "--role", "admin"])
        .stdin(Stdio::piped())
        .spawn()?;
    child.stdin.take().ok_or_else(|| anyhow::anyhow!("no stdin"))?.write_all(b"bench-password-123\n")?;
    anyhow::ensure!(child.wait()?.success(), "create-user failed");
    let mut c = Command::new(bin);
    env(&mut c);
    let out = c.args(["admin", "create-api-key", "--email", "bench@example.com", "--name", "bench"]).output()?;
    anyhow::ensure!(out.status.success(), "create-api-key failed");
    let key = String::from_utf8(out.stdout)?.lines().last().unwrap_or_default().trim().to_string();

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
        let d = ttft(&client, &direct_url, &fake.api_key()).await?;
        let t = ttft(&client, &through_url, &key).await?;
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
async fn ttft(client: &reqwest::Client, url: &str, key: &str) -> anyhow::Result<Duration> {
    let body = json!({ "model": MODEL, "stream": true, "messages": [{ "role": "user", "content": "hi" }] });
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

struct Stats {
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
}

impl Stats {
    fn of(v: &mut [Duration]) -> Stats {
        v.sort();
        let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
        Stats { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: v[v.len() - 1] }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn wait_ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if client.get(format!("{base}/ready")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the server did not become ready")
}

fn rss_kb(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:").and_then(|v| v.split_whitespace().next()).and_then(|n| n.parse().ok()))
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for {pid}"))
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn today() -> String {
    Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Replaces the section between `<!-- bench:NAME -->` markers (or appends it).
pub fn write_section(path: &str, name: &str, body: &str) -> std::io::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    let (start, end) = (format!("<!-- bench:{name} -->"), format!("<!-- /bench:{name} -->"));
    let old = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| "# Benchmarks\n\nNumbers written by the benchmarks themselves; rerun to refresh.\n".into());
    let section = format!("{start}\n{body}{end}");
    let new = match (old.find(&start), old.find(&end)) {
        (Some(a), Some(b)) if b > a => format!("{}{}{}", &old[..a], section, &old[b + end.len()..]),
        _ => format!("{}\n{}\n", old.trim_end(), section),
    };
    std::fs::write(path, new)
}
