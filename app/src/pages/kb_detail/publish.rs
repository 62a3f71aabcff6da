//! Publishing for the website widget: on or off, the origins allowed to embed it, and the
//! snippet to paste into those sites.

use leptos::prelude::*;

use crate::{
    api::kb::access::publish_kb,
    components::{field_error, top_error, use_hydrated},
    dto::PublicationDto,
};

#[component]
pub fn Publish(kb_id: String, public_id: Option<String>, allowed_origins: Vec<String>) -> impl IntoView {
    let hydrated = use_hydrated();
    let published = RwSignal::new(public_id.is_some());
    let origins = RwSignal::new(allowed_origins.join("\n"));
    let current = RwSignal::new(PublicationDto { public_id, allowed_origins });
    let save = Action::new(move |(on, origins): &(bool, String)| {
        let list = origins.lines().map(str::trim).filter(|o| !o.is_empty()).map(String::from).collect();
        publish_kb(kb_id.clone(), *on, list)
    });
    Effect::new(move |_| {
        if let Some(Ok(p)) = save.value().get() {
            origins.set(p.allowed_origins.join("\n"));
            published.set(p.public_id.is_some());
            current.set(p);
        }
    });
    // Where this server is, as the browser sees it (empty while rendering on the server).
    let origin = RwSignal::new(String::new());
    Effect::new(move |_| origin.set(window().location().origin().unwrap_or_default()));
    let snippet = move || {
        current.with(|p| {
            p.public_id
                .as_ref()
                .map(|id| format!(r#"<script src="{}/widget.js" data-kb="{id}"></script>"#, origin.get()))
        })
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch((published.get_untracked(), origins.get_untracked()));
    };
    view! {
        <section class="card">
            <h2>"Website widget"</h2>
            <p class="muted">"Publish to let visitors of your sites ask questions answered from this knowledge base."</p>
            <form method="post" on:submit=on_submit novalidate>
                <fieldset disabled=move || !hydrated.get() || save.pending().get()>
                    <label class="checkbox">
                        <input
                            type="checkbox"
                            data-testid="publish-toggle"
                            prop:checked=move || published.get()
                            on:change=move |ev| published.set(event_target_checked(&ev))
                        />
                        " Published"
                    </label>
                    <div class="field">
                        <label for="publish-origins">"Allowed origins (one per line)"</label>
                        <textarea
                            id="publish-origins"
                            data-testid="publish-origins"
                            rows="3"
                            placeholder="https://www.example.com"
                            prop:value=move || origins.get()
                            on:input=move |ev| origins.set(event_target_value(&ev))
                        ></textarea>
                        {move || {
                            field_error(save.value().get(), "allowed_origins")
                                .map(|m| view! { <p class="field-error">{m}</p> })
                        }}
                    </div>
                    <button type="submit" class="button primary" data-testid="publish-save">
                        "Save"
                    </button>
                </fieldset>
            </form>
            {move || {
                top_error(save.value().get(), &["allowed_origins"])
                    .map(|e| view! { <p class="form-error" role="alert">{e}</p> })
            }}
            {move || {
                snippet()
                    .map(|code| {
                        view! {
                            <div class="secret-box">
                                <p>"Paste this into the pages of the allowed sites:"</p>
                                <textarea class="snippet" readonly rows="2" data-testid="embed-snippet" prop:value=code></textarea>
                            </div>
                        }
                    })
            }}
        </section>
    }
}
