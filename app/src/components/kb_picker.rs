//! Which knowledge bases a conversation answers from: a checkbox per knowledge base the user can
//! read. In a conversation each change is saved at once; on a new chat the choice is kept until
//! the conversation is created.

use leptos::prelude::*;

use super::{ChatCtx, use_hydrated};
use crate::api::kb::access::attach_kbs;

#[component]
pub fn KbPicker(
    /// The conversation to attach to; None on a new chat.
    #[prop(optional)]
    conversation_id: Option<String>,
    /// The ids checked (the caller starts it with the conversation's attached knowledge bases).
    selected: RwSignal<Vec<String>>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    // The list comes from the chat route: a resource created here would be created again each
    // time server rendering walks the conversation's `Suspense` (see `logged_in`).
    let data = expect_context::<ChatCtx>().kbs;
    let save = Action::new(move |ids: &Vec<String>| {
        let (conv, ids) = (conversation_id.clone(), ids.clone());
        async move {
            match conv {
                Some(c) => attach_kbs(c, ids).await.map(Some),
                None => Ok(None),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(Some(ids))) = save.value().get() {
            selected.set(ids);
        }
    });
    let toggle = move |id: String, on: bool| {
        selected.update(|s| {
            s.retain(|x| *x != id);
            if on {
                s.push(id);
            }
        });
        save.dispatch(selected.get_untracked());
    };

    let options = move || {
        Suspend::new(async move {
            let kbs = match data.await {
                Ok(kbs) => kbs,
                Err(e) => return view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
            };
            if kbs.is_empty() {
                return view! {
                    <p class="muted">"No knowledge bases yet. " <a href="/kb">"Create one"</a></p>
                }
                .into_any();
            }
            kbs.into_iter()
                .map(|kb| {
                    let id = kb.id.clone();
                    let checked_id = kb.id.clone();
                    view! {
                        <label class="kb-option">
                            <input
                                type="checkbox"
                                data-testid="kb-option"
                                data-kb-id=kb.id.clone()
                                disabled=move || !hydrated.get() || save.pending().get()
                                prop:checked=move || selected.with(|s| s.contains(&checked_id))
                                on:change=move |ev| toggle(id.clone(), event_target_checked(&ev))
                            />
                            " "
                            {kb.name}
                        </label>
                    }
                })
                .collect_view()
                .into_any()
        })
    };
    view! {
        <details class="kb-picker" data-testid="kb-picker">
            <summary data-testid="kb-picker-toggle">
                {move || match selected.with(Vec::len) {
                    0 => "Knowledge: none".to_string(),
                    n => format!("Knowledge: {n}"),
                }}
            </summary>
            <div class="kb-picker-menu">
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>{options}</Suspense>
                {move || {
                    save.value().get().and_then(Result::err)
                        .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
                }}
            </div>
        </details>
    }
}
