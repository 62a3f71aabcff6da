//! A Python venv per baseline (installed from PyPI on first use), for benchmarks that compare us
//! with a library's Python package. Venvs live outside the repository and the target dir (`make
//! clean` keeps them): `$XDG_CACHE_HOME/webplus/NAME-venv`, else `~/.cache/webplus/NAME-venv`.

// Each bench that includes this file uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The python of the venv `name`, with `packages` installed (created on first use). `import` is
/// the module list a working install imports, e.g. "hnswlib, numpy".
pub fn python(name: &str, packages: &[&str], import: &str) -> anyhow::Result<PathBuf> {
    python_built_with(name, packages, import, &[])
}

/// [`python`], with `env` set for pip: the build settings of packages compiled from their sdist
/// (pip's wheel cache is bypassed then, as it does not key wheels by them).
pub fn python_built_with(name: &str, packages: &[&str], import: &str, env: &[(&str, &str)]) -> anyhow::Result<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    let dir = cache.join(format!("webplus/{name}-venv"));
    let python = dir.join("bin/python");
    let check = format!("import {import}");
    let ready = |p: &Path| Command::new(p).args(["-c", &check]).output().is_ok_and(|o| o.status.success());
    if ready(&python) {
        return Ok(python);
    }
    eprintln!("installing {} into {} (once) ...", packages.join(", "), dir.display());
    run(Command::new("python3").args(["-m", "venv"]).arg(&dir))?;
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "install", "--quiet"]).envs(env.iter().copied());
    if !env.is_empty() {
        pip.arg("--no-cache-dir");
    }
    run(pip.args(packages))?;
    if !ready(&python) {
        bail!("{import} still does not import from {}", python.display());
    }
    Ok(python)
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}
