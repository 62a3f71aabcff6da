//! `/admin`: the users, with a switch to disable or enable each one (except yourself); sign-ups.

mod signups;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::admin::{list_users, set_user_disabled},
    components::{format_time, logged_in, top_error},
    dto::{AdminUserDto, UserInfo},
};

#[component]
pub fn AdminPage() -> impl IntoView {
    // Resources only here, at the top of the route component (see `signups::SignupsData`).
    let signups = signups::SignupsData::new();
    logged_in(move |user| {
        let body = if user.is_admin() {
            view! {
                <Users me=user/>
                <signups::Signups data=signups/>
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
fn Users(me: UserInfo) -> impl IntoView {
    let toggle = Action::new(|(id, disabled): &(String, bool)| set_user_disabled(id.clone(), *disabled));
    let users = Resource::new(move || toggle.version().get(), |_| list_users());
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
fn UserRow(
    user: AdminUserDto,
    is_me: bool,
    toggle: Action<(String, bool), Result<(), crate::error::AppError>>,
) -> impl IntoView {
    let status = if user.disabled { "disabled" } else { "active" };
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
                                disabled=move || toggle.pending().get()
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
