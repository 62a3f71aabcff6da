//! Helpers shared by the server benchmarks: starting the real binary, percentiles, and writing
//! results into docs/BENCHMARKS.md.
#![allow(dead_code)] // each bench uses its own subset

pub mod bedrock;
pub mod direct;
#[path = "../../../benches/doc_section.rs"]
mod doc_section;
pub use doc_section::cpu_model;
pub mod first_text;
pub mod upstreams;

use std::{
    io::Write,
    process::{Command, Stdio},
    time::Duration,
};

pub struct Stats {
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Stats {
    pub fn of(v: &mut [Duration]) -> Stats {
        v.sort();
        let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
        Stats { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: v[v.len() - 1] }
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// `a − b` in milliseconds, signed: an added time can come out below zero in a noisy run.
pub fn ms_minus(a: Duration, b: Duration) -> String {
    format!("{:.3} ms", (a.as_secs_f64() - b.as_secs_f64()) * 1000.0)
}

/// Creates an admin account and returns a fresh API key for it, through the admin CLI as an
/// operator would. `env` sets the server's environment on each command.
pub fn admin_api_key(bin: &str, env: &dyn Fn(&mut Command)) -> anyhow::Result<String> {
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
    Ok(String::from_utf8(out.stdout)?.lines().last().unwrap_or_default().trim().to_string())
}

pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub async fn wait_ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if client.get(format!("{base}/ready")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the server did not become ready")
}

pub fn rss_kb(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:").and_then(|v| v.split_whitespace().next()).and_then(|n| n.parse().ok()))
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for {pid}"))
}

/// CPU time a process has used so far (user + system), from `/proc/<pid>/stat`.
pub fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which is in parentheses and may hold spaces): utime and
    // stime are the 12th and 13th of them, in clock ticks.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
    let (Some(user), Some(system)) = (tick(11), tick(12)) else {
        anyhow::bail!("no CPU times in /proc/{pid}/stat");
    };
    let hz = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(100);
    Ok(Duration::from_micros((user + system) * 1_000_000 / hz))
}

pub fn today() -> String {
    Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Writes `body` as the section `name` of `path` (from the repository's root): the engine's
/// benchmarks' writer (`benches/doc_section.rs`), so both honour `WEBPLUS_BENCH_NO_WRITE`.
pub fn write_section(path: &str, name: &str, body: &str) -> std::io::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    doc_section::write_section(&path, name, body)
}
