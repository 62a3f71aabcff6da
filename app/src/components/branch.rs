//! Branch controls under a message: the ‹ 2/3 › switcher between siblings, editing one of the
//! user's messages (a new branch from that point) and regenerating a reply (a sibling reply,
//! optionally from another model). The conversation page provides what they do.

use std::sync::Arc;

use leptos::{ev::KeyboardEvent, prelude::*};
use webplus::domain::MessageContent;

use crate::{api::chat::list_models, dto::ModelDto};

/// What the branch controls do, provided by the conversation page.
#[derive(Clone, Copy)]
pub struct BranchActions {
    /// `(message id, new text)`: ask the edited question beside the original.
    pub edit: Callback<(String, String)>,
    /// `(reply id, model)`: answer its question again (None: the conversation's model).
    pub regenerate: Callback<(String, Option<String>)>,
    /// Show the branch through this message.
    pub switch: Callback<String>,
    /// False before hydration, while a reply is written and while an action is on its way.
    pub ready: Signal<bool>,
    /// A message to open for editing (↑ in the empty composer), taken by that message's view.
    pub edit_request: RwSignal<Option<String>>,
    /// An edit the server refused `(message id, the text sent)`: its box opens again with that
    /// text, so nothing typed is lost.
    pub edit_failed: RwSignal<Option<(String, String)>>,
}

/// ‹ 2/3 ›: which of its siblings this message is; the arrows show the one before or after.
#[component]
pub fn Switcher(id: String, siblings: Arc<Vec<String>>) -> impl IntoView {
    let actions = expect_context::<BranchActions>();
    let at = siblings.iter().position(|s| *s == id).unwrap_or(0);
    let (prev, next) = (at.checked_sub(1).map(|i| siblings[i].clone()), siblings.get(at + 1).cloned());
    let (has_prev, has_next) = (prev.is_some(), next.is_some());
    let go = move |target: Option<String>| {
        move |_| {
            if let Some(t) = target.clone() {
                actions.switch.run(t);
            }
        }
    };
    view! {
        <span class="branch-switcher" data-testid="branch-switcher">
            <button
                type="button"
                class="icon-button"
                aria-label="Previous version"
                disabled=move || !has_prev || !actions.ready.get()
                on:click=go(prev)
            >
                "‹"
            </button>
            <span data-testid="branch-position">{format!("{}/{}", at + 1, siblings.len())}</span>
            <button
                type="button"
                class="icon-button"
                aria-label="Next version"
                disabled=move || !has_next || !actions.ready.get()
                on:click=go(next)
            >
                "›"
            </button>
        </span>
    }
}

/// The user's message as a text box: Enter (or "Save and send") asks it as a new branch, Esc
/// cancels. It opens with `draft` if one is set (an edit that failed), else `original`.
#[component]
pub fn EditBox(
    id: String,
    original: String,
    draft: RwSignal<Option<String>>,
    editing: RwSignal<bool>,
) -> impl IntoView {
    let actions = expect_context::<BranchActions>();
    let text = RwSignal::new(draft.try_update_untracked(Option::take).flatten().unwrap_or(original));
    let check = RwSignal::new(None::<String>);
    let area = NodeRef::<leptos::html::Textarea>::new();
    // Opened to be typed in: the cursor at the end of the text.
    Effect::new(move |_| {
        if let Some(el) = area.get() {
            let _ = el.focus();
            let end = el.value().encode_utf16().count() as u32;
            let _ = el.set_selection_range(end, end);
        }
    });
    let save = move || {
        let t = text.get_untracked();
        match MessageContent::parse(&t) {
            Ok(_) => {
                editing.set(false);
                actions.edit.run((id.clone(), t));
            }
            Err(e) => check.set(Some(e.reason)),
        }
    };
    let save_on_enter = save.clone();
    view! {
        <form
            class="edit-box"
            on:submit=move |ev| {
                ev.prevent_default();
                save();
            }
        >
            {move || check.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <textarea
                data-testid="edit-message"
                aria-label="Edit message"
                rows="3"
                node_ref=area
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=move |ev: KeyboardEvent| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        save_on_enter();
                    } else if ev.key() == "Escape" {
                        // Used here: the page does not also stop a reply.
                        ev.prevent_default();
                        editing.set(false);
                    }
                }
            ></textarea>
            <div class="edit-bar">
                <button type="button" class="button" on:click=move |_| editing.set(false)>
                    "Cancel"
                </button>
                <button type="submit" class="button primary" data-testid="save-edit" disabled=move || !actions.ready.get()>
                    "Save and send"
                </button>
            </div>
        </form>
    }
}

/// Regenerate, and a menu to regenerate with another model (its list is fetched when opened).
#[component]
pub fn RegenerateButtons(id: String) -> impl IntoView {
    let actions = expect_context::<BranchActions>();
    let open = RwSignal::new(false);
    let models = Action::new(|_: &()| list_models());
    let again = id.clone();
    let pick = move |model: String| {
        open.set(false);
        actions.regenerate.run((id.clone(), Some(model)));
    };
    let menu = move || {
        let pick = pick.clone();
        open.get().then(|| match models.value().get() {
            None => view! { <p class="muted">"Loading models…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
            Some(Ok(list)) => view! {
                <ul class="model-menu" role="menu" data-testid="regenerate-models">
                    {list
                        .into_iter()
                        .map(|m: ModelDto| {
                            let pick = pick.clone();
                            let id = m.id.clone();
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        role="menuitem"
                                        data-model=id.clone()
                                        on:click=move |_| pick(id.clone())
                                    >
                                        {m.name}
                                    </button>
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
        <button
            type="button"
            class="link-button"
            data-testid="regenerate"
            disabled=move || !actions.ready.get()
            on:click=move |_| actions.regenerate.run((again.clone(), None))
        >
            "Regenerate"
        </button>
        <button
            type="button"
            class="link-button"
            data-testid="regenerate-with"
            aria-expanded=move || open.get().to_string()
            disabled=move || !actions.ready.get()
            on:click=move |_| {
                if models.value().with_untracked(Option::is_none) {
                    models.dispatch(());
                }
                open.update(|o| *o = !*o);
            }
        >
            "With another model…"
        </button>
        {menu}
    }
}
