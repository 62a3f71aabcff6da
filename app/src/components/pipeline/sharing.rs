//! The builder's "Sharing" tab (its owner only): the users the pipeline is shared with, sharing it
//! with another by email (view or run), changing or stopping a share.

use leptos::prelude::*;

use crate::{
    api::pipelines::{pipeline_shares, share_pipeline, unshare_pipeline},
    components::use_hydrated,
    dto::PipelineShareDto,
};

/// Only ever shown after a click, so read in the browser.
#[component]
pub fn SharingPanel(id: String) -> impl IntoView {
    let hydrated = use_hydrated();
    let id = StoredValue::new(id);
    let shares = RwSignal::new(None::<Vec<PipelineShareDto>>);
    let error = RwSignal::new(None::<String>);
    let loaded = LocalResource::new(move || pipeline_shares(id.get_value()));
    Effect::new(move |_| match loaded.get() {
        Some(Ok(list)) => shares.set(Some(list)),
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let email = RwSignal::new(String::new());
    let access = RwSignal::new("run".to_owned());
    let share = Action::new(move |(email, access): &(String, String)| {
        share_pipeline(id.get_value(), email.clone(), access.clone())
    });
    Effect::new(move |_| match share.value().get() {
        Some(Ok(list)) => {
            shares.set(Some(list));
            email.set(String::new());
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let unshare = Action::new(move |user_id: &String| {
        let user_id = user_id.clone();
        async move { unshare_pipeline(id.get_value(), user_id.clone()).await.map(|()| user_id) }
    });
    Effect::new(move |_| match unshare.value().get() {
        Some(Ok(gone)) => {
            shares.update(|s| {
                if let Some(list) = s {
                    list.retain(|x| x.user_id != gone);
                }
            });
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        share.dispatch((email.get_untracked(), access.get_untracked()));
    };
    let list = move || {
        shares.get().map(|list| {
            if list.is_empty() {
                return view! { <p class="muted" data-testid="no-shares">"Shared with no one."</p> }.into_any();
            }
            view! {
                <ul class="shares" data-testid="shares">
                    {list
                        .into_iter()
                        .map(|s| {
                            let user_id = s.user_id.clone();
                            let email_again = s.email.clone();
                            let other = if s.access == "run" { "view" } else { "run" };
                            view! {
                                <li data-testid="share">
                                    <span class="share-email">{s.email.clone()}</span>
                                    <span class="pill">{if s.access == "run" { "can run" } else { "view only" }}</span>
                                    <button
                                        type="button"
                                        class="button small"
                                        disabled=move || share.pending().get()
                                        on:click=move |_| {
                                            share.dispatch((email_again.clone(), other.to_owned()));
                                        }
                                    >
                                        {if other == "run" { "Let run" } else { "Make view only" }}
                                    </button>
                                    <button
                                        type="button"
                                        class="button small danger"
                                        data-testid="unshare"
                                        disabled=move || unshare.pending().get()
                                        on:click=move |_| {
                                            unshare.dispatch(user_id.clone());
                                        }
                                    >
                                        "Stop sharing"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
            .into_any()
        })
    };
    view! {
        <section class="settings" data-testid="sharing">
            <h2>"Sharing"</h2>
            <p class="muted">
                "People you share with see this pipeline read-only. With \u{201c}can run\u{201d} they can also run \
                 it, on their own models and knowledge bases; only you can change it."
            </p>
            {list}
            <form class="share-form" on:submit=submit>
                <label class="field">
                    <span>"Email"</span>
                    <input type="email" required data-testid="share-email" bind:value=email/>
                </label>
                <label class="field">
                    <span>"They may"</span>
                    <select data-testid="share-access" on:change=move |e| access.set(event_target_value(&e))>
                        <option value="run">"view and run"</option>
                        <option value="view">"view only"</option>
                    </select>
                </label>
                <button
                    type="submit"
                    class="button primary"
                    data-testid="share-submit"
                    disabled=move || !hydrated.get() || share.pending().get()
                >
                    "Share"
                </button>
            </form>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert" data-testid="share-error">{e}</p> })}
        </section>
    }
}
