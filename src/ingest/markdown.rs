//! Markdown to blocks.
//!
//! Only the structure chunking needs survives: headings (for the citation path), paragraphs, list
//! items, code and table rows (cells joined by ` | `, empty cells kept so every row has the
//! header's columns). Inline markup, links and raw HTML become their text.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::chunk::{Block, collapse};

#[derive(Clone, Copy)]
enum Kind {
    Heading(u8),
    Paragraph,
    Item,
    Code,
}

/// Parses CommonMark into blocks. Paragraphs inside a list item belong to that item.
pub fn markdown_to_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut buf = String::new();
    let mut kind = Kind::Paragraph;
    let mut item_depth = 0usize;
    let flush = |buf: &mut String, kind: Kind, blocks: &mut Vec<Block>| {
        let text = std::mem::take(buf);
        let block = match kind {
            Kind::Code => {
                let code = text.trim_matches('\n').trim_end();
                (!code.trim().is_empty()).then(|| Block::Code(code.to_owned()))
            }
            _ => {
                let text = collapse(&text);
                (!text.is_empty()).then_some(match kind {
                    Kind::Heading(level) => Block::Heading { level, text },
                    Kind::Item => Block::ListItem(text),
                    _ => Block::Paragraph(text),
                })
            }
        };
        blocks.extend(block);
    };
    // The cells of the table row being read, when one is.
    let mut row: Option<Vec<String>> = None;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        let default = if item_depth > 0 { Kind::Item } else { Kind::Paragraph };
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut buf, kind, &mut blocks);
                kind = Kind::Heading(level as u8);
            }
            Event::Start(Tag::Item) => {
                flush(&mut buf, kind, &mut blocks);
                item_depth += 1;
                kind = Kind::Item;
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                flush(&mut buf, kind, &mut blocks);
                row = Some(Vec::new());
            }
            Event::Start(Tag::TableCell) => buf.clear(),
            Event::End(TagEnd::TableCell) => row.get_or_insert_default().push(collapse(&std::mem::take(&mut buf))),
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                let cells = row.take().unwrap_or_default();
                if cells.iter().any(|c| !c.is_empty()) {
                    blocks.push(Block::TableRow(cells.join(" | ")));
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                flush(&mut buf, kind, &mut blocks);
                kind = Kind::Code;
            }
            Event::Start(Tag::Paragraph) if item_depth == 0 => {
                flush(&mut buf, kind, &mut blocks);
                kind = Kind::Paragraph;
            }
            Event::End(TagEnd::Item) => {
                flush(&mut buf, kind, &mut blocks);
                item_depth -= 1;
                kind = if item_depth > 0 { Kind::Item } else { Kind::Paragraph };
            }
            Event::End(TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::Paragraph | TagEnd::BlockQuote(_)) => {
                if item_depth > 0 && matches!(kind, Kind::Item) {
                    buf.push(' '); // a loose item's paragraphs stay one item
                } else {
                    flush(&mut buf, kind, &mut blocks);
                    kind = default;
                }
            }
            Event::Text(text) | Event::Code(text) => buf.push_str(&text),
            Event::SoftBreak | Event::HardBreak => buf.push(if matches!(kind, Kind::Code) { '\n' } else { ' ' }),
            _ => {}
        }
    }
    flush(&mut buf, kind, &mut blocks);
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading(level: u8, text: &str) -> Block {
        Block::Heading { level, text: text.into() }
    }

    #[test]
    fn markdown_keeps_headings_paragraphs_items_and_code() {
        let md = "# Guide\n\nIntro with *emphasis* and `code`\nover two lines.\n\n## Install\n\n\
                  - first step\n- second [link](http://x)\n\n```sh\ncargo build\ncargo test\n```\n";
        assert_eq!(
            markdown_to_blocks(md),
            vec![
                heading(1, "Guide"),
                Block::Paragraph("Intro with emphasis and code over two lines.".into()),
                heading(2, "Install"),
                Block::ListItem("first step".into()),
                Block::ListItem("second link".into()),
                Block::Code("cargo build\ncargo test".into()),
            ]
        );
    }

    #[test]
    fn a_loose_list_item_with_two_paragraphs_stays_one_item_and_nested_items_are_separate() {
        let md = "- one\n\n  more of one\n- two\n  - two a\n\nAfter.\n";
        assert_eq!(
            markdown_to_blocks(md),
            vec![
                Block::ListItem("one more of one".into()),
                Block::ListItem("two".into()),
                Block::ListItem("two a".into()),
                Block::Paragraph("After.".into()),
            ]
        );
    }

    #[test]
    fn a_table_gives_its_header_and_rows_as_table_rows_keeping_empty_cells() {
        let md = "## Specs\n\nWhat it has:\n\n| Spec | Value | Note |\n|---|---|---|\n| **Weight** | 412 g | |\n\
                  | | 5 mm | thin |\n\nAfter.\n";
        assert_eq!(
            markdown_to_blocks(md),
            vec![
                heading(2, "Specs"),
                Block::Paragraph("What it has:".into()),
                Block::TableRow("Spec | Value | Note".into()),
                Block::TableRow("Weight | 412 g | ".into()),
                Block::TableRow(" | 5 mm | thin".into()),
                Block::Paragraph("After.".into()),
            ]
        );
    }

    #[test]
    fn blank_markdown_has_no_blocks() {
        assert!(markdown_to_blocks("  \n\n").is_empty());
    }
}
