//! Any path no route matches.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · Web+"/>
        <main class="centered">
            <div class="card">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address."</p>
                <a class="button primary" href="/">"Back to your chats"</a>
            </div>
        </main>
    }
}
