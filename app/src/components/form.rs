//! Form pieces: labelled fields with their error beside them, the password meter, the top banner.

use leptos::prelude::*;
use webplus::domain::password_strength;

use crate::error::AppError;

/// The server's verdict about `field`, if the last answer was about it.
pub fn field_error<T>(last: Option<Result<T, AppError>>, field: &str) -> Option<String> {
    match last {
        Some(Err(e)) if e.field() == Some(field) => Some(e.to_string()),
        _ => None,
    }
}

/// The server's verdict when no field of this form shows it.
pub fn top_error<T>(last: Option<Result<T, AppError>>, fields: &[&str]) -> Option<String> {
    match last {
        Some(Err(e)) if e.field().is_none_or(|f| !fields.contains(&f)) => Some(e.to_string()),
        _ => None,
    }
}

/// A message under a field (empty when there is nothing to say).
#[component]
pub fn FieldError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || message.get().map(|m| view! { <p class="field-error" aria-live="polite">{m}</p> })
}

/// The form-wide error (`form-error`): wrong credentials, rate limits, server trouble.
#[component]
pub fn ErrorBanner(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|m| {
            view! { <p class="form-error" role="alert" data-testid="form-error">{m}</p> }
        })
    }
}

/// A labelled input bound to `value`.
///
/// `check` is the browser's own validation, shown once the field was left or the form submitted;
/// `server` is the server's verdict about this field, shown until the next answer.
#[component]
pub fn TextField(
    label: &'static str,
    /// Also the input's id.
    testid: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(into, optional)] check: Signal<Option<String>>,
    #[prop(into, optional)] server: Signal<Option<String>>,
    #[prop(into, optional)] submitted: Signal<bool>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let touched = RwSignal::new(false);
    let message = Signal::derive(move || {
        let own = if touched.get() || submitted.get() { check.get() } else { None };
        own.or_else(|| server.get())
    });
    view! {
        <div class="field">
            <label for=testid>{label}</label>
            <input
                id=testid
                name=testid
                type=kind
                data-testid=testid
                autocomplete=autocomplete
                aria-invalid=move || message.with(Option::is_some).to_string()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                on:blur=move |_| touched.set(true)
            />
            {children.map(|c| c())}
            <FieldError message/>
        </div>
    }
}

/// The live strength of `password`: a `<meter>` scored 0–4 (`strength`) and its label.
#[component]
pub fn PasswordMeter(#[prop(into)] password: Signal<String>) -> impl IntoView {
    let strength = Memo::new(move |_| password_strength(&password.get()));
    let label = move || {
        if password.with(String::is_empty) { String::new() } else { strength.get().label().to_string() }
    };
    view! {
        <div class="strength">
            <meter
                data-testid="strength"
                aria-label="Password strength"
                min="0"
                max="4"
                low="2"
                high="3"
                optimum="4"
                value=move || strength.get().score.to_string()
            ></meter>
            <span class="strength-label" aria-live="polite">{label}</span>
        </div>
    }
}
