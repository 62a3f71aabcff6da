//! `/admin`, users: every account with its role and status, and a switch to disable or enable
//! each one except your own.

use leptos::prelude::*;

use crate::{
    api::admin::{list_users, set_user_disabled},
    components::{format_time, top_error, use_hydrated},
    dto::AdminUserDto,
    error::AppError,
};

/// The users table's data and its one action (see `AdminData`).
#[derive(Clone, Copy)]
pub struct UsersData {
    pub list: Resource<Result<Vec<AdminUserDto>, AppError>>,
    toggle: Action<(String, bool), Result<(), AppError>>,
}

impl UsersData {
    pub fn new() -> Self {
        let list = Resource::new(|| (), |_| list_users());
        let toggle = Action::new(|(id, disabled): &(String, bool)| set_user_disabled(id.clone(), *disabled));
        Effect::watch(
            move || toggle.value().get(),
            move |done, _, _| {
                if let Some(Ok(())) = done {
                    list.refetch();
                }
            },
            false,
        );
        Self { list, toggle }
    }
}

#[component]
pub fn Users(
    /// The admin's own id: no switch on their own row.
    me: String,
    users: Result<Vec<AdminUserDto>, AppError>,
    data: UsersData,
) -> impl IntoView {
    let toggle = data.toggle;
    let table = match users {
        Ok(list) => view! {
            <table class="table">
                <thead>
                    <tr>
                        <th>"Email"</th>
                        <th>"Role"</th>
                        <th>"Created"</th>
                        <th>"Status"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .map(|u| {
                            let is_me = u.id == me;
                            view! { <UserRow user=u is_me toggle/> }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
        Err(_) => view! { <p class="form-error">"Could not load the users."</p> }.into_any(),
    };
    view! {
        <section class="card">
            <h2>"Users"</h2>
            {move || {
                top_error(toggle.value().get(), &[]).map(|e| view! { <p class="form-error" role="alert">{e}</p> })
            }}
            {table}
        </section>
    }
}

#[component]
fn UserRow(user: AdminUserDto, is_me: bool, toggle: Action<(String, bool), Result<(), AppError>>) -> impl IntoView {
    let hydrated = use_hydrated();
    let status = match (user.disabled, user.pending) {
        (true, _) => "disabled",
        (false, true) => "pending",
        (false, false) => "active",
    };
    let (label, next) = if user.disabled { ("Enable", false) } else { ("Disable", true) };
    let id = user.id.clone();
    view! {
        <tr data-testid="user-row" class:revoked=user.disabled>
            <td>{user.email} {is_me.then_some(" (you)")}</td>
            <td>{user.role.as_str()}</td>
            <td>{format_time(user.created_at)}</td>
            <td>
                <span class=format!("pill pill-{status}")>{status}</span>
            </td>
            <td>
                {(!is_me)
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="button small"
                                class:danger=next
                                data-testid="toggle-disabled"
                                disabled=move || !hydrated.get() || toggle.pending().get()
                                on:click=move |_| {
                                    toggle.dispatch((id.clone(), next));
                                }
                            >
                                {label}
                            </button>
                        }
                    })}
            </td>
        </tr>
    }
}
