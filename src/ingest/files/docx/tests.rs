use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

use super::*;

const HANDBOOK: &[u8] = include_bytes!("../../../../tests/fixtures/files/handbook.docx");
const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

fn heading(level: u8, text: &str) -> Block {
    Block::Heading { level, text: text.into() }
}

/// A minimal docx package around a body, written by the `zip` crate.
fn package(document: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    document(&mut zip);
    zip.finish().unwrap().into_inner()
}

fn body(xml: &str) -> Vec<Block> {
    let doc = format!("<w:document {W}><w:body>{xml}</w:body></w:document>");
    let bytes = package(|w| w.write_all(doc.as_bytes()).unwrap());
    extract("t.docx", &bytes, &FileLimits::default()).unwrap().1
}

#[test]
fn the_handbook_gives_its_title_headings_list_table_rows_and_paragraphs_in_order() {
    let (title, blocks) = extract("handbook.docx", HANDBOOK, &FileLimits::default()).unwrap();
    assert_eq!(title, "Lighthouse Keeper Handbook");
    assert_eq!(
        blocks,
        vec![
            heading(1, "Lighthouse Keeper Handbook"),
            heading(1, "Daily duties"),
            Block::Paragraph("The keeper winds the clockwork every four hours while the lamp burns.".into()),
            Block::ListItem("Trim the wick before sunset".into()),
            Block::ListItem("Polish the Fresnel lens".into()),
            Block::ListItem("Record the weather in the log".into()),
            heading(2, "Supplies"),
            Block::TableRow("Item | Quantity".into()),
            Block::TableRow("Paraffin barrels | Twelve".into()),
            Block::Paragraph("Purple herons nest on the northern cliff every April.".into()),
        ]
    );
}

#[test]
fn without_core_properties_the_first_heading_is_the_title_and_then_the_file_name() {
    let doc = format!(
        r#"<w:document {W}><w:body><w:p><w:r><w:t>intro</w:t></w:r></w:p>
        <w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>Tide tables</w:t></w:r></w:p></w:body></w:document>"#
    );
    let bytes = package(|w| w.write_all(doc.as_bytes()).unwrap());
    assert_eq!(extract("x.docx", &bytes, &FileLimits::default()).unwrap().0, "Tide tables");
    let plain = package(|w| {
        write!(w, "<w:document {W}><w:body><w:p><w:r><w:t>a</w:t></w:r></w:p></w:body></w:document>").unwrap()
    });
    assert_eq!(extract("Ship log.docx", &plain, &FileLimits::default()).unwrap().0, "Ship log");
}

#[test]
fn entities_tabs_and_breaks_become_text_but_tab_stops_and_old_tracked_properties_do_not() {
    let blocks = body(
        r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs>
             <w:pPrChange><w:pPr><w:pStyle w:val="Heading1"/></w:pPr></w:pPrChange></w:pPr>
           <w:r><w:t>Fish &amp; chips</w:t><w:tab/><w:t xml:space="preserve">&#x2013; </w:t><w:br/><w:t>daily</w:t></w:r>
           <w:del><w:r><w:delText>removed words</w:delText></w:r></w:del></w:p>"#,
    );
    assert_eq!(blocks, vec![Block::Paragraph("Fish & chips – daily".into())]);
}

#[test]
fn numbering_removed_on_a_paragraph_overrides_a_list_style_and_text_boxes_keep_their_text() {
    let blocks = body(
        r#"<w:p><w:pPr><w:pStyle w:val="ListBullet"/><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:t>not an item</w:t></w:r></w:p>
           <w:p><w:r><w:t>outer</w:t><w:drawing><w:txbxContent><w:p><w:r><w:t>boxed</w:t></w:r></w:p></w:txbxContent></w:drawing></w:r></w:p>"#,
    );
    assert_eq!(
        blocks,
        vec![
            Block::Paragraph("not an item".into()),
            Block::Paragraph("boxed".into()),
            Block::Paragraph("outer".into())
        ]
    );
}

#[test]
fn a_text_box_written_twice_for_old_readers_is_read_once() {
    let blocks = body(
        r#"<w:p xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:r><mc:AlternateContent>
           <mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>boxed</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice>
           <mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>boxed</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback>
           </mc:AlternateContent></w:r></w:p>"#,
    );
    assert_eq!(blocks, vec![Block::Paragraph("boxed".into())]);
}

#[test]
fn a_table_cell_with_two_paragraphs_stays_one_cell_and_empty_rows_vanish() {
    let blocks = body(
        r#"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Cape</w:t></w:r></w:p><w:p><w:r><w:t>Wrath</w:t></w:r></w:p></w:tc>
           <w:tc><w:p/></w:tc><w:tc><w:p><w:r><w:t>north</w:t></w:r></w:p></w:tc></w:tr>
           <w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl>"#,
    );
    assert_eq!(blocks, vec![Block::TableRow("Cape Wrath | north".into())]);
}

#[test]
fn a_document_body_that_unpacks_past_the_budget_is_refused_before_it_is_parsed() {
    // 60 MB of spaces deflate to about 60 KB: the shape of a zip bomb.
    let bomb = package(|w| (0..60).for_each(|_| w.write_all(&[b' '; 1_000_000]).unwrap()));
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let err = extract("bomb.docx", &bomb, &FileLimits::default()).unwrap_err();
    assert!(matches!(err, FileError::TooMuchContent { .. }), "{err:?}");
    assert_eq!(err.to_string(), "bomb.docx holds more than 50 MB of data once unpacked. Split it into smaller files");
}

#[test]
fn a_zip_header_that_understates_the_unpacked_size_does_not_get_past_the_budget() {
    let doc = package(|w| (0..3).for_each(|_| w.write_all(&[b' '; 1_000_000]).unwrap()));
    let lying = understate_sizes(doc, "word/document.xml", 100);
    let limits = FileLimits { max_unpacked_bytes: 1_000_000, ..FileLimits::default() };
    let err = extract("liar.docx", &lying, &limits).unwrap_err();
    assert!(matches!(err, FileError::TooMuchContent { .. } | FileError::Unreadable { .. }), "{err:?}");
}

#[test]
fn body_text_over_the_character_limit_is_refused_while_reading() {
    let paragraph = "<w:p><w:r><w:t>ten chars!</w:t></w:r></w:p>".repeat(20);
    let doc = format!("<w:document {W}><w:body>{paragraph}</w:body></w:document>");
    let bytes = package(|w| w.write_all(doc.as_bytes()).unwrap());
    let limits = FileLimits { max_extracted_chars: 150, ..FileLimits::default() };
    let err = extract("long.docx", &bytes, &limits).unwrap_err();
    assert_eq!(err.to_string(), "long.docx holds more than 150 characters of text. Split it into smaller files");
}

#[test]
fn broken_xml_and_a_missing_body_are_reported_as_unreadable() {
    let broken = package(|w| write!(w, "<w:document {W}><w:body><w:p></w:body>").unwrap());
    let err = extract("broken.docx", &broken, &FileLimits::default()).unwrap_err();
    assert!(
        err.to_string().starts_with("could not read the Word document broken.docx: its document body is not valid XML"),
        "{err}"
    );
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("[Content_Types].xml", SimpleFileOptions::default()).unwrap();
    let empty = zip.finish().unwrap().into_inner();
    let err = extract("hollow.docx", &empty, &FileLimits::default()).unwrap_err();
    assert!(err.to_string().contains("it has no document body"), "{err}");
}

/// Rewrites the uncompressed size of `entry` in its local header and central directory record.
fn understate_sizes(mut zip: Vec<u8>, entry: &str, size: u32) -> Vec<u8> {
    let name = entry.as_bytes();
    let u16_at = |z: &[u8], i: usize| u16::from_le_bytes([z[i], z[i + 1]]) as usize;
    let mut patched = 0;
    for i in 0..zip.len().saturating_sub(46) {
        let (size_at, name_len_at, name_at) = match &zip[i..i + 4] {
            b"PK\x03\x04" => (22, 26, 30),
            b"PK\x01\x02" => (24, 28, 46),
            _ => continue,
        };
        let len = u16_at(&zip, i + name_len_at);
        if zip.get(i + name_at..i + name_at + len) == Some(name) {
            zip[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "both headers of {entry} were found");
    zip
}
