//! Plain text (text files, text pages, PDF text) to blocks: paragraphs are separated by blank
//! lines and their line breaks reflowed; a line in capitals alone is a heading; and a table laid
//! out in columns of spaces keeps its rows.
//!
//! Reflowing a column table would run its cells together ("below 99.0% 10% below 95.0% 25%"), so
//! nothing could tell which value belongs to which row. Its rows become blocks of their own: with
//! a header, table rows `cell | cell` after the header row, as HTML table rows are (what quoting
//! reads as "row: Header value"); without one, list items "first cell: the rest", which the
//! sentence before them introduces.

use super::chunk::{Block, collapse};

/// The longest line taken for a heading, in characters.
const HEADING_MAX: usize = 80;

pub fn text_to_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().chain([""]) {
        if !line.trim().is_empty() {
            lines.push(line);
            continue;
        }
        if let Some(rows) = table(&lines) {
            blocks.extend(rows);
        } else if let [line] = lines[..]
            && is_heading(line)
        {
            blocks.push(Block::Heading { level: 2, text: collapse(line) });
        } else {
            let text = collapse(&lines.join(" "));
            if !text.is_empty() {
                blocks.push(Block::Paragraph(text));
            }
        }
        lines.clear();
    }
    blocks
}

/// A line in capitals (a number like "3." before it allowed), short and not ending a sentence.
fn is_heading(line: &str) -> bool {
    let line = line.trim();
    let letters = line.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 3
        && line.chars().count() <= HEADING_MAX
        && !line.ends_with(['.', ',', ';', ':', '!', '?'])
        && line.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase)
}

/// The cells of a line cut at runs of two or more spaces (tabs count as such a run), each with
/// the column (in characters) it starts at.
fn cells(line: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = line.chars().map(|c| if c == '\t' { ' ' } else { c }).collect();
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !(chars[i] == ' ' && chars.get(i + 1).is_none_or(|&c| c == ' ')) {
            i += 1;
        }
        out.push((start, chars[start..i].iter().collect::<String>().trim_end().to_owned()));
    }
    out
}

/// A line of dashes, equals signs or pluses between columns.
fn is_rule(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.chars().all(|c| matches!(c, '-' | '=' | '+' | '|' | ' ')) && t.contains(['-', '='])
}

/// The rows of a paragraph laid out as a table: at least two rows of two or more cells, each
/// cell starting where a column of the first row does (a line whose first cell starts further
/// right continues the row above). None when the paragraph is no such table.
fn table(lines: &[&str]) -> Option<Vec<Block>> {
    let body: Vec<&str> = lines.iter().copied().filter(|l| !is_rule(l)).collect();
    let first = cells(body.first()?);
    if first.len() < 2 {
        return None;
    }
    let columns: Vec<usize> = first.iter().map(|(at, _)| *at).collect();
    let column_of = |at: usize| columns.iter().position(|&c| c.abs_diff(at) <= 1);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for line in &body {
        let cells = cells(line);
        let placed: Option<Vec<usize>> = cells.iter().map(|(at, _)| column_of(*at)).collect();
        let placed = placed?;
        let mut row = vec![String::new(); columns.len()];
        for ((_, text), col) in cells.iter().zip(&placed) {
            row[*col] = text.clone();
        }
        match rows.last_mut() {
            // Starts right of the first column: the rest of the row above's cells.
            Some(above) if placed.first() != Some(&0) => {
                for (cell, more) in above.iter_mut().zip(row) {
                    if !more.is_empty() {
                        cell.push(' ');
                        cell.push_str(&more);
                    }
                }
            }
            None if placed.first() != Some(&0) => return None,
            _ => rows.push(row),
        }
    }
    if rows.len() < 2 || rows.iter().filter(|r| r.iter().filter(|c| !c.is_empty()).count() >= 2).count() < 2 {
        return None;
    }
    let ruled = lines.get(1).is_some_and(|l| is_rule(l));
    let digit = |row: &Vec<String>| row.iter().any(|c| c.chars().any(|ch| ch.is_ascii_digit()));
    let header = ruled || (!digit(&rows[0]) && rows[1..].iter().all(digit));
    Some(
        rows.into_iter()
            .map(|row| match header {
                true => Block::TableRow(row.join(" | ")),
                false => {
                    let rest: Vec<&str> = row[1..].iter().map(String::as_str).filter(|c| !c.is_empty()).collect();
                    Block::ListItem(format!("{}: {}", row[0], rest.join(" ")))
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str) -> Block {
        Block::Paragraph(text.into())
    }

    #[test]
    fn plain_text_paragraphs_split_on_blank_lines() {
        let text = "First line\nsame paragraph.\n\n  \n\nSecond\tparagraph.\n";
        assert_eq!(text_to_blocks(text), vec![para("First line same paragraph."), para("Second paragraph.")]);
        assert!(text_to_blocks(" \n\n\t\n").is_empty());
    }

    #[test]
    fn a_line_in_capitals_alone_is_a_heading_and_a_shouted_sentence_is_not() {
        let text = "3. SEVERITY LEVELS\n\nWHEN IN DOUBT, ASK.\n\nUSB-C\nis the port.\n";
        assert_eq!(
            text_to_blocks(text),
            vec![
                Block::Heading { level: 2, text: "3. SEVERITY LEVELS".into() },
                para("WHEN IN DOUBT, ASK."),
                para("USB-C is the port."),
            ]
        );
    }

    #[test]
    fn a_table_with_a_header_keeps_its_rows_as_cells() {
        let text = "  Severity    Plus               Enterprise\n  \
                    --------    ----------------   ----------\n  \
                    1           8 business hours   30 minutes\n  \
                    2           1 business day     2 hours\n";
        assert_eq!(
            text_to_blocks(text),
            vec![
                Block::TableRow("Severity | Plus | Enterprise".into()),
                Block::TableRow("1 | 8 business hours | 30 minutes".into()),
                Block::TableRow("2 | 1 business day | 2 hours".into()),
            ]
        );
        // A header without a rule: words over rows of numbers.
        let credits = "  Monthly uptime                              Service credit\n  \
                       below the commitment but at least 99.0%     10%\n  \
                       below 95.0%                                 50%\n";
        assert_eq!(
            text_to_blocks(credits),
            vec![
                Block::TableRow("Monthly uptime | Service credit".into()),
                Block::TableRow("below the commitment but at least 99.0% | 10%".into()),
                Block::TableRow("below 95.0% | 50%".into()),
            ]
        );
    }

    #[test]
    fn a_table_without_a_header_is_a_list_of_its_first_cells_then_the_rest_with_wrapped_lines_joined() {
        let text = "  Free         Community forum, answered by\n               other users.\n  \
                    Plus         Email support.\n";
        assert_eq!(
            text_to_blocks(text),
            vec![
                Block::ListItem("Free: Community forum, answered by other users.".into()),
                Block::ListItem("Plus: Email support.".into())
            ]
        );
    }

    #[test]
    fn prose_with_a_double_space_or_an_indented_first_line_stays_a_paragraph() {
        let text = "One sentence.  Two sentences on a line\nthat wraps.  And more.\n";
        assert_eq!(text_to_blocks(text), vec![para("One sentence. Two sentences on a line that wraps. And more.")]);
        let indented = "    An indented first line\nof a paragraph.\n";
        assert_eq!(text_to_blocks(indented), vec![para("An indented first line of a paragraph.")]);
    }
}
