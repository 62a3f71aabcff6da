//! Uploaded files (txt, md, html, pdf, docx) to titled blocks for a knowledge base.
//!
//! Two steps, both synchronous and CPU-bound (callers run them on the blocking pool): [`sniff`]
//! decides the kind from the bytes and refuses what we cannot or should not read; [`extract`] turns
//! the bytes into a title and [`Block`]s for chunking. Limits bound every step: bytes per file and
//! files per upload before anything is parsed, unpacked bytes inside a docx (zip bombs), and the
//! amount of text one file may contribute.

mod docx;
mod error;
mod pdf;
mod sniff;
mod text;

use serde::{Deserialize, Serialize};

use super::chunk::Block;

pub use error::{FileError, human_size};
pub use sniff::sniff;

/// The file types a knowledge base accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Txt,
    Md,
    Html,
    Pdf,
    Docx,
}

impl FileKind {
    pub const ALL: [FileKind; 5] = [Self::Txt, Self::Md, Self::Html, Self::Pdf, Self::Docx];

    /// Short stable name, as stored and shown ("txt", "md", "html", "pdf", "docx").
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Txt => "txt",
            Self::Md => "md",
            Self::Html => "html",
            Self::Pdf => "pdf",
            Self::Docx => "docx",
        }
    }

    /// The inverse of [`FileKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The MIME type to serve the original file with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Txt => "text/plain; charset=utf-8",
            Self::Md => "text/markdown; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }

    /// How error messages name the kind ("report.pdf is not a PDF").
    fn described(self) -> &'static str {
        match self {
            Self::Txt => "a text file",
            Self::Md => "a Markdown file",
            Self::Html => "an HTML page",
            Self::Pdf => "a PDF",
            Self::Docx => "a Word document",
        }
    }

    fn is_text(self) -> bool {
        matches!(self, Self::Txt | Self::Md | Self::Html)
    }
}

/// What one file contributes: chunk `blocks` into a [`super::Document`] titled `title`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractedFile {
    pub title: String,
    pub blocks: Vec<Block>,
    pub kind: FileKind,
}

/// Bounds on uploads. Sizes are bytes; the defaults suit a self-hosted instance on a small machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    pub max_file_bytes: u64,
    pub max_files_per_upload: usize,
    /// Characters of text one file may contribute (5 M is a 1,500-page book).
    pub max_extracted_chars: usize,
    /// Bytes a docx may unpack to: its XML is highly compressible, so a 20 MB upload could
    /// otherwise expand to gigabytes.
    pub max_unpacked_bytes: u64,
    /// Entries in a docx (each costs memory in the central directory).
    pub max_archive_entries: usize,
}

impl Default for FileLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 20_000_000,
            max_files_per_upload: 20,
            max_extracted_chars: 5_000_000,
            max_unpacked_bytes: 50_000_000,
            max_archive_entries: 5_000,
        }
    }
}

impl FileLimits {
    /// Checks an upload before reading any file: the number of files, then each one's size
    /// (`(name, size in bytes)` pairs). The first problem found is returned.
    pub fn check_batch<'a>(&self, files: impl IntoIterator<Item = (&'a str, u64)>) -> Result<(), FileError> {
        let files: Vec<_> = files.into_iter().collect();
        if files.len() > self.max_files_per_upload {
            return Err(FileError::TooMany { count: files.len(), limit: self.max_files_per_upload });
        }
        files.into_iter().try_for_each(|(name, size)| self.check_file(name, size))
    }

    /// Checks one file's size.
    pub fn check_file(&self, file_name: &str, size: u64) -> Result<(), FileError> {
        if size > self.max_file_bytes {
            return Err(FileError::TooLarge { name: display_name(file_name), size, limit: self.max_file_bytes });
        }
        Ok(())
    }
}

/// Extracts the title and blocks of a file whose kind [`sniff`] decided. Synchronous and CPU-bound.
pub fn extract(file_name: &str, kind: FileKind, bytes: &[u8], limits: &FileLimits) -> Result<ExtractedFile, FileError> {
    let name = display_name(file_name);
    limits.check_file(&name, bytes.len() as u64)?;
    let (title, blocks) = match kind {
        FileKind::Pdf => pdf::extract(&name, bytes, limits)?,
        FileKind::Docx => docx::extract(&name, bytes, limits)?,
        _ => text::extract(&name, kind, bytes)?,
    };
    let chars: usize = blocks.iter().map(|b| b.text().chars().count()).sum();
    if chars > limits.max_extracted_chars {
        return Err(too_much_text(&name, limits));
    }
    if blocks.iter().all(|b| b.text().trim().is_empty()) {
        return Err(FileError::Empty { name, reason: "the file has no text to add" });
    }
    Ok(ExtractedFile { title, blocks, kind })
}

/// The text of a file whose kind [`sniff`] decided, as a model reads it: text and Markdown files
/// as they are (code keeps its indentation), the others from their blocks (headings as Markdown
/// headings). Synchronous and CPU-bound.
pub fn plain_text(file_name: &str, kind: FileKind, bytes: &[u8], limits: &FileLimits) -> Result<String, FileError> {
    let name = display_name(file_name);
    let text = match kind {
        FileKind::Txt | FileKind::Md => {
            limits.check_file(&name, bytes.len() as u64)?;
            text::decode(&name, bytes)?.into_owned()
        }
        _ => {
            let file = extract(file_name, kind, bytes, limits)?;
            let blocks = file.blocks.iter().map(|b| match b {
                Block::Heading { level, text } => format!("{} {text}", "#".repeat(usize::from(*level).clamp(1, 6))),
                Block::ListItem(text) => format!("- {text}"),
                Block::Paragraph(text) | Block::Code(text) | Block::TableRow(text) => text.clone(),
            });
            blocks.collect::<Vec<_>>().join("\n\n")
        }
    };
    if text.chars().count() > limits.max_extracted_chars {
        return Err(too_much_text(&name, limits));
    }
    if text.trim().is_empty() {
        return Err(FileError::Empty { name, reason: "the file has no text" });
    }
    Ok(text)
}

fn too_much_text(name: &str, limits: &FileLimits) -> FileError {
    let limit = format!("{} characters of text", limits.max_extracted_chars);
    FileError::TooMuchContent { name: name.to_owned(), limit }
}

/// A client-supplied file name fit to show and store for display: its last path segment (browsers
/// send `C:\fakepath\…`), no control characters, at most 120 characters. Never used as a path.
pub fn display_name(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    let clean = clean.trim();
    if clean.is_empty() { "the file".to_owned() } else { clean.to_owned() }
}

/// The lowercase extension of a file name, if it has one.
fn extension(file_name: &str) -> Option<String> {
    let base = file_name.rsplit(['/', '\\']).next()?;
    let (stem, ext) = base.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.trim().to_ascii_lowercase())
}

/// The title of last resort: the file name without its extension.
fn stem(file_name: &str) -> String {
    let name = display_name(file_name);
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem.trim().to_owned(),
        _ => name,
    }
}

#[cfg(test)]
mod tests;
