//! The passages cut into what can be quoted on its own: sentences, list items, and table rows
//! read with their header ("Team: Monthly billing $11; Storage 200 GB").

use crate::answer::Source;

/// One quotable piece of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// The source's number (what `[n]` cites).
    pub n: usize,
    /// The source's place in retrieval order (0 = best).
    pub rank: usize,
    /// The section it is in, and the document's title: context the question may name.
    pub heading: String,
    pub title: String,
    /// What introduces it: a list's or table's lead-in ("Refunds take:", "**Added**").
    pub label: String,
    pub text: String,
    /// The sentence before it in its paragraph or list item (empty for the first one, and for a
    /// table row): what "it" or "the round" in its text refers to.
    pub before: String,
    /// Its place among all units, in document order within a source.
    pub at: usize,
}

impl Unit {
    /// What the piece is about when it is written "key: value" with a short key: a table row's
    /// first cell ("Severity 1", "Plus") or a list item's lead ("Enterprise: 99.95%").
    pub fn key(&self) -> Option<&str> {
        let (key, _) = self.text.split_once(": ")?;
        let words = key.split_whitespace().count();
        (words > 0 && words <= KEY_WORDS && !key.contains(['.', '!', '?', ';'])).then_some(key)
    }
}

/// The most words a key has.
const KEY_WORDS: usize = 4;

/// Every unit of the sources' passages, each once.
pub fn units(sources: &[Source]) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    for (rank, s) in sources.iter().enumerate() {
        for p in s.passages() {
            for (label, text, before) in pieces_in_context(&p.text) {
                if out.iter().any(|u| u.n == s.n && u.text == text) {
                    continue;
                }
                out.push(Unit {
                    n: s.n,
                    rank,
                    heading: p.heading_path.clone(),
                    title: s.title.clone(),
                    label,
                    text,
                    before,
                    at: out.len(),
                });
            }
        }
    }
    out
}

/// [`pieces_in_context`] without the sentences before them.
#[cfg(test)]
pub fn pieces(text: &str) -> Vec<(String, String)> {
    pieces_in_context(text).into_iter().map(|(label, text, _)| (label, text)).collect()
}

/// A passage's text as quotable pieces, each with its label and the sentence before it in its
/// paragraph (or an empty string): tables row by row, lists item by item, prose sentence by
/// sentence. A sentence ending in `:` before a list or a table, or a short line before a list
/// ("Added"), labels what follows instead of being a piece itself.
fn pieces_in_context(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut lead = String::new();
    for block in blocks(text) {
        let lines: Vec<&str> = block.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let mut label = std::mem::take(&mut lead);
        if let [line] = lines[..]
            && let Some(rows) = table_rows(line)
        {
            out.extend(rows.into_iter().map(|r| (label.clone(), r, String::new())));
            continue;
        }
        let width = cells(lines[0]).len();
        if lines.len() >= 2 && width >= 2 && lines.iter().all(|l| cells(l).len() == width) {
            let header = cells(lines[0]);
            // Two chunks of one table, joined, repeat its header: once is enough.
            let rows = lines[1..].iter().map(|row| cells(row)).filter(|row| *row != header);
            out.extend(rows.map(|row| (label.clone(), labelled(&header, &row), String::new())));
            continue;
        }
        for (j, line) in lines.iter().enumerate() {
            if let Some(item) = line.strip_prefix("- ") {
                out.extend(in_context(&label, sentences(item)));
                continue;
            }
            let before_items = lines.get(j + 1).is_some_and(|l| l.starts_with("- "));
            if before_items && line.split_whitespace().count() <= 6 && !line.ends_with(['.', '!', '?']) {
                label = line.trim_end_matches(':').to_owned();
                continue;
            }
            let mut ss = sentences(line);
            let last = j + 1 == lines.len();
            if (before_items || last) && ss.last().is_some_and(|s| s.ends_with(':')) {
                let intro = ss.pop().unwrap_or_default().trim_end_matches(':').to_owned();
                if before_items {
                    label = intro;
                } else {
                    lead = intro;
                }
            }
            let own = if before_items { String::new() } else { label.clone() };
            out.extend(in_context(&own, ss));
        }
    }
    out
}

/// A paragraph's sentences with their label, each with the one before it.
fn in_context(label: &str, sentences: Vec<String>) -> Vec<(String, String, String)> {
    let befores = std::iter::once(String::new()).chain(sentences.iter().cloned());
    sentences.iter().cloned().zip(befores).map(|(s, before)| (label.to_owned(), s, before)).collect()
}

/// The passage's blocks (split at blank lines), with the rows of an HTML table (a block each,
/// `a | b | c`) joined into one block.
fn blocks(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for b in text.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        let width = if b.contains('\n') { 0 } else { cells(b).len() };
        match out.last_mut() {
            Some(last) if width >= 2 && last.lines().last().is_some_and(|l| cells(l).len() == width) => {
                last.push('\n');
                last.push_str(b);
            }
            _ => out.push(b.to_owned()),
        }
    }
    out
}

/// A table kept as one line: a whole Markdown table (labelled by its header), or the part of one
/// a chunk holds (`a | b | | c | d`, read as "a: b"); None when the line is no table.
fn table_rows(line: &str) -> Option<Vec<String>> {
    if let Some(rows) = markdown_table(line) {
        return Some(rows);
    }
    if line.matches(" | ").count() < 2 || !line.contains("| |") {
        return None;
    }
    let rows = line
        .split("| |")
        .filter_map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
            let rule = cells.iter().all(|c| c.chars().all(|ch| ch == '-' || ch == ':'));
            match cells.split_first() {
                Some(_) if rule => None,
                Some((first, [])) => Some((*first).to_owned()),
                Some((first, rest)) => Some(format!("{first}: {}", rest.join("; "))),
                None => None,
            }
        })
        .collect();
    Some(rows)
}

/// The cells of a line written as `a | b | c` (or `| a | b |`). A stored row keeps its empty cells,
/// so `| b | c` is a row whose first cell is empty.
fn cells(line: &str) -> Vec<String> {
    if !line.contains(" | ") {
        return Vec::new();
    }
    let line = match line.strip_prefix('|').and_then(|l| l.strip_suffix('|')) {
        Some(inner) => inner,
        None => line,
    };
    line.split('|').map(|c| c.trim().to_owned()).collect()
}

/// A Markdown table kept as one line (`| A | B | |---|---| | a | b |`, how an uploaded Markdown
/// file's table was stored before tables were read row by row: chunks stored then still hold it),
/// as labelled rows; None when the line is no table.
fn markdown_table(line: &str) -> Option<Vec<String>> {
    if !line.starts_with('|') {
        return None;
    }
    let cells: Vec<&str> = line.split('|').map(str::trim).collect();
    let is_rule = |c: &str| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':') && c.contains('-');
    let start = cells.iter().position(|c| is_rule(c))?;
    let width = cells[start..].iter().take_while(|c| is_rule(c)).count();
    // The header is the `width` cells before the rule and the empty cell between the rows.
    let header_end = start.checked_sub(1)?;
    let header: Vec<String> =
        cells[header_end.checked_sub(width)?..header_end].iter().map(|c| (*c).to_owned()).collect();
    let mut rows = Vec::new();
    let mut at = start + width + 1;
    while at + width <= cells.len() {
        let row: Vec<String> = cells[at..at + width].iter().map(|c| (*c).to_owned()).collect();
        if row.iter().any(|c| !c.is_empty()) {
            rows.push(labelled(&header, &row));
        }
        at += width + 1;
    }
    Some(rows)
}

/// A row read with its header: "first cell: Header value; Header value". A first cell that is a
/// bare number ("1" in a severity table) says nothing alone, so it is read after its header
/// ("Severity 1").
fn labelled(header: &[String], row: &[String]) -> String {
    let mut out = row.first().cloned().unwrap_or_default();
    if let Some(h) = header.first().filter(|h| !h.is_empty())
        && !out.is_empty()
        && out.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
    {
        out = format!("{h} {out}");
    }
    let rest: Vec<String> = header
        .iter()
        .zip(row)
        .skip(1)
        .filter(|(_, v)| !v.is_empty())
        .map(|(h, v)| if h.is_empty() { v.clone() } else { format!("{h} {v}") })
        .collect();
    match (out.is_empty(), rest.is_empty()) {
        (_, true) => out,
        (true, false) => rest.join("; "),
        (false, false) => format!("{out}: {}", rest.join("; ")),
    }
}

/// Words after which a full stop does not end a sentence.
const ABBREVIATIONS: &[&str] =
    &["e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "inc", "ltd", "no", "approx", "fig", "co", "jr", "sr"];

/// A paragraph's sentences: cut after `.`, `!` or `?` followed by a space and a capital letter,
/// a digit or an opening quote, except after an abbreviation or an initial.
pub fn sentences(text: &str) -> Vec<String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for (k, &(i, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let Some(&(_, next)) = chars.get(k + 1) else { continue };
        let Some(&(_, after)) = chars.get(k + 2) else { continue };
        if !next.is_whitespace() || !(after.is_uppercase() || after.is_ascii_digit() || "\"“'(".contains(after)) {
            continue;
        }
        let before = &text[start..i];
        let last_word = before.rsplit(|ch: char| ch.is_whitespace()).next().unwrap_or("").to_lowercase();
        if c == '.' && (ABBREVIATIONS.contains(&last_word.as_str()) || last_word.chars().count() == 1) {
            continue;
        }
        out.push(text[start..=i].trim().to_owned());
        start = i + c.len_utf8();
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}
