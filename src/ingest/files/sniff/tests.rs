use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/files/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn each_fixture_is_recognised_by_its_content() {
    for (file, kind) in [
        ("report.pdf", FileKind::Pdf),
        ("handbook.docx", FileKind::Docx),
        ("guide.md", FileKind::Md),
        ("page.html", FileKind::Html),
        ("bom.txt", FileKind::Txt),
        ("utf16.txt", FileKind::Txt),
    ] {
        assert_eq!(sniff(file, None, &fixture(file)).unwrap(), kind, "{file}");
    }
}

#[test]
fn a_png_named_pdf_is_refused_saying_what_it_really_is() {
    let err = sniff("image.pdf", Some("application/pdf"), &fixture("image.pdf")).unwrap_err();
    assert!(matches!(err, FileError::Mismatch { .. }), "{err:?}");
    assert!(err.to_string().starts_with("image.pdf is not a PDF (its content looks like a PNG image)"), "{err}");
}

#[test]
fn a_png_under_its_own_name_is_unsupported_with_the_list_of_accepted_types() {
    let err = sniff("photo.png", Some("image/png"), &fixture("image.pdf")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "photo.png looks like a PNG image, which cannot be added. Upload txt, md, html, pdf or docx files"
    );
}

#[test]
fn a_zip_that_is_not_a_word_document_is_refused_whatever_its_name() {
    let zip = fixture("archive.zip");
    let err = sniff("archive.zip", None, &zip).unwrap_err();
    assert!(err.to_string().contains("looks like a zip archive") && err.to_string().contains("unpack it"), "{err}");
    let err = sniff("handbook.docx", None, &zip).unwrap_err();
    assert!(
        err.to_string().starts_with("handbook.docx is not a Word document (its content looks like a zip archive)"),
        "{err}"
    );
}

#[test]
fn a_truncated_docx_is_unreadable_rather_than_a_mismatch() {
    let docx = fixture("handbook.docx");
    let err = sniff("handbook.docx", None, &docx[..docx.len() / 2]).unwrap_err();
    assert!(err.to_string().starts_with("could not read the Word document handbook.docx"), "{err}");
}

#[test]
fn text_named_pdf_and_a_pdf_named_docx_are_mismatches() {
    let err = sniff("notes.pdf", None, b"just some notes\n").unwrap_err();
    assert!(err.to_string().starts_with("notes.pdf is not a PDF (its content looks like a text file)"), "{err}");
    let err = sniff("report.docx", None, &fixture("report.pdf")).unwrap_err();
    assert!(err.to_string().starts_with("report.docx is not a Word document (its content looks like a PDF)"), "{err}");
}

#[test]
fn programs_and_binary_data_are_refused() {
    let err = sniff("tool", None, b"\x7fELF\x02\x01\x01\0\0\0").unwrap_err();
    assert!(err.to_string().contains("a program (ELF executable)"), "{err}");
    let err = sniff("setup.exe", None, b"MZ\x90\0\x03\0\0\0").unwrap_err();
    assert!(err.to_string().contains("a Windows program"), "{err}");
    let err = sniff("data.txt", None, b"abc\0def").unwrap_err();
    assert!(matches!(err, FileError::Mismatch { .. }) && err.to_string().contains("a binary file"), "{err}");
    let err = sniff("data", None, b"abc\0def").unwrap_err();
    assert!(matches!(err, FileError::Unsupported { .. }), "{err:?}");
}

#[test]
fn old_office_files_get_advice_to_save_as_docx() {
    let err = sniff("minutes.doc", None, b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0").unwrap_err();
    assert!(err.to_string().ends_with("; save it as .docx without a password"), "{err}");
}

#[test]
fn an_empty_file_is_refused() {
    assert!(matches!(sniff("a.txt", None, b""), Err(FileError::Empty { .. })));
}

#[test]
fn html_content_wins_over_a_txt_name_but_a_markdown_name_keeps_markdown() {
    let html = fixture("page.html");
    assert_eq!(sniff("page.txt", None, &html).unwrap(), FileKind::Html);
    assert_eq!(sniff("page.md", None, &html).unwrap(), FileKind::Md);
    assert_eq!(sniff("page.htm", None, b"plain words").unwrap(), FileKind::Html);
}

#[test]
fn the_declared_type_counts_only_when_the_name_has_no_known_extension() {
    let md = fixture("guide.md");
    assert_eq!(sniff("upload", Some("text/markdown; charset=utf-8"), &md).unwrap(), FileKind::Md);
    assert_eq!(sniff("upload", None, &md).unwrap(), FileKind::Txt);
    assert_eq!(sniff("guide.md", Some("text/plain"), &md).unwrap(), FileKind::Md);
    let err = sniff("upload", Some("application/pdf"), &fixture("image.pdf")).unwrap_err();
    assert!(matches!(err, FileError::Mismatch { .. }), "{err:?}");
}

#[test]
fn a_browser_path_is_cut_to_the_file_name_in_messages() {
    let err = sniff("C:\\fakepath\\secret\\image.pdf", None, &fixture("image.pdf")).unwrap_err();
    assert!(err.to_string().starts_with("image.pdf is not"), "{err}");
    assert!(!err.to_string().contains("fakepath"));
}

#[test]
fn svg_and_rtf_are_text_but_still_refused() {
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>"#;
    assert!(sniff("logo.svg", None, svg).unwrap_err().to_string().contains("an SVG image"));
    assert!(sniff("letter.rtf", None, b"{\\rtf1\\ansi hello}").unwrap_err().to_string().contains("an RTF document"));
}
