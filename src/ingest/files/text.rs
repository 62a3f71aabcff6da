//! Text files: decoding (UTF-8 with or without BOM, UTF-16 with BOM) and the three text kinds.

use std::borrow::Cow;

use super::{FileError, FileKind, stem};
use crate::ingest::chunk::Block;
use crate::ingest::{html, markdown_to_blocks, text_to_blocks};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The text of a file. Editors on Windows write UTF-16 with a BOM ("Unicode" in Notepad), so we
/// convert that rather than refuse it; without a BOM only UTF-8 is accepted, because guessing a
/// legacy code page silently garbles text.
pub(crate) fn decode<'a>(name: &str, bytes: &'a [u8]) -> Result<Cow<'a, str>, FileError> {
    let utf16 = |body: &[u8], read: fn([u8; 2]) -> u16| -> Result<Cow<'a, str>, FileError> {
        if !body.len().is_multiple_of(2) {
            return Err(not_text(name, "its UTF-16 text ends in half a character; save it again as UTF-8"));
        }
        let units = body.chunks_exact(2).map(|pair| read([pair[0], pair[1]]));
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map(Cow::Owned)
            .map_err(|_| not_text(name, "its UTF-16 text is damaged; save it again as UTF-8"))
    };
    if let Some(body) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(body, u16::from_le_bytes);
    }
    if let Some(body) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(body, u16::from_be_bytes);
    }
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    std::str::from_utf8(body).map(Cow::Borrowed).map_err(|e| {
        let offset = e.valid_up_to() + (bytes.len() - body.len());
        not_text(
            name,
            &format!("it is not UTF-8 text (byte {offset} is invalid); save it with UTF-8 encoding and retry"),
        )
    })
}

fn not_text(name: &str, reason: &str) -> FileError {
    FileError::unreadable(name, "text file", reason)
}

/// Whether text is an HTML page or fragment: a doctype, the document elements near the start, or a
/// common block tag as the very first thing.
pub(crate) fn looks_like_html(text: &str) -> bool {
    let head: String = text.trim_start().chars().take(1024).collect::<String>().to_ascii_lowercase();
    const OPENERS: &[&str] = &[
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "<div",
        "<p>",
        "<p ",
        "<h1",
        "<h2",
        "<table",
        "<article",
        "<main",
    ];
    OPENERS.iter().any(|o| head.starts_with(o))
        || (head.starts_with('<') && ["<html", "<head>", "<body", "<title>"].iter().any(|t| head.contains(t)))
}

/// Title and blocks of a text kind (`Txt`, `Md` or `Html`).
pub(crate) fn extract(name: &str, kind: FileKind, bytes: &[u8]) -> Result<(String, Vec<Block>), FileError> {
    let text = decode(name, bytes)?;
    Ok(match kind {
        FileKind::Md => {
            let blocks = markdown_to_blocks(&text);
            let title = blocks.iter().find_map(|b| match b {
                Block::Heading { level: 1, text } => Some(text.clone()),
                _ => None,
            });
            (title.unwrap_or_else(|| stem(name)), blocks)
        }
        FileKind::Html => {
            let page = html::extract_str(&text);
            let title = if page.title.is_empty() { stem(name) } else { page.title };
            (title, page.blocks)
        }
        _ => (stem(name), text_to_blocks(&text)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utf8_bom_is_dropped_and_utf16_with_a_bom_is_converted() {
        assert_eq!(decode("a.txt", b"\xEF\xBB\xBFhi").unwrap(), "hi");
        assert_eq!(decode("a.txt", b"\xFF\xFEh\0i\0").unwrap(), "hi");
        assert_eq!(decode("a.txt", b"\xFE\xFF\0h\0i").unwrap(), "hi");
    }

    #[test]
    fn latin1_text_is_refused_with_the_offset_and_what_to_do() {
        let err = decode("notes.txt", b"caf\xE9 au lait").unwrap_err().to_string();
        assert!(err.contains("notes.txt") && err.contains("byte 3") && err.contains("UTF-8"), "{err}");
    }

    #[test]
    fn odd_length_or_unpaired_utf16_is_refused() {
        assert!(decode("a.txt", b"\xFF\xFEh\0i").is_err());
        assert!(decode("a.txt", b"\xFF\xFE\x00\xD8").is_err()); // a lone high surrogate
    }

    #[test]
    fn html_is_recognised_by_doctype_document_tags_or_a_leading_block_tag() {
        assert!(looks_like_html("\n  <!DOCTYPE html><p>x"));
        assert!(looks_like_html("<!-- generated -->\n<html lang=en>"));
        assert!(looks_like_html("<div class=x>hello</div>"));
        assert!(!looks_like_html("# Title\n\nText with <b>bold</b>."));
        assert!(!looks_like_html("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"));
    }

    #[test]
    fn a_markdown_title_is_its_first_level_one_heading_else_the_file_name() {
        let (title, blocks) = extract("guide.md", FileKind::Md, b"intro\n\n## Sub\n\n# Main\n").unwrap();
        assert_eq!(title, "Main");
        assert_eq!(blocks.len(), 3);
        let (title, _) = extract("my notes.v2.md", FileKind::Md, b"## only a sub heading\n").unwrap();
        assert_eq!(title, "my notes.v2");
    }
}
