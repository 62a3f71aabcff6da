//! Settings → "Import conversations": a Web+ export or ChatGPT's `conversations.json`, posted as
//! it is to `/api/v1/conversations/import`; says what came in, with a link to it.

use leptos::{html, prelude::*};

use crate::components::{post_body, use_hydrated};

/// What an import made, as the page says it.
#[derive(Clone)]
struct Imported {
    first: Option<(String, String)>,
    conversations: usize,
    messages: u64,
    skipped: u64,
}

#[component]
pub fn ImportConversations() -> impl IntoView {
    let hydrated = use_hydrated();
    let input = NodeRef::<html::Input>::new();
    let chosen = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<Imported, String>>);
    // A plain task, not an Action: the `File` is a browser object (`!Send`).
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(el) = input.get_untracked() else { return };
        let Some(file) = el.files().and_then(|f| f.item(0)) else { return };
        pending.set(true);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let result =
                post_body("/api/v1/conversations/import", &file, Some("application/json"), "the import failed")
                    .await
                    .map(|v| summary(&v));
            pending.try_set(false);
            if result.is_ok() {
                el.set_value("");
                chosen.try_set(false);
            }
            outcome.try_set(Some(result));
        });
    };
    view! {
        <section class="card">
            <h2>"Import conversations"</h2>
            <p class="muted">
                "A conversation exported from Web+ (JSON), or conversations.json from ChatGPT's data export. "
                "Branches come along; images and tool output do not."
            </p>
            <form on:submit=on_submit data-testid="import-form">
                <fieldset disabled=move || !hydrated.get() || pending.get()>
                    <input
                        type="file"
                        accept=".json,application/json"
                        node_ref=input
                        data-testid="import-input"
                        aria-label="File to import"
                        on:change=move |_| {
                            chosen.set(input.get_untracked().and_then(|el| el.files()).is_some_and(|f| f.length() > 0));
                        }
                    />
                    <button type="submit" class="button primary" data-testid="import" disabled=move || !chosen.get()>
                        {move || if pending.get() { "Importing…" } else { "Import" }}
                    </button>
                </fieldset>
            </form>
            {move || {
                outcome
                    .get()
                    .map(|o| match o {
                        Ok(i) => view! {
                            <p class="notice" role="status" data-testid="import-result">
                                {format!(
                                    "Imported {} conversation{} ({} messages).",
                                    i.conversations,
                                    if i.conversations == 1 { "" } else { "s" },
                                    i.messages,
                                )}
                                {(i.skipped > 0)
                                    .then(|| format!(" {} messages were left out (system, tool or not text).", i.skipped))}
                                {i.first.map(|(id, title)| view! { " " <a href=format!("/c/{id}")>{format!("Open “{title}”")}</a> })}
                            </p>
                        }
                        .into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e}</p> }.into_any(),
                    })
            }}
        </section>
    }
}

fn summary(v: &serde_json::Value) -> Imported {
    let list = v["conversations"].as_array().cloned().unwrap_or_default();
    let first = list.first().and_then(|c| Some((c["id"].as_str()?.to_string(), c["title"].as_str()?.to_string())));
    Imported {
        first,
        conversations: list.len(),
        messages: list.iter().filter_map(|c| c["messages"].as_u64()).sum(),
        skipped: v["skipped_messages"].as_u64().unwrap_or(0),
    }
}
