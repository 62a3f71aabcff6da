//! Writes a benchmark's section of docs/BENCHMARKS.md (shared by every Rust benchmark, the
//! engine's and the server's), and names the CPU its table was measured on.

use std::path::Path;

/// Set (to anything but `0`) for runs whose tables are not to be kept, such as a sweep of
/// settings: the section is printed as always, and the document is left as it is.
pub const NO_WRITE: &str = "WEBPLUS_BENCH_NO_WRITE";

/// Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` (markers kept), or
/// adds the section before "## Notes" (or at the end) the first time. Says which it did.
pub fn write_section(path: &Path, name: &str, body: &str) -> std::io::Result<()> {
    if std::env::var(NO_WRITE).is_ok_and(|v| !v.is_empty() && v != "0") {
        println!("{NO_WRITE} is set: the {name} section of {} is left as it is", path.display());
        return Ok(());
    }
    let doc = std::fs::read_to_string(path)?;
    let (open, close) = (format!("<!-- bench:{name} -->"), format!("<!-- /bench:{name} -->"));
    let section = format!("{open}\n{}\n{close}", body.trim_end());
    let doc = match (doc.find(&open), doc.find(&close)) {
        (Some(a), Some(b)) if a < b => format!("{}{section}{}", &doc[..a], &doc[b + close.len()..]),
        _ => match doc.find("\n## Notes") {
            Some(at) => format!("{}\n{section}\n{}", &doc[..at], &doc[at..]),
            None => format!("{}\n{section}\n", doc.trim_end()),
        },
    };
    std::fs::write(path, doc)?;
    println!("the {name} section of {} is written", path.display());
    Ok(())
}

/// The CPU's model name, as /proc/cpuinfo gives it, for a table's header.
#[allow(dead_code)] // not every benchmark names the CPU
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".into())
}
