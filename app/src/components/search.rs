//! Search over the user's conversations (Ctrl+K, or the sidebar's button): titles and messages
//! with every word typed, the words marked in each excerpt. ↑/↓ choose, Enter opens (a message:
//! its conversation on its branch, scrolled to it), Esc closes.

use leptos::{ev::KeyboardEvent, html, prelude::*};
use leptos_router::hooks::use_navigate;

use crate::{api::chat::search_conversations, dto::SearchHitDto};

/// How long typing must pause before a search is sent.
const PAUSE_MS: u64 = 150;

/// Opens the dialog on Ctrl+K (⌘K), anywhere on the page.
pub fn open_on_ctrl_k(open: RwSignal<bool>) {
    // Only in the browser (effects do not run on the server); removed with the owner.
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::keydown, move |e: KeyboardEvent| {
            if (e.ctrl_key() || e.meta_key()) && e.key().eq_ignore_ascii_case("k") {
                e.prevent_default();
                open.set(true);
            }
        });
        on_cleanup(move || handle.remove());
    });
}

/// The dialog's code is a chunk of its own (`#[lazy]`), fetched the first time it opens: the
/// chat page does not wait for it.
#[component]
pub fn SearchDialog(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <Show when=move || open.get()>
            <Suspense fallback=|| ()>{move || Suspend::new(search_box(open))}</Suspense>
        </Show>
    }
}

#[lazy]
fn search_box(open: RwSignal<bool>) -> AnyView {
    view! { <SearchBox open/> }.into_any()
}

#[component]
fn SearchBox(open: RwSignal<bool>) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let version = StoredValue::new(0u64);
    let query = RwSignal::new(String::new());
    let hits = RwSignal::new(None::<Result<Vec<SearchHitDto>, String>>);
    let selected = RwSignal::new(0usize);
    let search = Action::new(|(v, q): &(u64, String)| {
        let (v, q) = (*v, q.clone());
        async move { (v, search_conversations(q).await) }
    });
    // Only the answer to the latest query is shown (an older one may arrive after it).
    Effect::new(move |_| {
        if let Some((v, result)) = search.value().get()
            && v == version.get_value()
        {
            selected.set(0);
            hits.set(Some(result.map_err(|e| e.to_string())));
        }
    });
    // Focused on the next frame: the box is built under a `Suspense` (its code is lazily loaded)
    // and put in the page after this runs; focusing an element not yet in the page does nothing.
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            request_animation_frame(move || {
                let _ = el.focus();
            });
        }
    });
    let navigate = use_navigate();
    let go = move |hit: &SearchHitDto| {
        open.set(false);
        navigate(&hit.href(), Default::default());
    };
    let on_input = move |ev| {
        let text = event_target_value(&ev);
        query.set(text.clone());
        version.update_value(|v| *v += 1);
        let v = version.get_value();
        if text.trim().is_empty() {
            hits.set(None);
            return;
        }
        set_timeout(
            move || {
                if version.try_get_value() == Some(v) {
                    search.dispatch((v, text));
                }
            },
            std::time::Duration::from_millis(PAUSE_MS),
        );
    };
    let go_selected = go.clone();
    let on_keydown = move |e: KeyboardEvent| {
        let count = hits.with(|h| h.as_ref().and_then(|r| r.as_ref().ok()).map_or(0, Vec::len));
        match e.key().as_str() {
            "Escape" => {
                e.prevent_default();
                open.set(false);
            }
            "ArrowDown" if count > 0 => {
                e.prevent_default();
                selected.update(|s| *s = (*s + 1) % count);
            }
            "ArrowUp" if count > 0 => {
                e.prevent_default();
                selected.update(|s| *s = (*s + count - 1) % count);
            }
            "Enter" => {
                e.prevent_default();
                let hit =
                    hits.with(|h| h.as_ref().and_then(|r| r.as_ref().ok()?.get(selected.get_untracked()).cloned()));
                if let Some(hit) = hit {
                    go_selected(&hit);
                }
            }
            _ => {}
        }
    };
    let results = move || {
        hits.get().map(|r| match r {
            Err(e) => view! { <p class="form-error" role="alert">{e}</p> }.into_any(),
            Ok(list) if list.is_empty() => {
                view! { <p class="muted search-empty" data-testid="search-empty">"Nothing found."</p> }.into_any()
            }
            Ok(list) => view! {
                <ul class="search-results" role="listbox" data-testid="search-results">
                    {list
                        .into_iter()
                        .enumerate()
                        .map(|(i, hit)| {
                            let href = hit.href();
                            let kind = if hit.message_id.is_some() { "message" } else { "title" };
                            view! {
                                <li role="option" aria-selected=move || (selected.get() == i).to_string()>
                                    <a
                                        href=href
                                        class="search-hit"
                                        class:selected=move || selected.get() == i
                                        data-testid="search-hit"
                                        data-kind=kind
                                        on:click=move |_| open.set(false)
                                    >
                                        <span class="hit-title">{hit.title.clone()}</span>
                                        <span class="hit-excerpt">
                                            {hit
                                                .excerpt
                                                .into_iter()
                                                .map(|(text, marked)| {
                                                    if marked {
                                                        view! { <mark>{text}</mark> }.into_any()
                                                    } else {
                                                        text.into_any()
                                                    }
                                                })
                                                .collect_view()}
                                        </span>
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
            .into_any(),
        })
    };
    view! {
        <div class="search-backdrop" on:click=move |_| open.set(false)></div>
        <div class="search-dialog" role="dialog" aria-modal="true" aria-label="Search conversations">
            <input
                type="search"
                node_ref=input
                data-testid="search-input"
                placeholder="Search your conversations…"
                aria-label="Search your conversations"
                prop:value=move || query.get()
                on:input=on_input
                on:keydown=on_keydown
            />
            {results}
            <p class="muted search-help">"↑ ↓ to choose · Enter to open · Esc to close"</p>
        </div>
    }
}
