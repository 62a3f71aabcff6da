//! A Python venv per baseline (installed from PyPI on first use), for benchmarks that compare us
//! with a library's Python package. Venvs live outside the repository and the target dir (`make
//! clean` keeps them): `$XDG_CACHE_HOME/webplus/NAME-venv`, else `~/.cache/webplus/NAME-venv`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The python of the venv `name`, with `packages` installed (created on first use). `import` is
/// the module list a working install imports, e.g. "hnswlib, numpy".
pub fn python(name: &str, packages: &[&str], import: &str) -> anyhow::Result<PathBuf> {
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
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet"]).args(packages))?;
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
