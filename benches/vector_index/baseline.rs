//! hnswlib, the C++ library's Python package, as the baseline: a venv with it (installed on first
//! use), and `benches/hnswlib_baseline.py` kept running so that its searches interleave with ours.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, bail};
use serde_json::Value;

/// The venv's python with hnswlib and numpy, creating the venv on first use (`pip` compiles
/// hnswlib's C++ with g++, about a minute).
pub fn python() -> anyhow::Result<PathBuf> {
    crate::python_venv::python("hnswlib", &["hnswlib", "numpy"], "hnswlib, numpy")
}

/// One hnswlib index, built by the script from the files in `dir`.
pub struct Hnswlib {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pub version: String,
    pub build_secs: f64,
}

/// One search sweep point as the script measured it.
pub struct Measured {
    pub recall: f64,
    pub qps: f64,
    pub qps_batch: f64,
}

impl Hnswlib {
    pub fn build(python: &Path, dir: &Path, dims: usize, m: usize, ef_construction: usize) -> anyhow::Result<Self> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/hnswlib_baseline.py");
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut child = Command::new(python)
            .arg(script)
            .arg("--dir")
            .arg(dir)
            .args(["--dims", &dims.to_string(), "--m", &m.to_string()])
            .args(["--ef-construction", &ef_construction.to_string(), "--build-threads", &threads.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting benches/hnswlib_baseline.py")?;
        let stdin = child.stdin.take().context("script stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("script stdout")?);
        let mut this = Self { child, stdin, stdout, version: String::new(), build_secs: 0.0 };
        let built = this.reply()?;
        this.build_secs = number(&built, "build_s")?;
        this.version = built["version"].as_str().unwrap_or("unknown").to_string();
        Ok(this)
    }

    pub fn search(&mut self, ef: usize) -> anyhow::Result<Measured> {
        writeln!(self.stdin, "search {ef}")?;
        self.stdin.flush()?;
        let r = self.reply()?;
        Ok(Measured { recall: number(&r, "recall")?, qps: number(&r, "qps")?, qps_batch: number(&r, "qps_batch")? })
    }

    fn reply(&mut self) -> anyhow::Result<Value> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            bail!("hnswlib_baseline.py exited early (its error is above)");
        }
        serde_json::from_str(&line).with_context(|| format!("hnswlib_baseline.py said {line:?}"))
    }
}

impl Drop for Hnswlib {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let _ = self.child.wait();
    }
}

fn number(v: &Value, key: &str) -> anyhow::Result<f64> {
    v[key].as_f64().with_context(|| format!("no {key} in {v}"))
}
