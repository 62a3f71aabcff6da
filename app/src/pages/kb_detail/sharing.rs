//! Sharing read-only with other users, by the email they registered with.

use leptos::prelude::*;
use webplus::domain::Email;

use crate::{
    api::kb::access::{share_kb, unshare_kb},
    components::{TextField, field_error, top_error, use_hydrated},
};

#[component]
pub fn Sharing(
    kb_id: String,
    /// The emails it is shared with when the page loaded; share and unshare answer the new list.
    shares: Vec<String>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let email = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let id = kb_id.clone();
    let share = Action::new(move |e: &String| share_kb(id.clone(), e.clone()));
    let unshare = Action::new(move |e: &String| unshare_kb(kb_id.clone(), e.clone()));
    let shares = RwSignal::new(shares);
    Effect::new(move |_| {
        if let Some(Ok(list)) = share.value().get() {
            shares.set(list);
            email.set(String::new());
            submitted.set(false);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(list)) = unshare.value().get() {
            shares.set(list);
        }
    });
    let check = Signal::derive(move || Email::parse(&email.get()).err().map(|e| e.reason));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        if check.get_untracked().is_none() {
            share.dispatch(email.get_untracked());
        }
    };
    let list = move || {
        let emails = shares.get();
        if emails.is_empty() {
            return view! { <p class="muted">"Not shared with anyone."</p> }.into_any();
        }
        view! {
            <ul class="share-list" data-testid="shares">
                {emails
                    .into_iter()
                    .map(|e| {
                        let who = e.clone();
                        view! {
                            <li data-testid="share-row">
                                <span>{e}</span>
                                <button
                                    type="button"
                                    class="button ghost small"
                                    data-testid="share-remove"
                                    disabled=move || !hydrated.get()
                                    on:click=move |_| {
                                        unshare.dispatch(who.clone());
                                    }
                                >
                                    "Remove"
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="card">
            <h2>"Sharing"</h2>
            <p class="muted">"People you share with can search it and attach it to their conversations."</p>
            <form class="inline-form" method="post" on:submit=on_submit novalidate>
                <fieldset disabled=move || !hydrated.get() || share.pending().get()>
                    <TextField
                        label="Share with (email)"
                        testid="share-email"
                        kind="email"
                        value=email
                        check
                        server=Signal::derive(move || field_error(share.value().get(), "email"))
                        submitted
                    />
                    <button type="submit" class="button primary" data-testid="share-add">
                        "Share"
                    </button>
                </fieldset>
            </form>
            {move || {
                top_error(share.value().get(), &["email"])
                    .or_else(|| top_error(unshare.value().get(), &[]))
                    .map(|e| view! { <p class="form-error" role="alert">{e}</p> })
            }}
            {list}
        </section>
    }
}
