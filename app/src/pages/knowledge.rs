//! `/kb`: the knowledge bases the user owns or that are shared with them, and a form to create one.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use webplus::domain::KnowledgeBaseName;

use crate::{
    api::kb::{create_kb, list_kbs},
    components::{TextField, current_user_resource, field_error, format_time, logged_in, top_error, use_hydrated},
    dto::KbDto,
    error::AppError,
};

#[component]
pub fn KnowledgePage() -> impl IntoView {
    // Resources are created here, not under the gate's `Suspense` (see `logged_in`).
    let me = current_user_resource();
    let kbs = Resource::new(|| (), |_| list_kbs());
    logged_in(me, move |_| {
        view! {
            <Title text="Knowledge · Web+"/>
            <main class="page">
                <nav class="page-nav">
                    <a href="/">"← Back to chats"</a>
                </nav>
                <h1>"Knowledge"</h1>
                <p class="muted">
                    "A knowledge base holds crawled web pages and uploaded files. Attach it to a \
                     conversation and answers cite it."
                </p>
                <CreateKb/>
                <KbList kbs/>
            </main>
        }
    })
}

#[component]
fn CreateKb() -> impl IntoView {
    let hydrated = use_hydrated();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let create = Action::new(|name: &String| create_kb(name.clone()));
    Effect::new(move |_| {
        if let Some(Ok(kb)) = create.value().get() {
            navigate(&format!("/kb/{}", kb.id), Default::default());
        }
    });
    let check = Signal::derive(move || KnowledgeBaseName::parse(&name.get()).err().map(|e| e.reason));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        if check.get_untracked().is_none() {
            create.dispatch(name.get_untracked());
        }
    };
    view! {
        <section class="card">
            <h2>"New knowledge base"</h2>
            <form class="inline-form" method="post" on:submit=on_submit novalidate>
                <fieldset disabled=move || !hydrated.get() || create.pending().get()>
                    <TextField
                        label="Name"
                        testid="kb-name"
                        value=name
                        check
                        server=Signal::derive(move || field_error(create.value().get(), "name"))
                        submitted
                    />
                    <button type="submit" class="button primary" data-testid="create-kb">
                        "Create"
                    </button>
                </fieldset>
            </form>
            {move || {
                top_error(create.value().get(), &["name"])
                    .map(|e| view! { <p class="form-error" role="alert">{e}</p> })
            }}
        </section>
    }
}

#[component]
fn KbList(kbs: Resource<Result<Vec<KbDto>, AppError>>) -> impl IntoView {
    let rows = move || {
        Suspend::new(async move {
            kbs.await.map(|list| {
                if list.is_empty() {
                    return view! { <p class="muted">"No knowledge bases yet."</p> }.into_any();
                }
                view! {
                    <table class="table" data-testid="kb-list">
                        <thead>
                            <tr>
                                <th>"Name"</th>
                                <th>"Documents"</th>
                                <th>"Chunks"</th>
                                <th>"Access"</th>
                                <th>"Updated"</th>
                            </tr>
                        </thead>
                        <tbody>{list.into_iter().map(|kb| view! { <KbRow kb/> }).collect_view()}</tbody>
                    </table>
                }
                .into_any()
            })
        })
    };
    view! {
        <section class="card">
            <h2>"Your knowledge bases"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                <ErrorBoundary fallback=|_| {
                    view! { <p class="form-error">"Could not load your knowledge bases."</p> }
                }>{rows}</ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn KbRow(kb: KbDto) -> impl IntoView {
    let access = if kb.owned { "owner" } else { "shared with you" };
    let published = kb.public_id.is_some();
    view! {
        <tr data-testid="kb-row">
            <td>
                <a href=format!("/kb/{}", kb.id) data-testid="kb-link">{kb.name}</a>
            </td>
            <td data-testid="kb-documents">{kb.documents}</td>
            <td data-testid="kb-chunks">{kb.chunks}</td>
            <td>
                <span class="pill pill-active">{access}</span>
                {published.then(|| view! { " " <span class="pill pill-active">"published"</span> })}
            </td>
            <td>{format_time(kb.updated_at)}</td>
        </tr>
    }
}
