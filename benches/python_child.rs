//! A baseline's Python script run as a child process, the way every side-by-side bench drives
//! one: arguments on its command line, one command per line on its stdin, one JSON object per line
//! on its stdout (its logs and errors go to stderr, so they show in the bench's output). The first
//! line is the script's greeting, sent once it has set up.

// Each bench that includes this file uses a part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::Context;
use serde_json::Value;

pub struct PythonChild {
    name: String,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl PythonChild {
    /// Starts `script` (a path under the crate) with `python`, and waits for its greeting.
    pub fn start<I, S>(python: &Path, script: &str, args: I) -> anyhow::Result<(Self, Value)>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
        let mut child = Command::new(python)
            .arg(&path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {script}"))?;
        let stdin = child.stdin.take().context("script stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("script stdout")?);
        let mut this = Self { name: script.to_owned(), child, stdin, stdout };
        let greeting = this.reply()?;
        Ok((this, greeting))
    }

    /// Sends one command and reads its answer.
    pub fn ask(&mut self, command: &str) -> anyhow::Result<Value> {
        writeln!(self.stdin, "{command}")?;
        self.stdin.flush()?;
        self.reply()
    }

    fn reply(&mut self) -> anyhow::Result<Value> {
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        anyhow::ensure!(!line.is_empty(), "{} exited early (its error is above)", self.name);
        serde_json::from_str(&line).with_context(|| format!("{} answered {line:?}", self.name))
    }
}

impl Drop for PythonChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `key` of a script's answer as a number.
pub fn number(answer: &Value, key: &str) -> anyhow::Result<f64> {
    answer[key].as_f64().with_context(|| format!("no number {key} in {answer}"))
}
