//! Writes a benchmark's section of docs/BENCHMARKS.md (shared by the engine's benches).

use std::path::Path;

/// Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` (markers kept), or
/// adds the section before "## Notes" (or at the end) the first time.
pub fn write_section(path: &Path, name: &str, body: &str) -> std::io::Result<()> {
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
    std::fs::write(path, doc)
}
