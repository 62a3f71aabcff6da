//! The knowledge base's name and counts; its owner renames or deletes it.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use webplus::domain::KnowledgeBaseName;

use crate::{
    api::kb::{delete_kb, rename_kb},
    components::{TextField, field_error, top_error, use_hydrated},
    dto::{DocumentDto, KbDto},
};

#[component]
pub fn KbHeader(kb: KbDto, documents: RwSignal<Vec<DocumentDto>>) -> impl IntoView {
    let hydrated = use_hydrated();
    let navigate = use_navigate();
    let title = RwSignal::new(kb.name.clone());
    let name = RwSignal::new(kb.name.clone());
    let submitted = RwSignal::new(false);
    let editing = RwSignal::new(false);
    let id = kb.id.clone();
    let rename = Action::new(move |n: &String| rename_kb(id.clone(), n.clone()));
    let id = kb.id.clone();
    let delete = Action::new(move |_: &()| delete_kb(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = rename.value().get() {
            title.set(name.get_untracked());
            editing.set(false);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/kb", Default::default());
        }
    });
    let check = Signal::derive(move || KnowledgeBaseName::parse(&name.get()).err().map(|e| e.reason));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        if check.get_untracked().is_none() {
            rename.dispatch(name.get_untracked());
        }
    };
    let on_delete = move |_| {
        let question = format!(
            "Delete the knowledge base “{}” with all its documents? Conversations using it lose it.",
            title.get_untracked()
        );
        if window().confirm_with_message(&question).unwrap_or(false) {
            delete.dispatch(());
        }
    };
    let counts = move || {
        documents.with(|d| format!("{} documents · {} chunks", d.len(), d.iter().map(|d| d.chunks).sum::<i64>()))
    };
    let owned = kb.owned;
    view! {
        <header class="kb-header">
            <h1 data-testid="kb-title">{title}</h1>
            <p class="muted">
                <span data-testid="kb-counts">{counts}</span>
                {(!owned).then_some(" · shared with you (read-only)")}
            </p>
            <Show when=move || owned>
                <div class="kb-actions">
                    <button
                        type="button"
                        class="button ghost small"
                        data-testid="rename-kb"
                        disabled=move || !hydrated.get()
                        on:click=move |_| editing.update(|e| *e = !*e)
                    >
                        "Rename"
                    </button>
                    <button
                        type="button"
                        class="button danger small"
                        data-testid="delete-kb"
                        disabled=move || !hydrated.get() || delete.pending().get()
                        on:click=on_delete
                    >
                        "Delete"
                    </button>
                </div>
            </Show>
            <Show when=move || editing.get()>
                <form class="inline-form" method="post" on:submit=on_submit novalidate>
                    <fieldset disabled=move || rename.pending().get()>
                        <TextField
                            label="New name"
                            testid="kb-rename-input"
                            value=name
                            check
                            server=Signal::derive(move || field_error(rename.value().get(), "name"))
                            submitted
                        />
                        <button type="submit" class="button primary" data-testid="kb-rename-save">
                            "Save"
                        </button>
                    </fieldset>
                </form>
            </Show>
            {move || {
                top_error(rename.value().get(), &["name"])
                    .or_else(|| top_error(delete.value().get(), &[]))
                    .map(|e| view! { <p class="form-error" role="alert">{e}</p> })
            }}
        </header>
    }
}
