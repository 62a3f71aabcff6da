//! PDF text through `pdf-extract` (lopdf underneath): it decodes fonts' ToUnicode maps and
//! simple encodings, which lopdf's own text extraction does not.
//!
//! Both crates `unwrap` on malformed structures (a page without a MediaBox, a broken content
//! stream), so every call into them runs under `catch_unwind`: a damaged upload becomes an error
//! for that page or file, never a crashed worker. Each page is read on its own, so one bad page
//! costs only its own text.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use pdf_extract::{Document, ObjectId, PlainTextOutput, decode_text_string, output_doc_page};

use super::{FileError, FileLimits, stem, too_much_text};
use crate::ingest::chunk::Block;
use crate::ingest::text_to_blocks;

const FORMAT: &str = "PDF";

/// Title and blocks of a PDF: one paragraph per text block (lines separated by a gap) on each page.
pub(crate) fn extract(name: &str, bytes: &[u8], limits: &FileLimits) -> Result<(String, Vec<Block>), FileError> {
    let doc = guarded(name, || load(name, bytes))?;
    let pages = guarded(name, || Ok(doc.get_pages()))?;
    let mut blocks = Vec::new();
    let mut chars = 0usize;
    let mut failure = None;
    for (page, id) in pages {
        if !ancestry_is_finite(&doc, id) {
            failure.get_or_insert(FileError::unreadable(
                name,
                FORMAT,
                "its page tree loops; save (or print) it as PDF again",
            ));
            continue;
        }
        let mut text = String::new();
        let read = guarded(name, || {
            output_doc_page(&doc, &mut PlainTextOutput::new(&mut text), page)
                .map_err(|e| FileError::unreadable(name, FORMAT, e))
        });
        if let Err(err) = read {
            failure.get_or_insert(err);
            continue;
        }
        chars += text.chars().count();
        if chars > limits.max_extracted_chars {
            return Err(too_much_text(name, limits));
        }
        blocks.extend(text_to_blocks(&text));
    }
    if blocks.is_empty() {
        // Some pages failed and none gave text: the failure is the better explanation.
        return Err(failure.unwrap_or(FileError::Empty {
            name: name.to_owned(),
            reason: "the PDF has no extractable text (scanned? OCR is not supported); upload a PDF with a text layer",
        }));
    }
    let title =
        guarded(name, || Ok(metadata_title(&doc)))?.or_else(|| first_line(&blocks)).unwrap_or_else(|| stem(name));
    Ok((title, blocks))
}

/// pdf-extract finds inherited page attributes (MediaBox, Resources) by following `/Parent` links
/// without a cycle check; compiled to a loop, a cycle spins forever. So the chain is walked here
/// first, the same way, with a memory of where it has been.
fn ancestry_is_finite(doc: &Document, page: ObjectId) -> bool {
    let mut seen = HashSet::new();
    let mut current = page;
    while seen.insert(current) && seen.len() <= 256 {
        let parent = doc.get_dictionary(current).ok().and_then(|d| d.get(b"Parent").ok());
        match parent.and_then(|p| p.as_reference().ok()) {
            Some(id) => current = id,
            None => return true,
        }
    }
    false
}

/// Runs parser code, turning a panic inside it into an "unreadable" error.
fn guarded<T>(name: &str, f: impl FnOnce() -> Result<T, FileError>) -> Result<T, FileError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(FileError::unreadable(
            name,
            FORMAT,
            "its structure is damaged; open it and save (or print) it as PDF again",
        ))
    })
}

fn load(name: &str, bytes: &[u8]) -> Result<Document, FileError> {
    let mut doc = Document::load_mem(bytes).map_err(|e| {
        FileError::unreadable(name, FORMAT, format!("{e}; the file may be damaged or only partly uploaded"))
    })?;
    // Many PDFs are "encrypted" with an empty user password just to set permissions.
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(FileError::unreadable(
            name,
            FORMAT,
            "it is protected by a password; remove the password and retry",
        ));
    }
    Ok(doc)
}

/// The Title entry of the document information dictionary, unless empty or a generator's
/// placeholder.
fn metadata_title(doc: &Document) -> Option<String> {
    let info = doc.trailer.get(b"Info").ok()?;
    let (_, info) = doc.dereference(info).ok()?;
    let title = info.as_dict().ok()?.get(b"Title").ok()?;
    let (_, title) = doc.dereference(title).ok()?;
    usable_title(&decode_text_string(title).ok()?)
}

/// A metadata title worth showing: not blank, not a generator's placeholder ("untitled",
/// "Microsoft Word - Document1") and not just a file name.
fn usable_title(raw: &str) -> Option<String> {
    let title = crate::ingest::chunk::collapse(raw);
    let lower = title.to_lowercase();
    let placeholder = ["untitled", "title", "document", "unknown"].contains(&lower.as_str())
        || lower.starts_with("microsoft word - ")
        || [".doc", ".docx", ".pdf", ".odt", ".tex"].iter().any(|ext| lower.ends_with(ext));
    (!title.is_empty() && !placeholder).then_some(title)
}

/// The first line of text, when short enough to be a title.
fn first_line(blocks: &[Block]) -> Option<String> {
    let Some(Block::Paragraph(text)) = blocks.first() else { return None };
    let line: String = text.chars().take(120).collect();
    (line.chars().count() < 120).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::files::{FileKind, extract as extract_file};

    const REPORT: &[u8] = include_bytes!("../../../tests/fixtures/files/report.pdf");

    #[test]
    fn a_two_page_pdf_gives_its_sentences_in_order_and_its_metadata_title() {
        let file = extract_file("report.pdf", FileKind::Pdf, REPORT, &FileLimits::default()).unwrap();
        assert_eq!(file.title, "Quarterly Tide Report");
        let text: Vec<String> = file.blocks.iter().map(|b| format!("{b:?}")).collect();
        let text = text.join("\n");
        let first = text.find("spring tide reached four metres").expect(&text);
        let second = text.find("Seventeen seals were counted").expect(&text);
        assert!(first < second, "{text}");
    }

    #[test]
    fn a_pdf_without_text_says_ocr_is_not_supported() {
        let blank = include_bytes!("../../../tests/fixtures/files/blank.pdf");
        let err = extract_file("scan.pdf", FileKind::Pdf, blank, &FileLimits::default()).unwrap_err();
        assert!(matches!(err, FileError::Empty { .. }), "{err:?}");
        assert!(err.to_string().contains("no extractable text (scanned? OCR is not supported)"), "{err}");
    }

    #[test]
    fn truncated_or_corrupted_pdfs_give_errors_and_never_panic() {
        let limits = FileLimits::default();
        for cut in [10, 100, REPORT.len() / 3, REPORT.len() / 2, REPORT.len() - 40] {
            let err = extract_file("cut.pdf", FileKind::Pdf, &REPORT[..cut], &limits);
            assert!(err.is_err(), "a PDF cut at {cut} bytes was read: {err:?}");
        }
        // Flip bytes all through the body (streams, xref, trailer): every result is a clean Result.
        for step in [7, 13, 61] {
            let mut damaged = REPORT.to_vec();
            damaged.iter_mut().skip(20).step_by(step).for_each(|b| *b ^= 0x5A);
            let err = extract_file("damaged.pdf", FileKind::Pdf, &damaged, &limits).unwrap_err();
            assert!(err.to_string().contains("damaged.pdf"), "{err}");
        }
    }

    /// A one-page PDF whose page has no MediaBox of its own and whose `/Parent` links form a loop.
    fn looping_page_tree() -> Vec<u8> {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 3 0 R >>",
            "<< /Type /Page /Parent 2 0 R >>",
        ];
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = pdf.len();
        pdf.extend(b"xref\n0 4\n0000000000 65535 f \n");
        offsets.iter().for_each(|o| pdf.extend(format!("{o:010} 00000 n \n").as_bytes()));
        pdf.extend(format!("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
        pdf
    }

    #[test]
    fn a_page_tree_whose_parent_links_loop_is_refused_instead_of_hanging() {
        let err = extract_file("loop.pdf", FileKind::Pdf, &looping_page_tree(), &FileLimits::default()).unwrap_err();
        assert!(err.to_string().contains("its page tree loops"), "{err}");
    }

    #[test]
    fn a_panic_inside_the_parser_becomes_an_unreadable_error() {
        let err = guarded::<()>("boom.pdf", || panic!("parser bug")).unwrap_err();
        assert!(matches!(err, FileError::Unreadable { .. }) && err.to_string().contains("boom.pdf"), "{err}");
    }

    #[test]
    fn placeholder_and_file_name_metadata_titles_are_not_used() {
        assert_eq!(usable_title("  Tide   tables ").as_deref(), Some("Tide tables"));
        for placeholder in ["untitled", "Microsoft Word - Document1", "scan_0042.pdf", " "] {
            assert_eq!(usable_title(placeholder), None, "{placeholder}");
        }
    }

    #[test]
    fn the_first_line_becomes_the_title_only_when_it_is_short() {
        let blocks = vec![Block::Paragraph("Harbour log".into())];
        assert_eq!(first_line(&blocks).as_deref(), Some("Harbour log"));
        assert_eq!(first_line(&[Block::Paragraph("x".repeat(300))]), None);
    }
}
