//! Turning retrieved passages into numbered sources the model is asked to cite as [n].

use serde::{Deserialize, Serialize};

use crate::sitechat::Hit;

/// A passage given to the model, numbered as the model must cite it. Stored with the reply and
/// returned by the APIs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub n: usize,
    pub kb_id: String,
    pub document_id: String,
    pub url: Option<String>,
    pub title: String,
    pub heading_path: String,
    pub text: String,
    pub score: f32,
}

impl Source {
    pub fn from_hits(hits: Vec<Hit>) -> Vec<Source> {
        hits.into_iter()
            .enumerate()
            .map(|(i, h)| Source {
                n: i + 1,
                kb_id: h.kb_id,
                document_id: h.document_id,
                title: if h.title.is_empty() { h.file_name.clone().unwrap_or_default() } else { h.title },
                url: h.url,
                heading_path: h.heading_path,
                text: h.text,
                score: h.score,
            })
            .collect()
    }
}

/// The system message that carries the sources, for a model with a context window of
/// `context_window` tokens. It takes about 3/8 of the window (1.5 characters per token of the
/// window, at ~4 characters a token), leaving the rest to the history and the reply; passages are
/// shortened, never dropped, so every number the UI shows was given to the model.
pub fn context_message(sources: &[Source], context_window: usize) -> String {
    let max_chars = context_window.saturating_mul(3) / 2;
    let mut out = String::from(
        "Answer the user's question using only the numbered sources below. After each statement, cite \
         the source it comes from by its number in square brackets, like [1]. If the sources do not \
         contain the answer, say that you don't know.\n",
    );
    let budget = max_chars.saturating_sub(out.len()) / sources.len().max(1);
    for s in sources {
        let mut header = format!("\n[{}] {}", s.n, s.title);
        if !s.heading_path.is_empty() {
            header.push_str(&format!(" — {}", s.heading_path));
        }
        if let Some(url) = &s.url {
            header.push_str(&format!(" ({url})"));
        }
        header.push('\n');
        let room = budget.saturating_sub(header.len()).max(80);
        out.push_str(&header);
        out.push_str(&shorten(&s.text, room));
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
        }
    }

    #[test]
    fn the_context_numbers_every_source_with_its_title_heading_and_link() {
        let msg = context_message(&[source(1, "Team costs 42 euros."), source(2, "Support hours.")], 2_700);
        assert!(msg.contains("[1] Page 1 — Plans (https://example.com/1)\nTeam costs 42 euros."), "{msg}");
        assert!(msg.contains("[2] Page 2"), "{msg}");
        assert!(msg.contains("like [1]"));
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
}
