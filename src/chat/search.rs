//! Searching one's conversations: titles and messages containing every word typed (the last one
//! also as the start of a word), each hit with a short excerpt whose matching words are marked.

use super::Chat;
use crate::{Result, domain::MessageRole};

/// At most this many words of a query are used.
const MAX_WORDS: usize = 8;
/// Characters of a message shown around its first match.
const EXCERPT_CHARS: usize = 160;

/// A conversation (its title matched) or one of its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub conversation_id: String,
    pub title: String,
    /// None: the title matched.
    pub message_id: Option<String>,
    pub role: Option<MessageRole>,
    /// The excerpt as pieces, `true` for a matching word.
    pub excerpt: Vec<(String, bool)>,
    pub at: i64,
}

impl Chat {
    /// Titles first (newest first), then messages (best matches first), `limit` in all.
    pub async fn search(&self, user_id: &str, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let terms = query_words(query);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let limit = limit.clamp(1, 100);
        let titles = self.db.search_titles(user_id, &terms, limit.min(10)).await?;
        let messages = self.db.search_messages(user_id, &terms, limit - titles.len() as u32).await?;
        let mut hits: Vec<SearchHit> = titles
            .into_iter()
            .map(|t| SearchHit {
                excerpt: excerpt(&t.title, &terms),
                conversation_id: t.conversation_id,
                title: t.title,
                message_id: None,
                role: None,
                at: t.updated_at,
            })
            .collect();
        hits.extend(messages.into_iter().map(|m| SearchHit {
            excerpt: excerpt(&m.content, &terms),
            role: MessageRole::parse(&m.role),
            conversation_id: m.conversation_id,
            title: m.title,
            message_id: Some(m.message_id),
            at: m.created_at,
        }));
        Ok(hits)
    }
}

/// The query's words, lower-case, in order, without repeats.
fn query_words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in query.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let w: String = w.to_lowercase().chars().take(64).collect();
        if !words.contains(&w) {
            words.push(w);
        }
    }
    words.truncate(MAX_WORDS);
    words
}

/// About [`EXCERPT_CHARS`] characters of `text` around its first word starting with a term, with
/// every such word marked; the start of `text` when no word does (a stemmed match).
fn excerpt(text: &str, terms: &[String]) -> Vec<(String, bool)> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = text.chars().collect();
    // Words as (start, end) char positions.
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in chars.iter().chain(std::iter::once(&' ')).enumerate() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    let matches = |&(s, e): &(usize, usize)| {
        let word: String = chars[s..e].iter().collect::<String>().to_lowercase();
        terms.iter().any(|t| word.starts_with(t.as_str()))
    };
    let first = words.iter().find(|w| matches(w)).map_or(0, |w| w.0);
    let from = first.saturating_sub(EXCERPT_CHARS / 3);
    let to = (from + EXCERPT_CHARS).min(chars.len());
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut push = |piece: String, marked: bool| {
        if piece.is_empty() {
            return;
        }
        match out.last_mut() {
            Some((last, m)) if *m == marked => last.push_str(&piece),
            _ => out.push((piece, marked)),
        }
    };
    if from > 0 {
        push("…".into(), false);
    }
    let mut at = from;
    for w in words.iter().filter(|w| w.0 >= from && w.1 <= to && matches(w)) {
        push(chars[at..w.0].iter().collect(), false);
        push(chars[w.0..w.1].iter().collect(), true);
        at = w.1;
    }
    push(chars[at..to].iter().collect(), false);
    if to < chars.len() {
        push("…".into(), false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_its_distinct_words() {
        assert_eq!(query_words("  Rust, rust & \"borrow\"-checker!  "), ["rust", "borrow", "checker"]);
        assert!(query_words("*** ''").is_empty());
        assert_eq!(query_words(&"w ".repeat(20)).len(), 1);
        assert_eq!(query_words("a b c d e f g h i j").len(), MAX_WORDS);
    }

    #[test]
    fn the_excerpt_marks_matching_words_around_the_first() {
        let terms = query_words("lisbon PASTÉIS");
        let text = format!("{} Stay in Lisbon.\nTry the Pastéis de nata in lisbon's Belém.", "filler ".repeat(40));
        let parts = excerpt(&text, &terms);
        let marked: Vec<&str> = parts.iter().filter(|p| p.1).map(|p| p.0.as_str()).collect();
        assert_eq!(marked, ["Lisbon", "Pastéis", "lisbon"]);
        assert!(parts[0].0.starts_with('…'), "cut before: it says so: {parts:?}");
        let shown: String = parts.iter().map(|p| p.0.as_str()).collect();
        assert!(shown.chars().count() <= EXCERPT_CHARS + 2, "{shown}");
        assert!(!shown.contains('\n'));
        // No word matches (a stemmed hit): the start.
        assert_eq!(
            excerpt("Running late", &query_words("run")),
            [("Running".to_string(), true), (" late".to_string(), false)]
        );
        assert_eq!(excerpt("Ran late", &query_words("run")), [("Ran late".to_string(), false)]);
    }
}
