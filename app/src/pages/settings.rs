//! `/settings`: change password, manage API keys, import conversations.

use leptos::prelude::*;
use leptos_meta::Title;
use webplus::domain::Password;

use super::{api_keys::ApiKeys, import_conversations::ImportConversations};
use crate::{
    api::{auth::change_password, keys::list_api_keys},
    components::{
        ErrorBanner, PasswordMeter, TextField, current_user_resource, field_error, logged_in, top_error, use_hydrated,
    },
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    // Resources are created here, not under the gate's `Suspense` (see `logged_in`).
    let me = current_user_resource();
    let keys = Resource::new(|| (), |_| list_api_keys());
    logged_in(me, move |user| {
        view! {
            <Title text="Settings · Web+"/>
            <main class="page">
                <nav class="page-nav">
                    <a href="/">"← Back to chats"</a>
                </nav>
                <h1>"Settings"</h1>
                <p class="muted">"Logged in as " {user.email}</p>
                <ChangePassword/>
                <ApiKeys keys/>
                <ImportConversations/>
            </main>
        }
    })
}

/// The server names the fields `current_password` and `password` (the new one).
const FIELDS: &[&str] = &["current_password", "password"];

#[component]
fn ChangePassword() -> impl IntoView {
    let hydrated = use_hydrated();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let action = Action::new(|(c, n): &(String, String)| change_password(c.clone(), n.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            current.set(String::new());
            new.set(String::new());
            confirm.set(String::new());
            submitted.set(false);
        }
    });

    let current_check =
        Signal::derive(move || current.with(String::is_empty).then(|| "enter your current password".to_string()));
    let new_check = Signal::derive(move || Password::parse(&new.get()).err().map(|e| e.reason));
    let confirm_check =
        Signal::derive(move || (new.get() != confirm.get()).then(|| "the passwords do not match".to_string()));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let valid = current_check.get_untracked().is_none()
            && new_check.get_untracked().is_none()
            && confirm_check.get_untracked().is_none();
        if valid {
            action.dispatch((current.get_untracked(), new.get_untracked()));
        }
    };

    view! {
        <section class="card">
            <h2>"Change password"</h2>
            <form method="post" on:submit=on_submit novalidate>
                <ErrorBanner message=Signal::derive(move || top_error(action.value().get(), FIELDS))/>
                {move || {
                    matches!(action.value().get(), Some(Ok(())))
                        .then(|| {
                            view! {
                                <p class="notice" role="status">
                                    "Password changed. Your other sessions were logged out."
                                </p>
                            }
                        })
                }}
                <fieldset disabled=move || !hydrated.get() || action.pending().get()>
                    <TextField
                        label="Current password"
                        testid="current-password"
                        kind="password"
                        autocomplete="current-password"
                        value=current
                        check=current_check
                        server=Signal::derive(move || {
                            field_error(action.value().get(), "current_password")
                        })
                        submitted
                    />
                    <TextField
                        label="New password"
                        testid="new-password"
                        kind="password"
                        autocomplete="new-password"
                        value=new
                        check=new_check
                        server=Signal::derive(move || field_error(action.value().get(), "password"))
                        submitted
                    >
                        <PasswordMeter password=new/>
                    </TextField>
                    <TextField
                        label="Confirm new password"
                        testid="new-password-confirm"
                        kind="password"
                        autocomplete="new-password"
                        value=confirm
                        check=confirm_check
                        submitted
                    />
                    <button type="submit" class="button primary" data-testid="change-password">
                        "Change password"
                    </button>
                </fieldset>
            </form>
        </section>
    }
}
