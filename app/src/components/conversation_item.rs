//! One conversation in the sidebar: its link, inline rename, pin, archive, delete.

use leptos::{ev::KeyboardEvent, prelude::*};
use leptos_router::hooks::use_navigate;
use webplus::domain::ConversationTitle;

use super::ChatCtx;
use crate::{
    api::chat::{archive_conversation, delete_conversation, pin_conversation, rename_conversation},
    dto::ConversationDto,
};

#[component]
pub fn ConversationItem(conversation: ConversationDto, #[prop(into)] current: Signal<Option<String>>) -> impl IntoView {
    let ctx = expect_context::<ChatCtx>();
    let navigate = use_navigate();
    let ConversationDto { id, title, pinned, archived, .. } = conversation;
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(title.clone());
    let problem = RwSignal::new(None::<String>);

    // Answers with its input: an action's `input()` is cleared once it resolves.
    let rename = Action::new(|(id, title): &(String, String)| {
        let (id, title) = (id.clone(), title.clone());
        async move { rename_conversation(id.clone(), title.clone()).await.map(|()| (id, title)) }
    });
    let delete = Action::new(|id: &String| delete_conversation(id.clone()));
    let pin = Action::new(|(id, on): &(String, bool)| pin_conversation(id.clone(), *on));
    let archive = Action::new(|(id, on): &(String, bool)| archive_conversation(id.clone(), *on));
    // One effect each: reading both in one would let one's older answer hide the other's error.
    let changed = move |answer: Option<Result<(), crate::error::AppError>>| match answer {
        Some(Ok(())) => ctx.refresh(),
        Some(Err(e)) => problem.set(Some(e.to_string())),
        None => {}
    };
    Effect::new(move |_| changed(pin.value().get()));
    Effect::new(move |_| changed(archive.value().get()));
    let (pin_id, archive_id) = (id.clone(), id.clone());
    let hydrated = crate::components::gate::use_hydrated();

    Effect::new(move |_| match rename.value().get() {
        Some(Ok(renamed)) => {
            editing.set(false);
            ctx.renamed.set(Some(renamed));
            ctx.refresh();
        }
        Some(Err(e)) => problem.set(Some(e.to_string())),
        None => {}
    });
    let deleted_id = id.clone();
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => {
            if current.get_untracked().as_deref() == Some(deleted_id.as_str()) {
                navigate("/", Default::default());
            }
            ctx.refresh();
        }
        Some(Err(e)) => problem.set(Some(e.to_string())),
        None => {}
    });

    let save_id = id.clone();
    let save = move || match ConversationTitle::parse(&draft.get_untracked()) {
        Ok(t) => {
            problem.set(None);
            rename.dispatch((save_id.clone(), t.into_inner()));
        }
        Err(e) => problem.set(Some(e.reason)),
    };
    let save_on_enter = save.clone();
    let original = title.clone();
    let on_keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            ev.prevent_default();
            save_on_enter();
        }
        "Escape" => {
            draft.set(original.clone());
            editing.set(false);
        }
        _ => {}
    };
    let delete_id = id.clone();
    let confirm_title = title.clone();
    let on_delete = move |_| {
        let question = format!("Delete “{confirm_title}”? This cannot be undone.");
        if window().confirm_with_message(&question).unwrap_or(false) {
            delete.dispatch(delete_id.clone());
        }
    };
    let active_id = id.clone();
    let is_active = move || current.get().as_deref() == Some(active_id.as_str());
    let href = format!("/c/{id}");

    view! {
        <li class="conversation-item" class:active=is_active data-testid="conversation-item">
            <Show
                when=move || editing.get()
                fallback=move || {
                    view! {
                        <a class="conversation-link" href=href.clone() title=title.clone()>
                            {title.clone()}
                        </a>
                        <span class="item-actions">
                            {(!archived).then(|| {
                                let pin_id = pin_id.clone();
                                let label = if pinned { "Unpin" } else { "Pin" };
                                view! {
                                    <button
                                        type="button"
                                        class="icon-button"
                                        title=label
                                        aria-label=label
                                        data-testid="pin-conversation"
                                        disabled=move || !hydrated.get() || pin.pending().get()
                                        on:click=move |_| {
                                            pin.dispatch((pin_id.clone(), !pinned));
                                        }
                                    >
                                        {if pinned { "★" } else { "☆" }}
                                    </button>
                                }
                            })}
                            <button
                                type="button"
                                class="icon-button"
                                title=if archived { "Unarchive" } else { "Archive" }
                                aria-label=if archived { "Unarchive" } else { "Archive" }
                                data-testid="archive-conversation"
                                disabled=move || !hydrated.get() || archive.pending().get()
                                on:click={
                                    let archive_id = archive_id.clone();
                                    move |_| {
                                        archive.dispatch((archive_id.clone(), !archived));
                                    }
                                }
                            >
                                {if archived { "⤒" } else { "⤓" }}
                            </button>
                            <button
                                type="button"
                                class="icon-button"
                                title="Rename"
                                aria-label="Rename"
                                data-testid="rename-conversation"
                                disabled=move || !hydrated.get()
                                on:click=move |_| editing.set(true)
                            >
                                "✎"
                            </button>
                            <button
                                type="button"
                                class="icon-button"
                                title="Delete"
                                aria-label="Delete"
                                data-testid="delete-conversation"
                                disabled=move || !hydrated.get() || delete.pending().get()
                                on:click=on_delete.clone()
                            >
                                "✕"
                            </button>
                        </span>
                    }
                }
            >
                <input
                    class="rename-input"
                    aria-label="New title"
                    data-testid="rename-input"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=on_keydown.clone()
                />
                <span class="item-actions">
                    <button type="button" class="icon-button" title="Save" on:click={
                        let save = save.clone();
                        move |_| save()
                    }>
                        "✓"
                    </button>
                    <button
                        type="button"
                        class="icon-button"
                        title="Cancel"
                        on:click=move |_| editing.set(false)
                    >
                        "✕"
                    </button>
                </span>
            </Show>
            {move || problem.get().map(|p| view! { <p class="field-error">{p}</p> })}
        </li>
    }
}
