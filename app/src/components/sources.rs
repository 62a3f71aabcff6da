//! What a reply was grounded on: the "Sources" list under it, one item per document, rendered as
//! text (never as HTML).
//! The reply's `[n]` markers are links to its items, made by the engine's renderer.

use std::sync::Arc;

use leptos::prelude::*;

use crate::dto::SourceDto;

/// The id of source `n`'s item (the engine's citation links, `webplus::render::Citations`, point
/// to it).
fn anchor(message_id: &str, n: usize) -> String {
    format!("src-{message_id}-{n}")
}

/// The numbered sources under a reply: the document's title (linked when it is a page), each
/// section a passage came from, and the passages behind a toggle. The widget shows the same.
#[component]
pub fn Sources(message_id: String, sources: Arc<Vec<SourceDto>>) -> impl IntoView {
    let items = sources
        .iter()
        .map(|s| {
            let title = if s.title.trim().is_empty() { "Untitled".to_string() } else { s.title.clone() };
            let title = view! { <span data-testid="source-title">{title}</span> };
            let linked = match s.url.clone() {
                Some(url) => view! {
                    <a href=url target="_blank" rel="noopener noreferrer" data-testid="source-link">{title}</a>
                }
                .into_any(),
                None => title.into_any(),
            };
            let headings = s
                .sections
                .iter()
                .filter(|p| !p.heading_path.is_empty())
                .map(|p| {
                    view! { <span class="source-heading" data-testid="source-heading">{format!("› {}", p.heading_path)}</span> }
                })
                .collect_view();
            let passages = s
                .sections
                .iter()
                .map(|p| view! { <p class="source-passage-text" data-testid="source-passage">{p.text.clone()}</p> })
                .collect_view();
            view! {
                <li class="source" id=anchor(&message_id, s.n) data-testid="source" data-n=s.n.to_string()>
                    <span class="source-n">{format!("[{}]", s.n)}</span>
                    " "
                    {linked}
                    {headings}
                    <details class="source-passage">
                        <summary>{if s.sections.len() > 1 { "Passages" } else { "Passage" }}</summary>
                        <div class="source-text" data-testid="source-text">{passages}</div>
                    </details>
                </li>
            }
            .into_any()
        })
        .collect_view();
    view! {
        <section class="sources" data-testid="sources" aria-label="Sources">
            <h4>"Sources"</h4>
            <ol>{items}</ol>
        </section>
    }
}
