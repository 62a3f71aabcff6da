//! Deciding what an uploaded file is from its bytes, and checking that its name agrees.
//!
//! Names and declared types come from the user's machine and are only a claim: a photo renamed
//! `report.pdf` must be refused with a message that says so, not fed to the PDF parser. Binary
//! formats are recognised by their signatures; zips by their entry names; everything else must be
//! text, and among text kinds the content (HTML) or the extension (Markdown) decides.

use std::io::Cursor;

use super::{FileError, FileKind, display_name, extension, text};

/// What the bytes turned out to be.
enum Found {
    Kind(FileKind),
    /// A known format we do not read, with advice on what to upload instead.
    Other {
        what: &'static str,
        advice: &'static str,
    },
    /// A zip that cannot be opened (truncated upload, damaged file).
    BrokenZip(String),
    /// Neither a known binary format nor decodable text.
    NotText(FileError),
}

/// Decides the kind of an uploaded file by its content; its name and declared content type must
/// agree (a `.pdf` that is a PNG is refused) but never decide alone.
pub fn sniff(file_name: &str, declared_content_type: Option<&str>, bytes: &[u8]) -> Result<FileKind, FileError> {
    let name = display_name(file_name);
    if bytes.is_empty() {
        return Err(FileError::Empty { name, reason: "the file is empty; pick the file again" });
    }
    let claimed = claim_by_name(file_name).or_else(|| declared_content_type.and_then(claim_by_type));
    let found = identify(&name, claimed, bytes);
    let mismatch = |expected: FileKind, found: String| FileError::Mismatch {
        name: name.clone(),
        expected: expected.described(),
        found,
    };
    match (found, claimed) {
        (Found::Kind(kind), None) => Ok(kind),
        (Found::Kind(kind), Some(claim)) if kind == claim || (kind.is_text() && claim.is_text()) => Ok(kind),
        (Found::Kind(kind), Some(claim)) => Err(mismatch(claim, kind.described().to_owned())),
        (Found::BrokenZip(reason), Some(FileKind::Docx)) => Err(FileError::unreadable(&name, "Word document", reason)),
        (Found::BrokenZip(_), claim) => fail_other(&name, claim, "a damaged zip archive", ""),
        (Found::Other { what, advice }, claim) => fail_other(&name, claim, what, advice),
        (Found::NotText(_), Some(claim @ (FileKind::Pdf | FileKind::Docx))) => {
            Err(mismatch(claim, "binary data of an unknown type".to_owned()))
        }
        (Found::NotText(err), _) => Err(err),
    }
}

/// A supported claim with unsupported content is a mismatch; otherwise the content is unsupported.
fn fail_other(name: &str, claim: Option<FileKind>, what: &str, advice: &'static str) -> Result<FileKind, FileError> {
    Err(match claim {
        Some(claim) => {
            FileError::Mismatch { name: name.to_owned(), expected: claim.described(), found: what.to_owned() }
        }
        None => FileError::Unsupported { name: name.to_owned(), found: what.to_owned(), advice },
    })
}

/// The kind a file name promises, if its extension is one we read.
fn claim_by_name(file_name: &str) -> Option<FileKind> {
    Some(match extension(file_name)?.as_str() {
        "pdf" => FileKind::Pdf,
        "docx" => FileKind::Docx,
        "md" | "markdown" | "mdown" | "mkd" => FileKind::Md,
        "html" | "htm" | "xhtml" => FileKind::Html,
        "txt" | "text" | "log" | "csv" | "tsv" | "rst" | "adoc" | "org" => FileKind::Txt,
        _ => return None,
    })
}

/// The kind a declared MIME type promises (browsers derive it from the extension, so it only
/// matters when the name has none).
fn claim_by_type(content_type: &str) -> Option<FileKind> {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    Some(match essence.as_str() {
        "application/pdf" => FileKind::Pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => FileKind::Docx,
        "text/markdown" | "text/x-markdown" => FileKind::Md,
        "text/html" | "application/xhtml+xml" => FileKind::Html,
        "text/plain" => FileKind::Txt,
        _ => return None,
    })
}

/// Signatures of formats people upload by mistake, with what to do instead.
const SIGNATURES: &[(usize, &[u8], &str, &str)] = &[
    (0, b"\x89PNG\r\n\x1a\n", "a PNG image", ""),
    (0, b"\xFF\xD8\xFF", "a JPEG image", ""),
    (0, b"GIF87a", "a GIF image", ""),
    (0, b"GIF89a", "a GIF image", ""),
    (0, b"RIFF", "a media file (WebP, WAV or AVI)", ""),
    (0, b"II*\0", "a TIFF image", ""),
    (0, b"MM\0*", "a TIFF image", ""),
    (4, b"ftyp", "a video, audio or HEIC image file", ""),
    (0, b"ID3\x03\0", "an MP3 audio file", ""),
    (0, b"ID3\x04\0", "an MP3 audio file", ""),
    (0, b"OggS", "an Ogg audio or video file", ""),
    (0, b"\x1A\x45\xDF\xA3", "a WebM or Matroska video", ""),
    (0, b"\x7FELF", "a program (ELF executable)", ""),
    (0, b"\xCF\xFA\xED\xFE", "a macOS program", ""),
    (0, b"\xCA\xFE\xBA\xBE", "a program (Java class or macOS executable)", ""),
    (0, b"\0asm", "a WebAssembly program", ""),
    (0, b"\x1F\x8B", "a gzip archive", "; unpack it and upload the files inside"),
    (0, b"\xFD7zXZ\0", "an xz archive", "; unpack it and upload the files inside"),
    (0, b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive", "; unpack it and upload the files inside"),
    (0, b"Rar!\x1A\x07", "a RAR archive", "; unpack it and upload the files inside"),
    (0, b"SQLite format 3\0", "an SQLite database", ""),
    (
        0,
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        "an old Office file (.doc, .xls, .ppt) or a password-protected Office document",
        "; save it as .docx without a password",
    ),
    (0, b"{\\rtf", "an RTF document", "; save it as .docx or .txt"),
    (0, b"%!PS", "a PostScript file", "; save it as PDF"),
];

fn identify(name: &str, claimed: Option<FileKind>, bytes: &[u8]) -> Found {
    // The PDF header may follow some junk; readers accept it within the first KB.
    if bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
        return Found::Kind(FileKind::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return identify_zip(bytes);
    }
    if let Some((_, _, what, advice)) =
        SIGNATURES.iter().find(|(at, sig, ..)| bytes.get(*at..).is_some_and(|b| b.starts_with(sig)))
    {
        return Found::Other { what, advice };
    }
    let has_bom = [&b"\xFF\xFE"[..], b"\xFE\xFF"].iter().any(|bom| bytes.starts_with(bom));
    if bytes.starts_with(b"MZ") || (!has_bom && bytes[..bytes.len().min(8192)].contains(&0)) {
        let what = if bytes.starts_with(b"MZ") { "a Windows program" } else { "a binary file" };
        return Found::Other { what, advice: "" };
    }
    let text = match text::decode(name, bytes) {
        Ok(text) => text,
        Err(err) => return Found::NotText(err),
    };
    let head: String = text.trim_start().chars().take(512).collect();
    if head.starts_with("<?xml") && head.contains("<svg") {
        return Found::Other { what: "an SVG image", advice: "" };
    }
    Found::Kind(match claimed {
        Some(FileKind::Md) => FileKind::Md,
        _ if text::looks_like_html(&text) => FileKind::Html,
        Some(FileKind::Html) => FileKind::Html,
        _ => FileKind::Txt,
    })
}

/// Office files are zips; the entry names tell a Word document from a workbook or a plain zip.
fn identify_zip(bytes: &[u8]) -> Found {
    let archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(archive) => archive,
        Err(err) => return Found::BrokenZip(format!("it is not a complete zip package ({err}); save it again")),
    };
    let has = |entry: &str| archive.index_for_name(entry).is_some();
    if has("word/document.xml") && has("[Content_Types].xml") {
        return Found::Kind(FileKind::Docx);
    }
    let (what, advice) = if has("xl/workbook.xml") {
        ("an Excel workbook", "; save the sheets as CSV")
    } else if has("ppt/presentation.xml") {
        ("a PowerPoint presentation", "; export it as PDF")
    } else if has("META-INF/container.xml") {
        ("an EPUB e-book", "")
    } else if has("content.xml") && has("mimetype") {
        ("an OpenDocument file", "; save it as .docx or PDF")
    } else {
        ("a zip archive", "; unpack it and upload the files inside")
    };
    Found::Other { what, advice }
}

#[cfg(test)]
mod tests;
