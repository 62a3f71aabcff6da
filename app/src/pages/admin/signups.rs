//! `/admin`, sign-ups: the sign-up mode with a control to change it, and the accounts waiting for
//! approval, each with an Approve button.

use leptos::prelude::*;
use webplus::domain::SignupMode;

use crate::{
    api::signups::{approve_user, get_signup_mode, list_pending_users, set_signup_mode},
    components::{format_time, top_error, use_hydrated},
    dto::AdminUserDto,
    error::AppError,
};

/// The section's data and actions (see `AdminData`). Refetched after each action.
#[derive(Clone, Copy)]
pub struct SignupsData {
    pub mode: Resource<Result<SignupMode, AppError>>,
    pub pending: Resource<Result<Vec<AdminUserDto>, AppError>>,
    set_mode: Action<SignupMode, Result<(), AppError>>,
    pub approve: Action<String, Result<(), AppError>>,
}

impl SignupsData {
    pub fn new() -> Self {
        let mode = Resource::new(|| (), |_| get_signup_mode());
        let pending = Resource::new(|| (), |_| list_pending_users());
        let set_mode = Action::new(|m: &SignupMode| set_signup_mode(*m));
        let approve = Action::new(|id: &String| approve_user(id.clone()));
        Effect::watch(move || set_mode.version().get(), move |_, _, _| mode.refetch(), false);
        Effect::watch(move || approve.version().get(), move |_, _, _| pending.refetch(), false);
        Self { mode, pending, set_mode, approve }
    }
}

fn label(m: SignupMode) -> &'static str {
    match m {
        SignupMode::Open => "Open",
        SignupMode::Approval => "Approval required",
        SignupMode::Closed => "Closed",
    }
}

#[component]
pub fn Signups(
    mode: Result<SignupMode, AppError>,
    pending: Result<Vec<AdminUserDto>, AppError>,
    data: SignupsData,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let SignupsData { set_mode, approve, .. } = data;

    let mode = match mode {
        Ok(current) => view! {
            <label class="field">
                <span>"Who can sign up"</span>
                <select
                    data-testid="signup-mode"
                    disabled=move || !hydrated.get() || set_mode.pending().get()
                    on:change=move |ev| {
                        if let Ok(m) = SignupMode::parse(&event_target_value(&ev)) {
                            set_mode.dispatch(m);
                        }
                    }
                >
                    {SignupMode::ALL
                        .into_iter()
                        .map(|m| {
                            view! {
                                <option value=m.as_str() selected={m == current}>
                                    {label(m)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <p class="muted" data-testid="signup-mode-text">{current.describe()}</p>
        }
        .into_any(),
        Err(_) => view! { <p class="form-error">"Could not load the sign-up mode."</p> }.into_any(),
    };

    let pending = match pending {
        Ok(list) if list.is_empty() => {
            view! { <p class="muted">"No accounts are waiting for approval."</p> }.into_any()
        }
        Ok(list) => view! {
            <table class="table">
                <thead>
                    <tr>
                        <th>"Email"</th>
                        <th>"Signed up"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|u| view! { <PendingRow user=u approve/> }).collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
        Err(_) => view! { <p class="form-error">"Could not load the pending accounts."</p> }.into_any(),
    };

    view! {
        <section class="card">
            <h2>"Sign-ups"</h2>
            {move || {
                top_error(set_mode.value().get(), &[])
                    .or_else(|| top_error(approve.value().get(), &[]))
                    .map(|e| view! { <p class="form-error" role="alert">{e}</p> })
            }}
            {mode}
            <h3>"Waiting for approval"</h3>
            {pending}
        </section>
    }
}

#[component]
fn PendingRow(user: AdminUserDto, approve: Action<String, Result<(), AppError>>) -> impl IntoView {
    let hydrated = use_hydrated();
    let id = user.id.clone();
    view! {
        <tr data-testid="pending-user">
            <td>{user.email}</td>
            <td>{format_time(user.created_at)}</td>
            <td>
                <button
                    type="button"
                    class="button small primary"
                    data-testid="approve-user"
                    disabled=move || !hydrated.get() || approve.pending().get()
                    on:click=move |_| {
                        approve.dispatch(id.clone());
                    }
                >
                    "Approve"
                </button>
            </td>
        </tr>
    }
}
