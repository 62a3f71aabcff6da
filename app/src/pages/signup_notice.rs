//! The sign-up page's answer when the new account must wait for an administrator's approval.

use leptos::prelude::*;

use crate::dto::Registered;

#[component]
pub fn AwaitingApproval(#[prop(into)] registered: Signal<Option<Registered>>) -> impl IntoView {
    move || {
        registered.get().filter(|r| r.awaiting_approval).map(|r| {
            view! {
                <p class="notice" role="status" data-testid="awaiting-approval">
                    "Your account " <strong>{r.user.email}</strong>
                    " was created. An administrator must approve it before you can log in; "
                    "try logging in again later."
                </p>
            }
        })
    }
}
