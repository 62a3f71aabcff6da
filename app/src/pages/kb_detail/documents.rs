//! The documents of a knowledge base: title (a link for web pages), kind, chunks; the owner
//! deletes them one by one.

use leptos::prelude::*;

use crate::{
    api::kb::delete_document,
    components::{format_time, top_error, use_hydrated},
    dto::DocumentDto,
};

#[component]
pub fn Documents(
    kb_id: String,
    documents: RwSignal<Vec<DocumentDto>>,
    owned: bool,
    /// After a deletion: the page reloads the list.
    on_changed: Callback<()>,
) -> impl IntoView {
    let delete = Action::new(move |doc_id: &String| delete_document(kb_id.clone(), doc_id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            on_changed.run(());
        }
    });
    let on_delete = Callback::new(move |doc: DocumentDto| {
        let question = format!("Remove “{}” from this knowledge base?", doc.title);
        if window().confirm_with_message(&question).unwrap_or(false) {
            delete.dispatch(doc.id);
        }
    });
    view! {
        <section class="card">
            <h2>"Documents"</h2>
            {move || {
                top_error(delete.value().get(), &[]).map(|e| view! { <p class="form-error" role="alert">{e}</p> })
            }}
            <Show
                when=move || documents.with(|d| !d.is_empty())
                fallback=|| view! { <p class="muted" data-testid="no-documents">"No documents yet."</p> }
            >
                <table class="table" data-testid="documents">
                    <thead>
                        <tr>
                            <th>"Title"</th>
                            <th>"Kind"</th>
                            <th>"Chunks"</th>
                            <th>"Updated"</th>
                            <th></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || documents.get()
                            key=|d| (d.id.clone(), d.chunks, d.updated_at)
                            children=move |doc| view! { <DocumentRow doc owned on_delete/> }
                        />
                    </tbody>
                </table>
            </Show>
        </section>
    }
}

#[component]
fn DocumentRow(doc: DocumentDto, owned: bool, on_delete: Callback<DocumentDto>) -> impl IntoView {
    let hydrated = use_hydrated();
    let title = if doc.title.trim().is_empty() {
        doc.url.clone().or_else(|| doc.file_name.clone()).unwrap_or_else(|| "untitled".into())
    } else {
        doc.title.clone()
    };
    let title_view = match doc.url.clone() {
        Some(url) => view! {
            <a href=url.clone() target="_blank" rel="noopener noreferrer" data-testid="document-link">{title}</a>
            <div class="muted document-url">{url}</div>
        }
        .into_any(),
        None => view! { <span data-testid="document-title">{title}</span> }.into_any(),
    };
    let d = doc.clone();
    view! {
        <tr data-testid="document-row">
            <td>{title_view}</td>
            <td>{doc.kind}</td>
            <td data-testid="document-chunks">{doc.chunks}</td>
            <td>{format_time(doc.updated_at)}</td>
            <td>
                {owned
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="button danger small"
                                data-testid="delete-document"
                                disabled=move || !hydrated.get()
                                on:click=move |_| on_delete.run(d.clone())
                            >
                                "Delete"
                            </button>
                        }
                    })}
            </td>
        </tr>
    }
}
