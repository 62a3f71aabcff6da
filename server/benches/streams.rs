//! Benchmark (not a test): many streams at once through Web+.
//!
//! N clients (N = 100, 1,000, 5,000) each stream one `POST /v1/chat/completions` at the same
//! time. The upstream is the OpenAI-compatible fake in this process, sending 200 tokens at 20 ms
//! intervals with ±5 ms of jitter, each stamped with its number and when it was sent
//! ([`FakeOpenAiConfig::stamp`]). Each client checks that it got every token, in order, and how
//! long each took from the fake to it. The same N clients, in the same run, also stream straight
//! from the fake (what any relay adds is measured against this) and through a bare pass-through
//! proxy on Web+'s own stack in its own process (`ttft/pass_through.rs`: the floor of any proxy).
//! Web+ is a release `webplus serve` with the usage ledger on and its default runtime; its
//! resident memory per open stream and CPU per 1,000 tokens relayed are read from `/proc`. With
//! `max_streams` set to the largest N, one more client while all are open must get 429 with
//! `Retry-After`.
//! Results are written to docs/BENCHMARKS.md. Run: `cargo bench -p server --bench streams`.

mod common;
#[path = "ttft/pass_through.rs"]
mod pass_through;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context;
use futures::StreamExt;
use serde_json::json;
use webplus::fakes::{FakeOpenAi, FakeOpenAiConfig};

use common::{
    Stats, admin_api_key, cpu_model, cpu_time, free_port, ms, ms_minus, rss_kb, today, wait_ready, write_section,
};

const TOKENS: usize = 200;
const INTERVAL: Duration = Duration::from_millis(20);
const JITTER: Duration = Duration::from_millis(5);
const LEVELS: [usize; 3] = [100, 1_000, 5_000];
/// Clients start spread over this long (as people arrive), so a level does not begin with
/// thousands of connections in the same millisecond; every stream lasts about 4 s, so all are
/// open together for most of it.
const RAMP: Duration = Duration::from_secs(1);
const MODEL: &str = "gpt-4o-mini";
const GOAL_ADDED_P99: Duration = Duration::from_millis(5);
const GOAL_RSS_PER_STREAM_KB: f64 = 30.0;

fn main() -> anyhow::Result<()> {
    if let Some(done) = pass_through::run_if_asked() {
        return done;
    }
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(bench())
}

/// Where a level's clients send their requests.
#[derive(Clone)]
struct Target {
    url: String,
    key: String,
    model: String,
}

/// One level: straight from the fake, through the pass-through, through Web+; then both relays
/// again with the second round's number of async workers.
struct Row {
    n: usize,
    direct: Level,
    floor: Level,
    web: Level,
    other: Option<(Level, Level)>,
}

/// Every path's level in a row, in the order the report names them.
fn all(r: &Row) -> Vec<&Level> {
    let mut levels = vec![&r.direct, &r.floor, &r.web];
    if let Some((f, t)) = &r.other {
        levels.extend([f, t]);
    }
    levels
}

/// What one level of one path measured.
struct Level {
    transit: Stats,
    clients_ok: usize,
    tokens: usize,
    lost: usize,
    out_of_order: usize,
    errors: Vec<String>,
    /// The relay's resident memory while every stream was open, minus before the level.
    rss_per_stream_kb: Option<f64>,
    cpu_per_1000_tokens: Option<Duration>,
    /// The status and `Retry-After` one client more than `max_streams` got.
    over_limit: Option<(u16, Option<String>)>,
}

async fn bench() -> anyhow::Result<()> {
    let epoch = Instant::now();
    let fake = FakeOpenAi::start(
        FakeOpenAiConfig::default().reply(vec!["t"; TOKENS]).chunk_delay(INTERVAL).chunk_jitter(JITTER).stamp(epoch),
    )
    .await;
    let max = *LEVELS.iter().max().context("no levels")?;
    let mut server = WebPlus::start(&fake, max, None)?;
    // Beside it, one whose limit is the smallest level: that many streams, then one more.
    let small = *LEVELS.iter().min().context("no levels")?;
    let mut limited = WebPlus::start(&fake, small, None)?;
    let floor_port = free_port()?;
    let mut floor_proc = pass_through::spawn(floor_port, &fake.base_url())?;
    // And both relays again with the other number of async workers an operator would weigh
    // (`worker_threads`): one per core, or one when that is the default.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let default_workers = server::runtime::default_worker_threads();
    let workers = Workers { cores, default: default_workers, other: if default_workers < cores { cores } else { 1 } };
    let mut second = (workers.other != workers.default)
        .then(|| -> anyhow::Result<Second> {
            let floor_port = free_port()?;
            Ok(Second {
                web: WebPlus::start(&fake, max, Some(workers.other))?,
                floor: pass_through::spawn_with(floor_port, &fake.base_url(), Some(workers.other))?,
                floor_port,
            })
        })
        .transpose()?;

    let measured = async {
        let direct =
            Target { url: format!("{}/chat/completions", fake.base_url()), key: fake.api_key(), model: MODEL.into() };
        let floor = Target { url: format!("http://127.0.0.1:{floor_port}/chat/completions"), ..direct.clone() };
        let through = server.target().await?;
        let second_targets = match &second {
            Some(s) => {
                let url = format!("http://127.0.0.1:{}/chat/completions", s.floor_port);
                Some((Target { url, ..direct.clone() }, s.web.target().await?))
            }
            None => None,
        };
        // Warm the relays up (connections, code paths) with a small level not reported.
        run_level(&floor, 20, epoch, None, false).await?;
        run_level(&through, 20, epoch, None, false).await?;
        if let Some((floor, through)) = &second_targets {
            run_level(floor, 20, epoch, None, false).await?;
            run_level(through, 20, epoch, None, false).await?;
        }
        let mut rows = Vec::new();
        for n in LEVELS {
            let d = run_level(&direct, n, epoch, None, false).await?;
            let f = run_level(&floor, n, epoch, Some(floor_proc.id()), false).await?;
            let t = run_level(&through, n, epoch, Some(server.child.id()), false).await?;
            println!(
                "{n} streams: direct p99 {}, floor p99 {}, Web+ p99 {}",
                ms(d.transit.p99),
                ms(f.transit.p99),
                ms(t.transit.p99)
            );
            rows.push(Row { n, direct: d, floor: f, web: t, other: None });
        }
        // Each relay keeps its idle connections to the fake, which are open files of this process
        // until the relay ends: the default pair is stopped before the second round.
        for child in [&mut server.child, &mut floor_proc] {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let (Some(s), Some((floor, through))) = (&second, &second_targets) {
            for row in &mut rows {
                let n = row.n;
                let f = run_level(floor, n, epoch, Some(s.floor.id()), false).await?;
                let t = run_level(through, n, epoch, Some(s.web.child.id()), false).await?;
                println!(
                    "{n} streams, worker_threads = {}: floor p99 {}, Web+ p99 {}",
                    workers.other,
                    ms(f.transit.p99),
                    ms(t.transit.p99)
                );
                row.other = Some((f, t));
            }
        }
        let limit = run_level(&limited.target().await?, small, epoch, Some(limited.child.id()), true).await?;
        anyhow::Ok((rows, limit))
    }
    .await;
    let extra = second.as_mut().into_iter().flat_map(|s| [&mut s.web.child, &mut s.floor]);
    for child in [&mut server.child, &mut limited.child, &mut floor_proc].into_iter().chain(extra) {
        let _ = child.kill();
        let _ = child.wait();
    }
    let (rows, limit) = measured?;
    let report = report(&rows, &limit, small, workers);
    println!("{report}");
    write_section("docs/BENCHMARKS.md", "streams", &report)?;
    Ok(())
}

/// The second round's relays: a Web+ and a pass-through with the other number of workers.
struct Second {
    web: WebPlus,
    floor: std::process::Child,
    floor_port: u16,
}

/// A release `webplus serve` relaying to the fake, with `max_streams` set, and its API key.
struct WebPlus {
    child: std::process::Child,
    base: String,
    key: String,
    _dir: tempfile::TempDir,
}

impl WebPlus {
    /// With `worker_threads` when given, else the default runtime.
    fn start(fake: &FakeOpenAi, max_streams: usize, worker_threads: Option<usize>) -> anyhow::Result<WebPlus> {
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let bin = env!("CARGO_BIN_EXE_webplus");
        let env = |c: &mut Command| {
            c.env("WEBPLUS_DATA_DIR", dir.path())
                .env("WEBPLUS_ADDR", format!("127.0.0.1:{port}"))
                .env("WEBPLUS_LOG_FORMAT", "json")
                .env("WEBPLUS_LOG", "warn")
                .env("WEBPLUS_MAX_STREAMS", max_streams.to_string())
                .env("WEBPLUS_OPENAI_BASE_URL", fake.base_url())
                .env("WEBPLUS_OPENAI_API_KEY", fake.api_key())
                .env("WEBPLUS_OPENAI_MODELS", MODEL);
            if let Some(n) = worker_threads {
                c.env("WEBPLUS_WORKER_THREADS", n.to_string());
            }
        };
        let key = admin_api_key(bin, &env)?;
        let mut c = Command::new(bin);
        env(&mut c);
        let child = c.arg("serve").stdout(Stdio::null()).spawn()?;
        Ok(WebPlus { child, base: format!("http://127.0.0.1:{port}"), key, _dir: dir })
    }

    /// Where its clients send their requests, once it is ready.
    async fn target(&self) -> anyhow::Result<Target> {
        wait_ready(&reqwest::Client::new(), &self.base).await?;
        Ok(Target {
            url: format!("{}/v1/chat/completions", self.base),
            key: self.key.clone(),
            model: format!("openai/{MODEL}"),
        })
    }
}

/// `n` clients, started over [`RAMP`], each streaming one answer from `target`. With `server`,
/// that process's memory (before, and while every stream is open) and CPU are read; with
/// `probe_limit`, one more client is sent while every stream is open.
async fn run_level(
    target: &Target,
    n: usize,
    epoch: Instant,
    server: Option<u32>,
    probe_limit: bool,
) -> anyhow::Result<Level> {
    // A client of its own per level, keeping no idle connections: each stream has its own.
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).tcp_nodelay(true).build()?;
    let before = server.map(rss_kb).transpose()?;
    let cpu_before = server.map(cpu_time).transpose()?;
    let (open_tx, mut open_rx) = tokio::sync::mpsc::channel::<()>(n);
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (client, target, open) = (client.clone(), target.clone(), open_tx.clone());
            let at = started + RAMP.mul_f64(i as f64 / n as f64);
            tokio::spawn(async move {
                tokio::time::sleep_until(at.into()).await;
                stream_one(&client, &target, epoch, open).await
            })
        })
        .collect();
    drop(open_tx);
    // Every stream open (each has had its first token, or failed): memory now, and one client more.
    for _ in 0..n {
        open_rx.recv().await;
    }
    let peak = server.map(rss_kb).transpose()?;
    let over_limit = if probe_limit { Some(one_more(&client, target).await?) } else { None };

    let mut transit = Vec::with_capacity(n * TOKENS);
    let (mut clients_ok, mut tokens, mut lost, mut out_of_order, mut errors) = (0, 0, 0, 0, Vec::new());
    for t in tasks {
        match t.await? {
            Ok(s) => {
                clients_ok += usize::from(s.lost == 0 && s.out_of_order == 0);
                tokens += s.transit.len();
                lost += s.lost;
                out_of_order += s.out_of_order;
                transit.extend(s.transit);
            }
            Err(e) => {
                lost += TOKENS;
                if errors.len() < 3 {
                    errors.push(format!("{e:#}"));
                }
            }
        }
    }
    anyhow::ensure!(!transit.is_empty(), "no token arrived through {}: {errors:?}", target.url);
    let cpu = match (server, cpu_before) {
        (Some(pid), Some(b)) => Some((cpu_time(pid)? - b) * 1000 / u32::try_from(tokens.max(1))?),
        _ => None,
    };
    Ok(Level {
        transit: Stats::of(&mut transit),
        clients_ok,
        tokens,
        lost,
        out_of_order,
        errors,
        rss_per_stream_kb: before.zip(peak).map(|(b, p)| p.saturating_sub(b) as f64 / n as f64),
        cpu_per_1000_tokens: cpu,
        over_limit,
    })
}

/// What one client saw.
struct Seen {
    transit: Vec<Duration>,
    lost: usize,
    out_of_order: usize,
}

/// Streams one answer: for each content chunk (`"<n>@<µs sent> "`), how long it took to arrive,
/// and whether it came in its place. Says on `open` when its first token came (or that it failed
/// before), so the level can look at the server while every stream is open; it reads on meanwhile.
async fn stream_one(
    client: &reqwest::Client,
    target: &Target,
    epoch: Instant,
    open: tokio::sync::mpsc::Sender<()>,
) -> anyhow::Result<Seen> {
    let mut open = Some(open);
    let result = async {
        let body = json!({ "model": target.model, "stream": true, "messages": [{ "role": "user", "content": "hi" }] });
        let res = client.post(&target.url).bearer_auth(&target.key).json(&body).send().await?;
        let status = res.status();
        anyhow::ensure!(status.is_success(), "{status}: {}", res.text().await.unwrap_or_default());
        let mut seen = Seen { transit: Vec::with_capacity(TOKENS), lost: 0, out_of_order: 0 };
        let mut next = 0usize;
        let mut buf: Vec<u8> = Vec::new();
        let mut body = res.bytes_stream();
        while let Some(chunk) = body.next().await {
            let arrived = epoch.elapsed();
            buf.extend_from_slice(&chunk?);
            while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
                let event: Vec<u8> = buf.drain(..end + 2).collect();
                let Some((number, sent)) = stamp(&event) else { continue };
                seen.transit.push(arrived.saturating_sub(Duration::from_micros(sent)));
                if number != next {
                    seen.out_of_order += 1;
                }
                next = number + 1;
                if let Some(tx) = open.take() {
                    let _ = tx.try_send(());
                }
            }
        }
        seen.lost = TOKENS.saturating_sub(seen.transit.len());
        anyhow::Ok(seen)
    }
    .await;
    if let Some(tx) = open.take() {
        let _ = tx.try_send(());
    }
    result
}

/// The `<n>@<µs>` stamp in an SSE event's `"content":"…"`, if it has one.
fn stamp(event: &[u8]) -> Option<(usize, u64)> {
    let text = std::str::from_utf8(event).ok()?;
    let content = text.split("\"content\":\"").nth(1)?.split('"').next()?;
    let (number, micros) = content.trim().split_once('@')?;
    Some((number.parse().ok()?, micros.parse().ok()?))
}

/// One request beyond the limit: its status and `Retry-After`.
async fn one_more(client: &reqwest::Client, target: &Target) -> anyhow::Result<(u16, Option<String>)> {
    let body = json!({ "model": target.model, "stream": true, "messages": [{ "role": "user", "content": "hi" }] });
    let res = client.post(&target.url).bearer_auth(&target.key).json(&body).send().await?;
    let retry = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    Ok((res.status().as_u16(), retry))
}

/// The machine's cores, and the async workers of the first round's relays (the default) and of
/// the second round's.
#[derive(Clone, Copy)]
struct Workers {
    cores: usize,
    default: usize,
    other: usize,
}

fn report(rows: &[Row], limit: &Level, small: usize, workers: Workers) -> String {
    let Workers { cores, default, other: k } = workers;
    let threads = |n: usize| if n == 1 { "1 worker".to_owned() } else { format!("{n} workers") };
    let (dw, kw) = (threads(default), threads(k));
    let cpu =
        |l: &Level| l.cpu_per_1000_tokens.map(|c| format!("{:.1} ms", c.as_secs_f64() * 1000.0)).unwrap_or_default();
    let table: String = rows
        .iter()
        .map(|Row { n, direct: d, floor: f, web: t, .. }| {
            format!(
                "| {n} | {} / {} | {} / {} | {} / {} | **{}** | {} | {:.1} KB | {:.1} KB | {} | {} | {}/{n} | {} lost, {} out of order |\n",
                ms(d.transit.p50),
                ms(d.transit.p99),
                ms(f.transit.p50),
                ms(f.transit.p99),
                ms(t.transit.p50),
                ms(t.transit.p99),
                ms_minus(t.transit.p99, d.transit.p99),
                ms_minus(f.transit.p99, d.transit.p99),
                t.rss_per_stream_kb.unwrap_or_default(),
                f.rss_per_stream_kb.unwrap_or_default(),
                cpu(t),
                cpu(f),
                t.clients_ok,
                d.lost + f.lost + t.lost,
                d.out_of_order + f.out_of_order + t.out_of_order,
            )
        })
        .collect();
    let other: String = rows
        .iter()
        .filter_map(|r| r.other.as_ref().map(|pc| (r, pc)))
        .map(|(Row { n, direct: d, floor: f, web: t, .. }, (f2, t2))| {
            format!(
                "| {n} | **{}** | {} | {} | {} | {} | {} | {:.1} KB | {:.1} KB | {}/{n} |\n",
                ms_minus(t.transit.p99, d.transit.p99),
                ms_minus(t2.transit.p99, d.transit.p99),
                ms_minus(f.transit.p99, d.transit.p99),
                ms_minus(f2.transit.p99, d.transit.p99),
                cpu(t),
                cpu(t2),
                t2.rss_per_stream_kb.unwrap_or_default(),
                f2.rss_per_stream_kb.unwrap_or_default(),
                t2.clients_ok,
            )
        })
        .collect();
    let other = match other.is_empty() {
        true => String::new(),
        false => format!(
            "The same levels again, after the default relays are stopped, through a second Web+ and a second \
             pass-through with {kw} (`worker_threads = {k}`) instead of the default {dw}. Added p99 is \
             against the first round's direct run of the level.\n\n\
             | streams | Web+ added p99: {dw} (default) | Web+ added p99: {kw} | pass-through added p99: {dw} | pass-through: {kw} | Web+ CPU per 1,000 tokens: {dw} | {kw} | memory per stream, {kw}: Web+ | pass-through | Web+ ({kw}) clients with every token in order |\n\
             |---|---|---|---|---|---|---|---|---|---|\n\
             {other}\n"
        ),
    };
    let errors: String =
        rows.iter()
            .flat_map(|r| {
                let names = ["direct", "pass-through", "Web+", "pass-through, second round", "Web+, second round"];
                names.into_iter().zip(all(r)).flat_map(move |(path, l)| {
                    l.errors.iter().map(move |e| format!("- {} streams, {path}: {e}\n", r.n))
                })
            })
            .collect();
    let tokens: usize = rows.iter().map(|r| r.web.tokens).sum();
    let over = match &limit.over_limit {
        Some((status, retry)) => format!(
            "The limit: a second Web+ with `max_streams` = {small} and {small} clients streaming. With every one of \
             them open, one more client got **{status}** with `Retry-After: {}`, and the {small} got every token in \
             order: {}/{small} ({} lost, transit p99 {}).",
            retry.as_deref().unwrap_or("(none)"),
            limit.clients_ok,
            limit.lost,
            ms(limit.transit.p99),
        ),
        None => "The request beyond the limit was not sent.".to_owned(),
    };
    let goal = |met: bool| if met { "met" } else { "not met" };
    let verdict = rows.last().map(|Row { n, direct: d, web: t, .. }| {
        format!(
            "Goals at {n} streams: added p99 under 5 ms: {} ({}); under 30 KB per stream: {} ({:.1} KB); no token lost: {}.",
            goal(t.transit.p99.saturating_sub(d.transit.p99) < GOAL_ADDED_P99),
            ms_minus(t.transit.p99, d.transit.p99),
            goal(t.rss_per_stream_kb.is_some_and(|kb| kb < GOAL_RSS_PER_STREAM_KB)),
            t.rss_per_stream_kb.unwrap_or_default(),
            goal(rows.iter().all(|r| all(r).iter().all(|l| l.lost == 0) && r.web.out_of_order == 0)),
        )
    });
    format!(
        "## Many streams at once (`cargo bench -p server --bench streams`)\n\n\
         N clients at once, started over {} s, each streaming one `POST /v1/chat/completions` of {TOKENS} tokens \
         that the OpenAI-compatible fake (in the bench's process) sends {} ms apart ±{} ms, each stamped with \
         its number and send time. Transit = token sent by the fake → read by the client (loopback; the fake \
         and the clients share the bench's runtime). Each level runs three ways in turn: straight from the \
         fake, through a bare pass-through proxy on Web+'s stack in its own process (the floor of any proxy), \
         and through one release `webplus serve` (API key, usage ledger on). Both relays run the runtime \
         `webplus serve` builds by default: {dw} on {cores} cores. Added = a relay's p99 minus \
         direct p99. Memory = the relay's resident memory with every stream open minus before the level, \
         per stream. CPU = the relay's user + system time over the level per 1,000 tokens relayed.\n\n\
         | streams | direct p50 / p99 | pass-through p50 / p99 | Web+ p50 / p99 | Web+ added p99 | pass-through added p99 | memory per stream: Web+ | pass-through | CPU per 1,000 tokens: Web+ | pass-through | Web+ clients with every token in order | tokens |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n\
         {table}\n\
         {}\n\n\
         {other}\
         {over}\n\n\
         {}\
         {tokens} tokens relayed by Web+ in all. Machine: {cores} cores, {}. Measured {}.\n",
        RAMP.as_secs(),
        INTERVAL.as_millis(),
        JITTER.as_millis(),
        verdict.unwrap_or_default(),
        if errors.is_empty() { String::new() } else { format!("Errors (first of each):\n{errors}\n") },
        cpu_model(),
        today(),
    )
}
