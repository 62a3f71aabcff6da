//! `/register`: email, password with a strength meter, confirmation.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use webplus::domain::{Email, Password};

use super::signup_notice::AwaitingApproval;
use crate::{
    api::auth::register,
    components::{ErrorBanner, PasswordMeter, TextField, field_error, top_error, use_hydrated},
};

const FIELDS: &[&str] = &["email", "password"];

#[component]
pub fn RegisterPage() -> impl IntoView {
    let hydrated = use_hydrated();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let action = Action::new(|(e, p): &(String, String)| register(e.clone(), p.clone()));

    let navigate = use_navigate();
    Effect::new(move |_| {
        // An account that awaits approval has no session: it stays here and is told so.
        if let Some(Ok(r)) = action.value().get()
            && !r.awaiting_approval
        {
            navigate("/", Default::default());
        }
    });

    // The same checks the server runs.
    let email_check = Signal::derive(move || Email::parse(&email.get()).err().map(|e| e.reason));
    let password_check = Signal::derive(move || Password::parse(&password.get()).err().map(|e| e.reason));
    let confirm_check =
        Signal::derive(move || (password.get() != confirm.get()).then(|| "the passwords do not match".to_string()));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let valid = email_check.get_untracked().is_none()
            && password_check.get_untracked().is_none()
            && confirm_check.get_untracked().is_none();
        if valid {
            action.dispatch((email.get_untracked(), password.get_untracked()));
        }
    };

    view! {
        <Title text="Create account · Web+"/>
        <main class="auth-page">
            <form class="card auth-card" method="post" on:submit=on_submit novalidate>
                <h1>"Create your account"</h1>
                <ErrorBanner message=Signal::derive(move || top_error(action.value().get(), FIELDS))/>
                <AwaitingApproval registered=Signal::derive(move || action.value().get().and_then(Result::ok))/>
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
                        autocomplete="new-password"
                        value=password
                        check=password_check
                        server=Signal::derive(move || field_error(action.value().get(), "password"))
                        submitted
                    >
                        <PasswordMeter password=password/>
                    </TextField>
                    <TextField
                        label="Confirm password"
                        testid="password-confirm"
                        kind="password"
                        autocomplete="new-password"
                        value=confirm
                        check=confirm_check
                        submitted
                    />
                    <button type="submit" class="button primary wide" data-testid="submit">
                        {move || {
                            if action.pending().get() { "Creating account…" } else { "Create account" }
                        }}
                    </button>
                </fieldset>
                <p class="muted">"Already registered? " <a href="/login">"Log in"</a></p>
            </form>
        </main>
    }
}
