//! `/login`: email and password.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use webplus::domain::Email;

use crate::{
    api::auth::login,
    components::{ErrorBanner, TextField, field_error, top_error, use_hydrated},
};

const FIELDS: &[&str] = &["email", "password"];

#[component]
pub fn LoginPage() -> impl IntoView {
    let hydrated = use_hydrated();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let action = Action::new(|(e, p): &(String, String)| login(e.clone(), p.clone()));

    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            navigate("/", Default::default());
        }
    });

    let email_check = Signal::derive(move || Email::parse(&email.get()).err().map(|e| e.reason));
    let password_check =
        Signal::derive(move || password.with(String::is_empty).then(|| "enter your password".to_string()));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        if email_check.get_untracked().is_none() && password_check.get_untracked().is_none() {
            action.dispatch((email.get_untracked(), password.get_untracked()));
        }
    };

    view! {
        <Title text="Log in · Web+"/>
        <main class="auth-page">
            <form class="card auth-card" method="post" on:submit=on_submit novalidate>
                <h1>"Log in to Web+"</h1>
                <ErrorBanner message=Signal::derive(move || top_error(action.value().get(), FIELDS))/>
                <fieldset disabled=move || !hydrated.get() || action.pending().get()>
                    <TextField
                        label="Email"
                        testid="email"
                        kind="email"
                        autocomplete="username"
                        value=email
                        check=email_check
                        server=Signal::derive(move || field_error(action.value().get(), "email"))
                        submitted
                    />
                    <TextField
                        label="Password"
                        testid="password"
                        kind="password"
                        autocomplete="current-password"
                        value=password
                        check=password_check
                        server=Signal::derive(move || field_error(action.value().get(), "password"))
                        submitted
                    />
                    <button type="submit" class="button primary wide" data-testid="submit">
                        {move || if action.pending().get() { "Logging in…" } else { "Log in" }}
                    </button>
                </fieldset>
                <p class="muted">"No account yet? " <a href="/register">"Create one"</a></p>
            </form>
        </main>
    }
}
