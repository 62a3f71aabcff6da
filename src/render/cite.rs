//! A grounded reply's `[n]` markers as links to its numbered sources (the list under the reply,
//! whose items have the ids `src-<message id>-<n>`). Markers naming no source stay text.

/// The sources a reply may cite, and where its source list is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citations {
    message_id: String,
    known: Vec<usize>,
}

impl Citations {
    /// `known`: the numbers of the reply's sources. None without sources.
    pub fn new(message_id: &str, known: Vec<usize>) -> Option<Self> {
        (!known.is_empty()).then(|| Self { message_id: message_id.to_owned(), known })
    }

    /// The link for a marker (built from our own message id, so it needs no sanitising).
    pub(super) fn link(&self, n: usize) -> String {
        let id: String = self.message_id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        format!("<a class=\"cite\" href=\"#src-{id}-{n}\" data-testid=\"cite\">[{n}]</a>")
    }
}

/// A piece of text: plain, or a citation of source `n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment<'a> {
    Text(&'a str),
    Cite(usize),
}

/// Splits `text` at `[n]` markers naming one of the known sources; other brackets stay text.
pub(super) fn segments<'a>(text: &'a str, citations: &Citations) -> Vec<Segment<'a>> {
    let mut out = Vec::new();
    let (mut plain_from, mut at) = (0, 0);
    while let Some(open) = text[at..].find('[').map(|i| at + i) {
        let after = &text[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let n = (digits > 0 && digits <= 3 && after[digits..].starts_with(']'))
            .then(|| after[..digits].parse::<usize>().ok())
            .flatten()
            .filter(|n| citations.known.contains(n));
        match n {
            Some(n) => {
                if plain_from < open {
                    out.push(Segment::Text(&text[plain_from..open]));
                }
                out.push(Segment::Cite(n));
                at = open + digits + 2;
                plain_from = at;
            }
            None => at = open + 1,
        }
    }
    if plain_from < text.len() {
        out.push(Segment::Text(&text[plain_from..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Segment::*, *};

    #[test]
    fn known_markers_become_citations_and_everything_else_stays_text() {
        let c = Citations::new("m1", vec![1, 2]).unwrap();
        let got = segments("It costs 42 euros [1]. See [2][7] and [x] or [12", &c);
        assert_eq!(got, vec![Text("It costs 42 euros "), Cite(1), Text(". See "), Cite(2), Text("[7] and [x] or [12")]);
        assert_eq!(segments("plain", &c), vec![Text("plain")]);
        assert!(segments("", &c).is_empty());
        assert!(Citations::new("m1", vec![]).is_none());
    }
}
