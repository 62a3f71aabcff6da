//! Word (.docx) files: a zip of XML parts. We read the body (`word/document.xml`), the style
//! table (which paragraphs are headings or list items) and the core properties (the title).
//!
//! A docx is attacker-shaped input: its XML compresses a thousandfold, so every part is read
//! through one budget of unpacked bytes that stops reading as soon as it is spent, whatever sizes
//! the zip headers claim.

mod body;
mod styles;
mod xml;

use std::io::{Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

use super::{FileError, FileLimits, human_size, stem};
use crate::ingest::chunk::Block;

const FORMAT: &str = "Word document";

/// Title and blocks of a docx.
pub(crate) fn extract(name: &str, bytes: &[u8], limits: &FileLimits) -> Result<(String, Vec<Block>), FileError> {
    let unreadable = |reason: String| FileError::unreadable(name, FORMAT, reason);
    let mut archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| unreadable(format!("it is not a complete zip package ({e}); save it again")))?;
    if archive.len() > limits.max_archive_entries {
        let limit = format!("{} files inside its package", limits.max_archive_entries);
        return Err(FileError::TooMuchContent { name: name.to_owned(), limit });
    }
    let mut parts = Parts { archive: &mut archive, name, budget: limits.max_unpacked_bytes, limits };
    let document = parts.read("word/document.xml")?.ok_or_else(|| unreadable("it has no document body".into()))?;
    let styles = parts.read("word/styles.xml")?.map(|xml| styles::parse(&xml)).unwrap_or_default();
    let core_title = parts.read("docProps/core.xml")?.and_then(|xml| styles::core_title(&xml));
    let blocks = body::parse(&document, &styles, limits.max_extracted_chars).map_err(|e| match e {
        body::Error::Xml(reason) => unreadable(format!("its document body is not valid XML ({reason})")),
        body::Error::TooMuchText => super::too_much_text(name, limits),
    })?;
    let first_heading = blocks.iter().find_map(|b| match b {
        Block::Heading { text, .. } => Some(text.clone()),
        _ => None,
    });
    Ok((core_title.or(first_heading).unwrap_or_else(|| stem(name)), blocks))
}

/// Reads parts of one package against a shared budget of unpacked bytes.
struct Parts<'a, 'b> {
    archive: &'a mut ZipArchive<Cursor<&'b [u8]>>,
    name: &'a str,
    budget: u64,
    limits: &'a FileLimits,
}

impl Parts<'_, '_> {
    /// The part's text, `None` if the package has no such part.
    fn read(&mut self, path: &str) -> Result<Option<String>, FileError> {
        let unreadable = |reason: String| FileError::unreadable(self.name, FORMAT, reason);
        let bomb = || FileError::TooMuchContent {
            name: self.name.to_owned(),
            limit: format!("{} of data once unpacked", human_size(self.limits.max_unpacked_bytes)),
        };
        let mut entry = match self.archive.by_name(path) {
            Ok(entry) => entry,
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(unreadable(format!("{e}; save it again without a password"))),
        };
        if entry.size() > self.budget {
            return Err(bomb());
        }
        // The declared size may lie: read at most one byte past the budget and judge by what came out.
        let mut data = Vec::with_capacity(entry.size() as usize);
        (&mut entry)
            .take(self.budget + 1)
            .read_to_end(&mut data)
            .map_err(|e| unreadable(format!("{e}; the file may be damaged, save it again")))?;
        if data.len() as u64 > self.budget {
            return Err(bomb());
        }
        self.budget -= data.len() as u64;
        let text = String::from_utf8(data).map_err(|_| unreadable(format!("{path} is not UTF-8; save it again")))?;
        Ok(Some(text))
    }
}

#[cfg(test)]
mod tests;
