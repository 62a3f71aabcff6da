//! Splitting documents into retrieval chunks.
//!
//! A chunk stays inside one section (the blocks under one heading), so its heading path is a true
//! citation and its text is about one thing. Sections longer than a chunk are cut between blocks,
//! then between sentences, then words, then characters; each later chunk of a section starts with the
//! tail of the one before (the overlap), so a fact straddling a cut is still found whole.
//!
//! A table is chunked apart from the prose around it: its rows in groups of `TABLE_ROWS`, each
//! group after the table's first row (its header). A whole table's vector is about no row in
//! particular, so a question about one row ("How much does it weigh?") did not find it; a small
//! group's vector is about those rows, and the header says what their cells mean.

use std::ops::Range;

/// One structural piece of a document, as parsed from Markdown, text or HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading {
        level: u8,
        text: String,
    },
    Paragraph(String),
    ListItem(String),
    Code(String),
    /// One row of a table, its cells joined by ` | `; a run of rows is one table, the first its header.
    TableRow(String),
}

impl Block {
    /// The block's text, whatever its kind.
    pub fn text(&self) -> &str {
        match self {
            Block::Heading { text, .. }
            | Block::Paragraph(text)
            | Block::ListItem(text)
            | Block::Code(text)
            | Block::TableRow(text) => text,
        }
    }
}

/// A parsed document and where it came from (what a citation shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub url: String,
    pub blocks: Vec<Block>,
}

/// A retrieval unit. `text` is the body only: callers that embed it may prefix title and heading path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub text: String,
    /// Headings from the outermost down to the section's own; empty before the first heading.
    pub heading_path: Vec<String>,
    /// Position of the chunk in the document, from 0.
    pub index: usize,
}

/// Sizes in characters (about 4 per token for English), so 1200 is roughly 300 tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkConfig {
    pub max_chars: usize,
    pub overlap_chars: usize,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        Self { max_chars: 1200, overlap_chars: 150 }
    }
}

/// How many rows (after the header) a table's chunk holds at most.
const TABLE_ROWS: usize = 3;

/// A piece of a section and the separator that joins it to the piece before.
struct Piece {
    text: String,
    joiner: &'static str,
}

/// Chunks a document; no chunk is longer than `max_chars` characters.
pub fn chunk(doc: &Document, config: &ChunkConfig) -> Vec<Chunk> {
    // Tiny or inconsistent settings would make no progress or overlap more than they add.
    let max = config.max_chars.max(40);
    let overlap = config.overlap_chars.min(max / 2);
    // Room for the overlap and its joiner, so overlap + piece always fits.
    let piece_limit = max - overlap - 2;
    let mut chunks = Vec::new();
    let mut stack: Vec<(u8, String)> = Vec::new();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut table: Vec<String> = Vec::new();
    for block in &doc.blocks {
        if !matches!(block, Block::TableRow(_)) {
            end_table(&stack, std::mem::take(&mut table), (max, piece_limit), &mut pieces, &mut chunks);
        }
        match block {
            Block::Heading { level, text } => {
                let text = collapse(text);
                if text.is_empty() {
                    continue;
                }
                emit_section(&stack, std::mem::take(&mut pieces), max, overlap, &mut chunks);
                stack.retain(|(l, _)| l < level);
                stack.push((*level, text));
            }
            Block::Paragraph(text) => split(&collapse(text), piece_limit, PROSE, "\n\n", &mut pieces),
            Block::ListItem(text) => {
                let text = collapse(text);
                if !text.is_empty() {
                    split(&format!("- {text}"), piece_limit, PROSE, "\n", &mut pieces);
                }
            }
            Block::Code(text) => split(text.trim_matches('\n').trim_end(), piece_limit, CODE, "\n\n", &mut pieces),
            Block::TableRow(text) => {
                let text = collapse(text);
                if !text.is_empty() {
                    table.push(text);
                    if table.len() == 2 {
                        // A table after all: the prose before it is chunked on its own.
                        emit_section(&stack, std::mem::take(&mut pieces), max, overlap, &mut chunks);
                    }
                }
            }
        }
    }
    end_table(&stack, table, (max, piece_limit), &mut pieces, &mut chunks);
    emit_section(&stack, pieces, max, overlap, &mut chunks);
    chunks
}

/// Packs one section's pieces into chunks, carrying the overlap between them.
fn emit_section(stack: &[(u8, String)], pieces: Vec<Piece>, max: usize, overlap: usize, out: &mut Vec<Chunk>) {
    let heading_path: Vec<String> = stack.iter().map(|(_, t)| t.clone()).collect();
    let push = |text: String, out: &mut Vec<Chunk>| {
        let index = out.len();
        out.push(Chunk { text, heading_path: heading_path.clone(), index });
    };
    let mut current = String::new();
    for piece in pieces {
        if current.is_empty() {
            current = piece.text;
        } else if len(&current) + len(piece.joiner) + len(&piece.text) <= max {
            current.push_str(piece.joiner);
            current.push_str(&piece.text);
        } else {
            let tail = tail(&current, overlap).to_owned();
            push(std::mem::take(&mut current), out);
            current = if tail.is_empty() { piece.text } else { format!("{tail}{}{}", piece.joiner, piece.text) };
        }
    }
    if !current.is_empty() {
        push(current, out);
    }
}

/// Ends a run of table rows: one row alone is prose (a piece of its section); two or more are a
/// table, chunked by `emit_table`.
fn end_table(
    stack: &[(u8, String)],
    mut rows: Vec<String>,
    (max, piece_limit): (usize, usize),
    pieces: &mut Vec<Piece>,
    out: &mut Vec<Chunk>,
) {
    match rows.len() {
        0 => {}
        1 => split(&rows.remove(0), piece_limit, PROSE, "\n\n", pieces),
        _ => emit_table(stack, &rows, max, out),
    }
}

/// Chunks a table's rows, `TABLE_ROWS` at a time after its header row, as many as fit in `max`.
/// A row too long to follow the header is cut as prose, in chunks of its own.
fn emit_table(stack: &[(u8, String)], rows: &[String], max: usize, out: &mut Vec<Chunk>) {
    let heading_path: Vec<String> = stack.iter().map(|(_, t)| t.clone()).collect();
    let Some((header, rest)) = rows.split_first() else { return };
    if len(header) > max / 2 {
        // No room to repeat it: the table is read as prose.
        return emit_prose(stack, rows, max, out);
    }
    let mut body: Vec<&str> = Vec::new();
    let push = |body: &mut Vec<&str>, out: &mut Vec<Chunk>| {
        if !body.is_empty() {
            let text: Vec<&str> = std::iter::once(header.as_str()).chain(body.drain(..)).collect();
            out.push(Chunk { text: text.join("\n\n"), heading_path: heading_path.clone(), index: out.len() });
        }
    };
    for row in rest {
        if len(header) + 2 + len(row) > max {
            push(&mut body, out);
            emit_prose(stack, std::slice::from_ref(row), max, out);
            continue;
        }
        let size = len(header) + body.iter().map(|r| 2 + len(r)).sum::<usize>();
        if body.len() == TABLE_ROWS || size + 2 + len(row) > max {
            push(&mut body, out);
        }
        body.push(row);
    }
    push(&mut body, out);
}

/// Chunks table rows as prose of their section, without overlap: rows that cannot follow their header.
fn emit_prose(stack: &[(u8, String)], rows: &[String], max: usize, out: &mut Vec<Chunk>) {
    let mut pieces = Vec::new();
    rows.iter().for_each(|row| split(row, max, PROSE, "\n\n", &mut pieces));
    emit_section(stack, pieces, max, 0, out);
}

/// How to cut a too-long text: each level in turn, finer only where a unit is still too long.
#[derive(Clone, Copy)]
enum Level {
    Lines,
    Sentences,
    Words,
    Chars,
}
const PROSE: &[Level] = &[Level::Sentences, Level::Words, Level::Chars];
const CODE: &[Level] = &[Level::Lines, Level::Words, Level::Chars];

/// Appends `text` as pieces of at most `limit` characters; the first joins with `first_joiner`.
fn split(text: &str, limit: usize, levels: &[Level], first_joiner: &'static str, out: &mut Vec<Piece>) {
    if text.trim().is_empty() {
        return;
    }
    if len(text) <= limit || levels.is_empty() {
        out.push(Piece { text: text.to_owned(), joiner: first_joiner });
        return;
    }
    let (units, joiner): (Vec<&str>, &'static str) = match levels[0] {
        Level::Lines => (text.lines().collect(), "\n"),
        Level::Sentences => (sentence_ranges(text).into_iter().map(|r| text[r].trim()).collect(), " "),
        Level::Words => (text.split_whitespace().collect(), " "),
        Level::Chars => (char_runs(text, limit), ""),
    };
    let mut first = Some(first_joiner);
    let mut current = String::new();
    let flush = |current: &mut String, out: &mut Vec<Piece>, first: &mut Option<&'static str>| {
        if !current.trim().is_empty() {
            let joiner = first.take().unwrap_or(joiner);
            out.push(Piece { text: std::mem::take(current), joiner });
        }
        current.clear();
    };
    for unit in units {
        if len(unit) > limit {
            flush(&mut current, out, &mut first);
            let j = first.take().unwrap_or(joiner);
            split(unit, limit, &levels[1..], j, out);
        } else if current.is_empty() {
            current.push_str(unit);
        } else if len(&current) + len(joiner) + len(unit) <= limit {
            current.push_str(joiner);
            current.push_str(unit);
        } else {
            flush(&mut current, out, &mut first);
            current.push_str(unit);
        }
    }
    flush(&mut current, out, &mut first);
}

/// Sentences end at `.`, `!` or `?` (optionally closed by quotes or brackets) before whitespace.
fn sentence_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?') {
            let mut end = i + c.len_utf8();
            while let Some(&(j, q)) = chars.peek().filter(|(_, q)| matches!(q, '"' | '\'' | ')' | ']' | '”' | '’'))
            {
                end = j + q.len_utf8();
                chars.next();
            }
            if chars.peek().is_some_and(|(_, n)| n.is_whitespace()) {
                ranges.push(start..end);
                start = end;
            }
        }
    }
    if start < text.len() {
        ranges.push(start..text.len());
    }
    ranges
}

/// Cuts at character boundaries, never inside a UTF-8 sequence.
fn char_runs(text: &str, limit: usize) -> Vec<&str> {
    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(limit.max(1)).chain([text.len()]).collect();
    bounds.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

/// The last `n` characters or fewer, starting at a word when there is one to start at.
fn tail(text: &str, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    let start = text.char_indices().rev().nth(n - 1).map_or(0, |(i, _)| i);
    let tail = &text[start..];
    if start == 0 {
        return tail;
    }
    match tail.find(char::is_whitespace) {
        Some(ws) => tail[ws..].trim_start(),
        None => tail,
    }
}

fn len(s: &str) -> usize {
    s.chars().count()
}

pub(crate) fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
