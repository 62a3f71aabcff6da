//! `/admin`: the users, with a switch to disable or enable each one (except yourself); sign-ups;
//! the hosts pipelines' HTTP request nodes may reach.

mod pipeline_hosts;
mod signups;
mod users;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::{current_user_resource, logged_in},
    dto::UserInfo,
};

/// The page's data and actions. Created once at the top of `AdminPage`, never below `logged_in`
/// or a `Suspend` (Leptos SSR walks those more than once; see `logged_in`). The actions live here
/// too, so a refetch that re-renders the sections keeps their results (errors stay shown).
#[derive(Clone, Copy)]
struct AdminData {
    users: users::UsersData,
    signups: signups::SignupsData,
    pipeline_hosts: pipeline_hosts::PipelineHostsData,
}

#[component]
pub fn AdminPage() -> impl IntoView {
    // For a non-admin the resources answer Forbidden, and are never shown.
    let me = current_user_resource();
    let data = AdminData {
        users: users::UsersData::new(),
        signups: signups::SignupsData::new(),
        pipeline_hosts: pipeline_hosts::PipelineHostsData::new(),
    };
    // An approval makes the account active in the users table too.
    let users = data.users.list;
    Effect::watch(move || data.signups.approve.version().get(), move |_, _, _| users.refetch(), false);
    logged_in(me, move |user| {
        let body = if user.is_admin() {
            view! { <Sections me=user data/> }.into_any()
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
                <p>
                    <a href="/admin/connections" data-testid="connections-link">
                        "Connections: the model servers (OpenAI-compatible, Anthropic, Bedrock, Ollama) →"
                    </a>
                </p>
                <p>
                    <a href="/admin/models" data-testid="models-link">
                        "Models: what users may pick, with prices, limits and who may use them →"
                    </a>
                </p>
                {body}
            </main>
        }
    })
}

/// The sections under one `Transition` that waits for all of the page's data. Sibling
/// `Transition`s inside the gate's `Suspense` hydrated out of step now and then ("expected a
/// marker node", about one load in 40 of the release build); one boundary has no siblings to race.
#[component]
fn Sections(me: UserInfo, data: AdminData) -> impl IntoView {
    let me = StoredValue::new(me.id);
    let sections = move || {
        Suspend::new(async move {
            let users = data.users.list.await;
            let mode = data.signups.mode.await;
            let pending = data.signups.pending.await;
            let hosts = data.pipeline_hosts.hosts.await;
            view! {
                <users::Users me=me.get_value() users data=data.users/>
                <signups::Signups mode pending data=data.signups/>
                <pipeline_hosts::PipelineHosts hosts data=data.pipeline_hosts/>
            }
        })
    };
    view! { <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>{sections}</Transition> }
}
