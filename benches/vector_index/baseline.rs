//! hnswlib, the C++ library's Python package, as the baseline: a venv with it (installed on first
//! use), and `benches/hnswlib_baseline.py` kept running so that its searches interleave with ours.

use std::path::{Path, PathBuf};

use crate::python_child::{PythonChild, number};

/// The venv's python with hnswlib and numpy, creating the venv on first use (`pip` compiles
/// hnswlib's C++ with g++, about a minute).
pub fn python() -> anyhow::Result<PathBuf> {
    crate::python_venv::python("hnswlib", &["hnswlib", "numpy"], "hnswlib, numpy")
}

/// One hnswlib index, built by the script from the files in `dir`.
pub struct Hnswlib {
    script: PythonChild,
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
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut args = vec![std::ffi::OsString::from("--dir"), dir.into()];
        for (flag, n) in
            [("--dims", dims), ("--m", m), ("--ef-construction", ef_construction), ("--build-threads", threads)]
        {
            args.extend([flag.into(), n.to_string().into()]);
        }
        let (script, built) = PythonChild::start(python, "benches/hnswlib_baseline.py", &args)?;
        let build_secs = number(&built, "build_s")?;
        let version = built["version"].as_str().unwrap_or("unknown").to_string();
        Ok(Self { script, version, build_secs })
    }

    pub fn search(&mut self, ef: usize) -> anyhow::Result<Measured> {
        let r = self.script.ask(&format!("search {ef}"))?;
        Ok(Measured { recall: number(&r, "recall")?, qps: number(&r, "qps")?, qps_batch: number(&r, "qps_batch")? })
    }
}
