//! The API keys section of `/settings`: list, create (secret shown once), revoke.

use leptos::prelude::*;
use webplus::domain::ApiKeyName;

use crate::{
    api::keys::{create_api_key, revoke_api_key},
    components::{TextField, field_error, format_time, top_error, use_hydrated},
    dto::{ApiKeyDto, CreatedApiKey},
    error::AppError,
};

#[component]
pub fn ApiKeys(
    /// The user's keys (created by the page; reloaded here after a create or revoke).
    keys: Resource<Result<Vec<ApiKeyDto>, AppError>>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let name = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let create = Action::new(|name: &String| create_api_key(name.clone()));
    let revoke = Action::new(|id: &String| revoke_api_key(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            submitted.set(false);
            keys.refetch();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.value().get() {
            keys.refetch();
        }
    });

    let name_check = Signal::derive(move || ApiKeyName::parse(&name.get()).err().map(|e| e.reason));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        if name_check.get_untracked().is_none() {
            create.dispatch(name.get_untracked());
        }
    };
    let on_revoke = Callback::new(move |key: ApiKeyDto| {
        let question = format!("Revoke the key “{}”? Programs using it will stop working.", key.name);
        if window().confirm_with_message(&question).unwrap_or(false) {
            revoke.dispatch(key.id);
        }
    });

    let rows = move || {
        Suspend::new(async move {
            keys.await.map(|list| {
                if list.is_empty() {
                    return view! { <p class="muted">"You have no API keys yet."</p> }.into_any();
                }
                view! {
                    <table class="table">
                        <thead>
                            <tr>
                                <th>"Name"</th>
                                <th>"Key"</th>
                                <th>"Created"</th>
                                <th>"Last used"</th>
                                <th>"Status"</th>
                                <th></th>
                            </tr>
                        </thead>
                        // An explicit <tbody>: browsers insert one, and hydration must find it.
                        <tbody>
                            {list
                                .into_iter()
                                .map(|k| view! { <KeyRow key=k on_revoke/> })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            })
        })
    };

    view! {
        <section class="card">
            <h2>"API keys"</h2>
            <p class="muted">
                "Programs use an API key to call Web+ in your name, as a bearer token."
            </p>
            <form class="inline-form" method="post" on:submit=on_submit novalidate>
                <fieldset disabled=move || !hydrated.get() || create.pending().get()>
                    <TextField
                        label="New key name"
                        testid="api-key-name"
                        value=name
                        check=name_check
                        server=Signal::derive(move || field_error(create.value().get(), "name"))
                        submitted
                    />
                    <button type="submit" class="button primary" data-testid="create-api-key">
                        "Create key"
                    </button>
                </fieldset>
            </form>
            {move || top_error(create.value().get(), &["name"])
                .or_else(|| top_error(revoke.value().get(), &[]))
                .map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {move || create.value().get().and_then(Result::ok).map(|created| view! { <NewSecret created/> })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                <ErrorBoundary fallback=|_| view! { <p class="form-error">"Could not load your keys."</p> }>
                    {rows}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn KeyRow(key: ApiKeyDto, on_revoke: Callback<ApiKeyDto>) -> impl IntoView {
    let last_used = key.last_used_at.map(format_time).unwrap_or_else(|| "never".into());
    let status = if key.revoked { "revoked" } else { "active" };
    let revoked = key.revoked;
    let k = key.clone();
    view! {
        <tr data-testid="api-key-row" class:revoked=revoked>
            <td>{key.name}</td>
            <td>
                <code>{format!("{}…", key.prefix)}</code>
            </td>
            <td>{format_time(key.created_at)}</td>
            <td>{last_used}</td>
            <td>
                <span class=format!("pill pill-{status}")>{status}</span>
            </td>
            <td>
                {(!revoked)
                    .then(|| {
                        let k = k.clone();
                        view! {
                            <button
                                type="button"
                                class="button danger small"
                                data-testid="revoke-api-key"
                                on:click=move |_| on_revoke.run(k.clone())
                            >
                                "Revoke"
                            </button>
                        }
                    })}
            </td>
        </tr>
    }
}

/// The secret of a key just created: shown this once, never again.
#[component]
fn NewSecret(created: CreatedApiKey) -> impl IntoView {
    let copied = RwSignal::new(false);
    let secret = created.secret.clone();
    let copy = move |_| {
        let _ = window().navigator().clipboard().write_text(&secret);
        copied.set(true);
    };
    view! {
        <div class="secret-box" role="status">
            <p>
                <strong>"Copy your new key “" {created.key.name} "” now."</strong>
                " It won't be shown again."
            </p>
            <div class="secret-row">
                <input
                    type="text"
                    readonly
                    aria-label="New API key"
                    data-testid="api-key-secret"
                    value=created.secret
                    on:focus=|ev| {
                        use wasm_bindgen::JsCast;
                        if let Some(input) = ev
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                        {
                            input.select();
                        }
                    }
                />
                <button type="button" class="button" on:click=copy>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}
