//! One component per route.

use leptos::prelude::*;

#[component]
pub fn ChatPage() -> impl IntoView {
    view! { <main><h1>"Web+"</h1></main> }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    view! { <main><h1>"Log in"</h1></main> }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! { <main><h1>"Create account"</h1></main> }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! { <main><h1>"Settings"</h1></main> }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    view! { <main><h1>"Admin"</h1></main> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! { <main><h1>"Page not found"</h1></main> }
}
