use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/files/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What an upload handler does: sniff, then extract.
fn ingest(name: &str) -> Result<ExtractedFile, FileError> {
    let bytes = fixture(name);
    let kind = sniff(name, None, &bytes)?;
    extract(name, kind, &bytes, &FileLimits::default())
}

fn all_text(file: &ExtractedFile) -> String {
    file.blocks.iter().map(Block::text).collect::<Vec<_>>().join("\n")
}

#[test]
fn a_utf8_bom_text_file_loses_the_bom_and_is_titled_by_its_name() {
    let file = ingest("bom.txt").unwrap();
    assert_eq!(file.title, "bom");
    assert_eq!(file.kind, FileKind::Txt);
    assert_eq!(
        file.blocks,
        vec![
            Block::Paragraph("Mooring ropes are checked at dawn.".into()),
            Block::Paragraph("Second paragraph.".into())
        ]
    );
}

#[test]
fn a_utf16_text_file_is_converted() {
    let file = ingest("utf16.txt").unwrap();
    assert_eq!(file.blocks, vec![Block::Paragraph("Foghorn tests happen on Sundays.".into())]);
}

#[test]
fn markdown_keeps_its_headings_and_takes_its_title_from_the_first() {
    let file = ingest("guide.md").unwrap();
    assert_eq!(file.title, "Signal Flags Guide");
    assert_eq!(file.blocks[2], Block::Heading { level: 2, text: "Alpha".into() });
    assert!(file.blocks.contains(&Block::ListItem("Keep clear".into())));
}

#[test]
fn html_drops_navigation_scripts_and_footers() {
    let file = ingest("page.html").unwrap();
    assert_eq!(file.title, "Harbour Notices");
    let text = all_text(&file);
    assert!(text.contains("The east pier closes for repairs on Monday."), "{text}");
    for boilerplate in ["SECRET_SCRIPT", "About us", "Copyright footer"] {
        assert!(!text.contains(boilerplate), "{boilerplate} in {text}");
    }
}

#[test]
fn pdf_and_docx_fixtures_go_through_sniff_and_extract() {
    let pdf = ingest("report.pdf").unwrap();
    assert_eq!((pdf.kind, pdf.title.as_str()), (FileKind::Pdf, "Quarterly Tide Report"));
    assert!(all_text(&pdf).contains("Seventeen seals were counted on the sandbank in March."));
    let docx = ingest("handbook.docx").unwrap();
    assert_eq!(docx.kind, FileKind::Docx);
    assert!(all_text(&docx).contains("Purple herons nest on the northern cliff every April."));
}

#[test]
fn whitespace_only_text_is_empty() {
    let err = extract("blank.txt", FileKind::Txt, b" \n\n\t\n", &FileLimits::default()).unwrap_err();
    assert_eq!(err.to_string(), "blank.txt: the file has no text to add");
}

#[test]
fn text_over_the_character_limit_is_refused() {
    let limits = FileLimits { max_extracted_chars: 20, ..FileLimits::default() };
    let err = extract("guide.md", FileKind::Md, &fixture("guide.md"), &limits).unwrap_err();
    assert_eq!(err.to_string(), "guide.md holds more than 20 characters of text. Split it into smaller files");
}

#[test]
fn extract_checks_the_byte_limit_itself() {
    let limits = FileLimits { max_file_bytes: 10, ..FileLimits::default() };
    let err = extract("bom.txt", FileKind::Txt, &fixture("bom.txt"), &limits).unwrap_err();
    assert!(matches!(err, FileError::TooLarge { size: 57, limit: 10, .. }), "{err:?}");
}

#[test]
fn a_batch_over_the_count_limit_is_refused_before_sizes_are_looked_at() {
    let limits = FileLimits::default();
    let names: Vec<String> = (0..21).map(|i| format!("f{i}.txt")).collect();
    let err = limits.check_batch(names.iter().map(|n| (n.as_str(), u64::MAX))).unwrap_err();
    assert_eq!(err.to_string(), "21 files were uploaded at once; the limit is 20. Upload them in smaller batches");
    assert!(limits.check_batch(names[..20].iter().map(|n| (n.as_str(), 100))).is_ok());
}

#[test]
fn a_batch_with_one_file_too_large_names_that_file() {
    let err = FileLimits::default().check_batch([("a.txt", 10), ("big.pdf", 31_200_000)]).unwrap_err();
    assert_eq!(err.to_string(), "file big.pdf is 31.2 MB; the limit is 20 MB. Split it into smaller files");
}

#[test]
fn kinds_round_trip_through_their_names_and_carry_a_content_type() {
    for kind in FileKind::ALL {
        assert_eq!(FileKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(FileKind::parse("exe"), None);
    assert_eq!(FileKind::Pdf.content_type(), "application/pdf");
    assert_eq!(serde_json::to_string(&FileKind::Docx).unwrap(), "\"docx\"");
}

#[test]
fn file_names_lose_paths_and_control_characters_and_stems_lose_the_extension() {
    assert_eq!(display_name("C:\\fakepath\\Report.pdf"), "Report.pdf");
    assert_eq!(display_name("/home/u/a\u{7}b.txt"), "ab.txt");
    assert_eq!(display_name("dir/"), "the file");
    assert_eq!(stem("notes.final.md"), "notes.final");
    assert_eq!(stem(".profile"), ".profile");
    assert_eq!(extension(".profile"), None);
    assert_eq!(extension("A.PDF").as_deref(), Some("pdf"));
}

/// Deterministic byte damage (xorshift), so a failure reproduces.
fn damage(bytes: &[u8], seed: &mut u64) -> Vec<u8> {
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed as usize
    };
    let mut out = bytes.to_vec();
    for _ in 0..1 + next() % 8 {
        let at = next() % out.len();
        out[at] = next() as u8;
    }
    if next() % 5 == 0 {
        out.truncate(next() % out.len());
    }
    out
}

#[test]
fn damaged_pdfs_and_docx_files_give_a_result_never_a_panic_and_errors_name_the_file() {
    let mut seed = 0x2545_F491_4F6C_DD1D;
    for name in ["report.pdf", "handbook.docx", "blank.pdf"] {
        let original = fixture(name);
        for _ in 0..300 {
            let bytes = damage(&original, &mut seed);
            match sniff(name, None, &bytes).and_then(|kind| extract(name, kind, &bytes, &FileLimits::default())) {
                Ok(file) => assert!(!file.blocks.is_empty()),
                Err(err) => assert!(err.to_string().contains(name), "{err}"),
            }
        }
    }
}
