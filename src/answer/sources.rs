//! Turning retrieved passages into numbered sources the model is asked to cite as [n]: one source
//! per document, holding its passages (the sections they came from) in document order.

use serde::{Deserialize, Serialize};

use crate::sitechat::{HEADING_SEPARATOR, Hit};

/// A document given to the model, numbered as the model must cite it, with the passages it was
/// given from it. Stored with the reply and returned by the APIs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub n: usize,
    pub kb_id: String,
    pub document_id: String,
    pub url: Option<String>,
    pub title: String,
    /// Where in the document: each section's heading path, joined by "; " (replies stored before
    /// sources were grouped by document have one).
    pub heading_path: String,
    /// The passages, in document order, joined by a blank line.
    pub text: String,
    /// The best retrieval score of its passages.
    pub score: f32,
    /// The passages one by one, each with its section (none in replies stored before sources were
    /// grouped by document: `heading_path` and `text` are then the one passage).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
}

/// One passage of a source and the section it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// The headings above it in the document (`Pricing › Plans`), without the document's title
    /// when that is its first heading; empty for text before any heading.
    pub heading_path: String,
    pub text: String,
}

impl Source {
    /// One source per document, numbered in the order of each document's best passage; a
    /// document's passages in document order, those of one section joined (their overlap once).
    pub fn from_hits(hits: Vec<Hit>) -> Vec<Source> {
        let mut groups: Vec<(Hit, Vec<Hit>)> = Vec::new();
        for hit in hits {
            match groups.iter_mut().find(|(first, _)| first.kb_id == hit.kb_id && first.document_id == hit.document_id)
            {
                Some((_, more)) => more.push(hit),
                None => groups.push((hit, Vec::new())),
            }
        }
        groups
            .into_iter()
            .enumerate()
            .map(|(i, (first, more))| {
                let title = if first.title.is_empty() {
                    first.file_name.clone().unwrap_or_default()
                } else {
                    first.title.clone()
                };
                let mut passages: Vec<&Hit> = std::iter::once(&first).chain(&more).collect();
                // Chunks are stored in document order, so their ids follow it.
                passages.sort_by_key(|h| h.chunk_id);
                let mut sections: Vec<Section> = Vec::new();
                let mut last_chunk = None;
                for h in passages {
                    let heading_path = relative_heading(&title, &h.heading_path);
                    match sections.last_mut() {
                        Some(s) if s.heading_path == heading_path && last_chunk == Some(h.chunk_id - 1) => {
                            s.text = join_overlapping(&s.text, &h.text);
                        }
                        _ => sections.push(Section { heading_path, text: h.text.clone() }),
                    }
                    last_chunk = Some(h.chunk_id);
                }
                let mut headings: Vec<&str> = Vec::new();
                for s in &sections {
                    if !s.heading_path.is_empty() && !headings.contains(&s.heading_path.as_str()) {
                        headings.push(&s.heading_path);
                    }
                }
                Source {
                    n: i + 1,
                    heading_path: headings.join("; "),
                    text: sections.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join("\n\n"),
                    kb_id: first.kb_id,
                    document_id: first.document_id,
                    url: first.url,
                    title,
                    score: first.score,
                    sections,
                }
            })
            .collect()
    }

    /// The passages with their sections (a reply stored before sources were grouped has one).
    pub fn passages(&self) -> Vec<Section> {
        match self.sections.is_empty() {
            true => vec![Section { heading_path: self.heading_path.clone(), text: self.text.clone() }],
            false => self.sections.clone(),
        }
    }
}

/// A chunk's heading path without the document's title when that is its first heading (a page's
/// `# Title` is usually both).
fn relative_heading(title: &str, heading_path: &str) -> String {
    let title = title.trim();
    if heading_path.trim() == title {
        return String::new();
    }
    match heading_path.strip_prefix(title).and_then(|rest| rest.strip_prefix(HEADING_SEPARATOR)) {
        Some(rest) if !title.is_empty() => rest.to_owned(),
        _ => heading_path.to_owned(),
    }
}

/// `b` appended to `a`, without the start of `b` that repeats the end of `a` (consecutive chunks
/// of a section share an overlap of up to 150 characters).
fn join_overlapping(a: &str, b: &str) -> String {
    let longest = a.len().min(b.len());
    let overlap = (20..=longest)
        .rev()
        .find(|&k| b.is_char_boundary(k) && a.is_char_boundary(a.len() - k) && a.ends_with(&b[..k]))
        .unwrap_or(0);
    match overlap {
        0 => format!("{a}\n\n{b}"),
        k => format!("{a}{}", &b[k..]),
    }
}

/// The system message that carries the sources, for a model with a context window of
/// `context_window` tokens: each passage under its number, the document's title and its section.
/// It takes about 3/8 of the window (1.5 characters per token of the window, at ~4 characters a
/// token), leaving the rest to the history and the reply; passages are shortened, never dropped,
/// so every passage the UI shows was given to the model.
pub fn context_message(sources: &[Source], context_window: usize) -> String {
    let max_chars = context_window.saturating_mul(3) / 2;
    let mut out = String::from(
        "Answer the user's question using only the numbered sources below. After each statement, cite \
         the source it comes from by its number in square brackets, like [1]. If the sources do not \
         contain the answer, say that you don't know.\n",
    );
    let passages: Vec<(&Source, Section)> =
        sources.iter().flat_map(|s| s.passages().into_iter().map(move |p| (s, p))).collect();
    let budget = max_chars.saturating_sub(out.len()) / passages.len().max(1);
    for (s, p) in passages {
        let mut header = format!("\n[{}] {}", s.n, s.title);
        if !p.heading_path.is_empty() {
            header.push_str(&format!("{HEADING_SEPARATOR}{}", p.heading_path));
        }
        if let Some(url) = &s.url {
            header.push_str(&format!(" ({url})"));
        }
        header.push('\n');
        let room = budget.saturating_sub(header.len()).max(80);
        out.push_str(&header);
        out.push_str(&shorten(&p.text, room));
        out.push('\n');
    }
    out
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    if let Some(space) = cut.rfind(' ') {
        cut.truncate(space);
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(n: usize, text: &str) -> Source {
        Source {
            n,
            kb_id: "kb".into(),
            document_id: "d".into(),
            url: Some(format!("https://example.com/{n}")),
            title: format!("Page {n}"),
            heading_path: "Plans".into(),
            text: text.into(),
            score: 0.1,
            sections: Vec::new(),
        }
    }

    fn hit(chunk_id: i64, document_id: &str, heading_path: &str, text: &str, score: f32) -> Hit {
        Hit {
            chunk_id,
            kb_id: "kb".into(),
            document_id: document_id.into(),
            url: None,
            file_name: Some(format!("{document_id}.md")),
            title: if document_id == "refunds" { "Refund policy".into() } else { String::new() },
            heading_path: heading_path.into(),
            text: text.into(),
            score,
        }
    }

    #[test]
    fn the_context_numbers_every_source_with_its_title_section_and_link() {
        let msg = context_message(&[source(1, "Team costs 42 euros."), source(2, "Support hours.")], 2_700);
        assert!(msg.contains("[1] Page 1 › Plans (https://example.com/1)\nTeam costs 42 euros."), "{msg}");
        assert!(msg.contains("[2] Page 2"), "{msg}");
        assert!(msg.contains("like [1]"));
        assert!(context_message(&[], 2_700).contains("say that you don't know"));
    }

    #[test]
    fn long_passages_are_shortened_at_a_word_but_none_is_dropped() {
        let long = "word ".repeat(2000);
        // A 1,334-token window leaves 2,001 characters for the sources.
        let msg = context_message(&[source(1, &long), source(2, &long)], 1_334);
        assert!(msg.chars().count() < 2300, "{}", msg.len());
        assert!(msg.contains("[2] Page 2"));
        assert!(msg.contains("word…"));
    }

    #[test]
    fn passages_of_one_document_make_one_source_with_each_section_in_document_order() {
        let overlap = "Refunds are paid to the card used for the purchase.";
        let hits = vec![
            hit(12, "refunds", "Refund policy › Processing", &format!("Processing takes 5 days. {overlap}"), 0.05),
            hit(40, "pricing", "Plans", "Plus costs $6.", 0.04),
            hit(3, "refunds", "Refund policy › Refund window", "Ask within 14 days.", 0.03),
            hit(13, "refunds", "Refund policy › Processing", &format!("{overlap} Fees are kept."), 0.02),
        ];
        let sources = Source::from_hits(hits);
        assert_eq!(sources.len(), 2);
        let refunds = &sources[0];
        assert_eq!((refunds.n, refunds.title.as_str(), refunds.score), (1, "Refund policy", 0.05));
        assert_eq!(refunds.heading_path, "Refund window; Processing");
        assert_eq!(
            refunds.sections,
            [
                Section { heading_path: "Refund window".into(), text: "Ask within 14 days.".into() },
                Section {
                    heading_path: "Processing".into(),
                    text: format!("Processing takes 5 days. {overlap} Fees are kept."),
                },
            ]
        );
        assert_eq!(refunds.text, format!("Ask within 14 days.\n\nProcessing takes 5 days. {overlap} Fees are kept."));
        // A file without a title is named by its file name; its heading is kept whole.
        assert_eq!(
            (sources[1].n, sources[1].title.as_str(), sources[1].heading_path.as_str()),
            (2, "pricing.md", "Plans")
        );
        let msg = context_message(&sources, 4_096);
        assert!(
            msg.contains("[1] Refund policy › Refund window\nAsk within 14 days.\n\n[1] Refund policy › Processing\n"),
            "{msg}"
        );
    }

    #[test]
    fn a_reply_stored_before_grouping_still_reads_as_one_passage() {
        let old = r#"{"n":1,"kb_id":"kb","document_id":"d","url":null,"title":"T","heading_path":"H","text":"x","score":0.1}"#;
        let s: Source = serde_json::from_str(old).unwrap();
        assert_eq!(s.passages(), [Section { heading_path: "H".into(), text: "x".into() }]);
        assert!(!serde_json::to_string(&s).unwrap().contains("sections"));
    }
}
