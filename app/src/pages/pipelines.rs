//! `/pipelines`: the user's pipelines and those shared with them, a new one (blank or from a
//! template) and importing an export.

use leptos::{html, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::{
    api::pipelines::{create_pipeline, delete_pipeline, list_pipelines, pipeline_templates},
    components::{current_user_resource, format_time, logged_in, use_hydrated},
    dto::PipelineSummaryDto,
};

#[component]
pub fn PipelinesPage() -> impl IntoView {
    let me = current_user_resource();
    let list = Resource::new(|| (), |_| list_pipelines());
    let templates = Resource::new(|| (), |_| pipeline_templates());
    logged_in(me, move |_| {
        view! {
            <Title text="Pipelines · Web+"/>
            <main class="page">
                <nav class="page-nav">
                    <a href="/">"← Back to chats"</a>
                </nav>
                <h1>"Pipelines"</h1>
                <p class="muted">
                    "A pipeline is a graph of steps (models, templates, conditions, loops, code, knowledge \
                     retrieval) that runs on its own and shows each step as it goes."
                </p>
                <NewPipeline templates/>
                <PipelineList list/>
            </main>
        }
    })
}

#[component]
fn NewPipeline(
    templates: Resource<Result<Vec<crate::dto::PipelineTemplateDto>, crate::error::AppError>>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let navigate = use_navigate();
    let create = Action::new(|(template, import): &(Option<String>, Option<String>)| {
        create_pipeline(template.clone(), import.clone())
    });
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/pipelines/{id}"), Default::default());
        }
    });
    let file = NodeRef::<html::Input>::new();
    let read_error = RwSignal::new(None::<String>);
    let import = move |_| {
        let Some(f) = file.get_untracked().and_then(|i| i.files()).and_then(|l| l.get(0)) else { return };
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(f.text()).await.ok().and_then(|t| t.as_string()) {
                Some(text) => {
                    read_error.set(None);
                    create.dispatch((None, Some(text)));
                }
                None => read_error.set(Some("could not read that file; pick a .json export".into())),
            }
        });
    };
    let template_list = move || {
        Suspend::new(async move {
            templates.await.map(|ts| {
                ts.into_iter()
                    .map(|t| {
                        let id = t.id.clone();
                        view! {
                            <li class="template">
                                <div>
                                    <strong>{t.name}</strong>
                                    <p class="muted">{t.description}</p>
                                </div>
                                <button
                                    type="button"
                                    class="button"
                                    data-testid=format!("template-{}", t.id)
                                    disabled=move || !hydrated.get() || create.pending().get()
                                    on:click=move |_| {
                                        create.dispatch((Some(id.clone()), None));
                                    }
                                >
                                    "Use"
                                </button>
                            </li>
                        }
                    })
                    .collect_view()
            })
        })
    };
    view! {
        <section class="card">
            <h2>"New pipeline"</h2>
            <div class="row">
                <button
                    type="button"
                    class="button primary"
                    data-testid="new-pipeline"
                    disabled=move || !hydrated.get() || create.pending().get()
                    on:click=move |_| {
                        create.dispatch((None, None));
                    }
                >
                    "New blank pipeline"
                </button>
                <label class="button">
                    "Import a .json export"
                    <input
                        type="file"
                        accept=".json,application/json"
                        class="visually-hidden"
                        node_ref=file
                        data-testid="import-pipeline"
                        disabled=move || !hydrated.get()
                        on:change=import
                    />
                </label>
            </div>
            {move || {
                let server = create.value().get().and_then(Result::err).map(|e| e.to_string());
                read_error.get().or(server).map(|e| view! { <p class="form-error" role="alert">{e}</p> })
            }}
            <h3>"From a template"</h3>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                <ErrorBoundary fallback=|_| {
                    view! { <p class="form-error">"Could not load the templates."</p> }
                }>
                    <ul class="templates">{template_list}</ul>
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn PipelineList(list: Resource<Result<Vec<PipelineSummaryDto>, crate::error::AppError>>) -> impl IntoView {
    let hydrated = use_hydrated();
    let delete = Action::new(|id: &String| delete_pipeline(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            list.refetch();
        }
    });
    let rows = move || {
        Suspend::new(async move {
            list.await.map(|ps| {
                if ps.is_empty() {
                    return view! { <p class="muted">"No pipelines yet."</p> }.into_any();
                }
                view! {
                    <table class="table" data-testid="pipeline-list">
                        <thead>
                            <tr>
                                <th>"Name"</th>
                                <th>"Version"</th>
                                <th>"Updated"</th>
                                <th>"Owner"</th>
                                <th></th>
                            </tr>
                        </thead>
                        <tbody>
                            {ps.into_iter()
                                .map(|p| {
                                    let id = p.id.clone();
                                    let owned = p.access == "owner";
                                    let owner = match &p.owner {
                                        None => view! { <span>"you"</span> }.into_any(),
                                        Some(email) => view! {
                                            <span>{email.clone()}</span>
                                            " "
                                            <span class="pill" data-testid="shared-access">
                                                {if p.access == "run" { "can run" } else { "view only" }}
                                            </span>
                                        }
                                        .into_any(),
                                    };
                                    view! {
                                        <tr data-testid="pipeline-row">
                                            <td>
                                                <a href=format!("/pipelines/{}", p.id)>{p.name}</a>
                                            </td>
                                            <td>{p.version}</td>
                                            <td>{format_time(p.updated_at)}</td>
                                            <td>{owner}</td>
                                            <td>
                                                {owned.then(|| view! {
                                                <button
                                                    type="button"
                                                    class="button small danger"
                                                    disabled=move || !hydrated.get()
                                                    on:click=move |_| {
                                                        let sure = window()
                                                            .confirm_with_message(
                                                                "Delete this pipeline with all its versions and runs?",
                                                            )
                                                            .unwrap_or(false);
                                                        if sure {
                                                            delete.dispatch(id.clone());
                                                        }
                                                    }
                                                >
                                                    "Delete"
                                                </button>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            })
        })
    };
    view! {
        <section class="card">
            <h2>"Your pipelines and those shared with you"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                <ErrorBoundary fallback=|_| {
                    view! { <p class="form-error">"Could not load your pipelines."</p> }
                }>{rows}</ErrorBoundary>
            </Transition>
        </section>
    }
}
