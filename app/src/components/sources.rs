//! What a reply was grounded on: the "Sources" list under it, rendered as text (never as HTML).
//! The reply's `[n]` markers are links to its items, made by the engine's renderer.

use std::sync::Arc;

use leptos::prelude::*;

use crate::dto::SourceDto;

/// The id of source `n`'s item (the engine's citation links, `webplus::render::Citations`, point
/// to it).
fn anchor(message_id: &str, n: usize) -> String {
    format!("src-{message_id}-{n}")
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
