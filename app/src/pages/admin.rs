//! `/admin`: the users, with a switch to disable or enable each one (except yourself); sign-ups.

mod signups;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::admin::{list_users, set_user_disabled},
    components::{current_user_resource, format_time, logged_in, top_error, use_hydrated},
    dto::{AdminUserDto, UserInfo},
    error::AppError,
};

#[component]
pub fn AdminPage() -> impl IntoView {
    // Resources are created here, not under the gate's `Suspense` (see `logged_in`). For a
    // non-admin they answer Forbidden, and are never shown.
    let me = current_user_resource();
    let users = Resource::new(|| (), |_| list_users());
    let signups = signups::SignupsData::new();
    logged_in(me, move |user| {
        let body = if user.is_admin() {
            view! {
                <Users me=user users/>
                <signups::Signups data=signups users/>
            }
            .into_any()
        } else {
            view! { <p class="notice">"Only administrators can see this page."</p> }.into_any()
        };
        view! {
            <Title text="Admin · Web+"/>
            <main class="page">
                <nav class="page-nav">
                    <a href="/">"← Back to chats"</a>
                </nav>
                <h1>"Administration"</h1>
                {body}
            </main>
        }
    })
}

#[component]
fn Users(me: UserInfo, users: Resource<Result<Vec<AdminUserDto>, AppError>>) -> impl IntoView {
    let toggle = Action::new(|(id, disabled): &(String, bool)| set_user_disabled(id.clone(), *disabled));
    Effect::new(move |_| {
        if let Some(Ok(())) = toggle.value().get() {
            users.refetch();
        }
    });
    let me = StoredValue::new(me.id);

    let table = move || {
        Suspend::new(async move {
            users.await.map(|list| {
                view! {
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
                                    let is_me = me.with_value(|id| *id == u.id);
                                    view! { <UserRow user=u is_me toggle/> }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
            })
        })
    };

    view! {
        <section class="card">
            <h2>"Users"</h2>
            {move || {
                top_error(toggle.value().get(), &[])
                    .map(|e| view! { <p class="form-error" role="alert">{e}</p> })
            }}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                <ErrorBoundary fallback=|_| {
                    view! { <p class="form-error">"Could not load the users."</p> }
                }>{table}</ErrorBoundary>
            </Transition>
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
            <td>{user.role}</td>
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
