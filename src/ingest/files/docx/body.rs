//! The document body (`word/document.xml`) to blocks, in one streaming pass.
//!
//! Paragraphs become headings (by style or outline level), list items (numbering on the paragraph
//! or its style) or plain paragraphs. A table row becomes one table-row block of its cells joined
//! by " | ", which keeps a row's facts together for retrieval. Tracked-change property snapshots are
//! skipped (they describe the old formatting), as are deleted runs (`w:delText`, never read) and
//! the `mc:Fallback` copy of text boxes Word writes for old readers (it would double their text).

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};

use super::styles::Styles;
use super::xml::{is_w, resolve_ref, val};
use crate::ingest::chunk::{Block, collapse};

const MC_NS: &str = "http://schemas.openxmlformats.org/markup-compatibility/2006";

#[derive(Debug)]
pub(super) enum Error {
    Xml(String),
    TooMuchText,
}

#[derive(Default)]
struct Para {
    text: String,
    style: Option<String>,
    outline: Option<u8>,
    numbered: Option<bool>,
}

#[derive(Default)]
struct Table {
    row: Vec<String>,
    cell: String,
}

/// Walks the body; `max_chars` bounds the text collected.
pub(super) fn parse(xml: &str, styles: &Styles, max_chars: usize) -> Result<Vec<Block>, Error> {
    let mut reader = NsReader::from_str(xml);
    let mut walker = Walker {
        styles,
        max_chars,
        chars: 0,
        blocks: Vec::new(),
        paras: Vec::new(),
        tables: Vec::new(),
        in_text: false,
        in_run: 0,
        skipping: 0,
    };
    let mut fallback = 0usize;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| Error::Xml(e.to_string()))?;
        let w = is_w(&ns);
        let mc = matches!(ns, ResolveResult::Bound(Namespace(MC_NS)));
        match event {
            Event::Start(e) if mc && e.local_name().as_ref() == "Fallback" => fallback += 1,
            Event::End(e) if mc && e.local_name().as_ref() == "Fallback" => fallback = fallback.saturating_sub(1),
            _ if fallback > 0 => {}
            Event::Start(e) if w => walker.open(&e, false)?,
            Event::Empty(e) if w => walker.open(&e, true)?,
            Event::End(e) if w => walker.close(e.local_name().as_ref()),
            Event::Text(t) => walker.text(&t.xml10_content())?,
            Event::CData(t) => walker.text(&t.xml10_content())?,
            Event::GeneralRef(r) => walker.text(&resolve_ref(&r))?,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(walker.blocks)
}

struct Walker<'s> {
    styles: &'s Styles,
    max_chars: usize,
    chars: usize,
    blocks: Vec<Block>,
    /// Open paragraphs: text boxes nest paragraphs inside a paragraph's run.
    paras: Vec<Para>,
    tables: Vec<Table>,
    in_text: bool,
    in_run: usize,
    /// Depth inside tracked-change snapshots, whose properties are not the current ones.
    skipping: usize,
}

impl Walker<'_> {
    fn open(&mut self, e: &BytesStart, empty: bool) -> Result<(), Error> {
        let name = e.local_name();
        let name = name.as_ref();
        if self.skipping > 0 || is_snapshot(name) {
            // Self-closing elements get no End event, so only real starts deepen the skip.
            self.skipping += usize::from(!empty && is_snapshot(name));
            return Ok(());
        }
        match name {
            "p" if !empty => self.paras.push(Para::default()),
            "r" if !empty => self.in_run += 1,
            "t" if !empty => self.in_text = true,
            "tab" | "br" | "cr" if self.in_run > 0 => self.push(" ")?,
            "noBreakHyphen" if self.in_run > 0 => self.push("-")?,
            "pStyle" => self.set(|p| p.style = val(e)),
            "numPr" => self.set(|p| p.numbered = Some(true)),
            // numId 0 means "numbering removed" on a paragraph whose style has it.
            "numId" if val(e).as_deref() == Some("0") => self.set(|p| p.numbered = Some(false)),
            "outlineLvl" => {
                let level = val(e).and_then(|v| v.parse::<u8>().ok()).filter(|l| *l < 9);
                self.set(|p| p.outline = level.map(|l| l + 1));
            }
            "tbl" if !empty => self.tables.push(Table::default()),
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, name: &str) {
        if self.skipping > 0 {
            self.skipping -= usize::from(is_snapshot(name));
            return;
        }
        match name {
            "t" => self.in_text = false,
            "r" => self.in_run = self.in_run.saturating_sub(1),
            "p" => {
                let Some(para) = self.paras.pop() else { return };
                let text = collapse(&para.text);
                match self.tables.last_mut() {
                    Some(table) if !text.is_empty() => {
                        table.cell.push_str(if table.cell.is_empty() { "" } else { " " });
                        table.cell.push_str(&text);
                    }
                    Some(_) => {}
                    None => self.blocks.extend(block(para, text, self.styles)),
                }
            }
            "tc" => {
                if let Some(table) = self.tables.last_mut() {
                    let cell = std::mem::take(&mut table.cell);
                    table.row.push(cell);
                }
            }
            "tr" => {
                let Some(table) = self.tables.last_mut() else { return };
                let cells: Vec<String> = table.row.drain(..).filter(|c| !c.is_empty()).collect();
                if !cells.is_empty() {
                    self.blocks.push(Block::TableRow(cells.join(" | ")));
                }
            }
            "tbl" => drop(self.tables.pop()),
            _ => {}
        }
    }

    fn text(&mut self, text: &str) -> Result<(), Error> {
        if self.in_text && self.skipping == 0 { self.push(text) } else { Ok(()) }
    }

    fn push(&mut self, text: &str) -> Result<(), Error> {
        self.chars += text.chars().count();
        if self.chars > self.max_chars {
            return Err(Error::TooMuchText);
        }
        if let Some(p) = self.paras.last_mut() {
            p.text.push_str(text);
        }
        Ok(())
    }

    fn set(&mut self, f: impl FnOnce(&mut Para)) {
        if let Some(p) = self.paras.last_mut() {
            f(p);
        }
    }
}

/// Tracked-change elements that hold the *old* properties of a paragraph, run, table or section.
fn is_snapshot(name: &str) -> bool {
    matches!(name, "pPrChange" | "rPrChange" | "tblPrChange" | "trPrChange" | "tcPrChange" | "sectPrChange")
}

fn block(para: Para, text: String, styles: &Styles) -> Option<Block> {
    if text.is_empty() {
        return None;
    }
    let style = para.style.as_deref().unwrap_or_default();
    let heading = para.outline.or_else(|| (!style.is_empty()).then(|| styles.heading(style)).flatten());
    let list = para.numbered.unwrap_or_else(|| !style.is_empty() && styles.list(style));
    Some(match heading {
        Some(level) => Block::Heading { level: level.clamp(1, 6), text },
        None if list => Block::ListItem(text),
        None => Block::Paragraph(text),
    })
}
