//! What a reply was grounded on: its text with `[n]` markers linked to the numbered sources, and
//! the "Sources" list under it. Everything is rendered as text (never as HTML).

use std::sync::Arc;

use leptos::prelude::*;

use crate::dto::SourceDto;

/// A piece of a reply: plain text, or a citation of source `n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Cite(usize),
}

/// Splits `text` at `[n]` markers naming one of `known`; other brackets stay text.
pub fn segments(text: &str, known: impl Fn(usize) -> bool) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let n = (digits > 0 && digits <= 3 && after[digits..].starts_with(']'))
            .then(|| after[..digits].parse::<usize>().ok())
            .flatten()
            .filter(|n| known(*n));
        match n {
            Some(n) => {
                plain.push_str(&rest[..open]);
                if !plain.is_empty() {
                    out.push(Segment::Text(std::mem::take(&mut plain)));
                }
                out.push(Segment::Cite(n));
                rest = &after[digits + 1..];
            }
            None => {
                plain.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    plain.push_str(rest);
    if !plain.is_empty() {
        out.push(Segment::Text(plain));
    }
    out
}

fn anchor(message_id: &str, n: usize) -> String {
    format!("src-{message_id}-{n}")
}

/// A reply's text with its citations as links to the matching source.
#[component]
pub fn CitedText(message_id: String, content: RwSignal<String>, sources: Arc<Vec<SourceDto>>) -> impl IntoView {
    move || {
        let known = |n: usize| sources.iter().any(|s| s.n == n);
        content.with(|text| {
            segments(text, known)
                .into_iter()
                .map(|seg| match seg {
                    Segment::Text(t) => t.into_any(),
                    Segment::Cite(n) => view! {
                        <a class="cite" href=format!("#{}", anchor(&message_id, n)) data-testid="cite">
                            {format!("[{n}]")}
                        </a>
                    }
                    .into_any(),
                })
                .collect_view()
        })
    }
}

/// The numbered sources under a reply: title, where in the page, a link, the passage.
#[component]
pub fn Sources(message_id: String, sources: Arc<Vec<SourceDto>>) -> impl IntoView {
    let items = sources
        .iter()
        .map(|s| {
            let title = if s.title.trim().is_empty() { "Untitled".to_string() } else { s.title.clone() };
            let title = view! { <span data-testid="source-title">{title}</span> };
            let heading = (!s.heading_path.is_empty()).then(
                || view! { <span class="source-heading" data-testid="source-heading">{s.heading_path.clone()}</span> },
            );
            let linked = match s.url.clone() {
                Some(url) => view! {
                    <a href=url target="_blank" rel="noopener noreferrer" data-testid="source-link">{title}</a>
                }
                .into_any(),
                None => title.into_any(),
            };
            view! {
                <li class="source" id=anchor(&message_id, s.n) data-testid="source" data-n=s.n.to_string()>
                    <span class="source-n">{format!("[{}]", s.n)}</span>
                    " "
                    {linked}
                    {heading}
                    <details class="source-passage">
                        <summary>"Passage"</summary>
                        <p class="source-text" data-testid="source-text">{s.text.clone()}</p>
                    </details>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="sources" data-testid="sources" aria-label="Sources">
            <h4>"Sources"</h4>
            <ol>{items}</ol>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::{Segment::*, segments};

    #[test]
    fn known_markers_become_citations_and_everything_else_stays_text() {
        let got = segments("It costs 42 euros [1]. See [2][7] and [x] or [12", |n| n <= 2);
        assert_eq!(
            got,
            vec![
                Text("It costs 42 euros ".into()),
                Cite(1),
                Text(". See ".into()),
                Cite(2),
                Text("[7] and [x] or [12".into()),
            ]
        );
    }

    #[test]
    fn text_without_markers_is_one_segment() {
        assert_eq!(segments("plain", |_| true), vec![Text("plain".into())]);
        assert!(segments("", |_| true).is_empty());
    }
}
