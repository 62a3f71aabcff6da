//! `/pipelines/{id}`: the builder. The canvas with its palette, the selected node's settings, the
//! problems found as the graph changes (the same `validate` the server runs on save), saving a
//! version, the run form built from the Input node, the user's runs of it, and (its owner) sharing
//! it. A pipeline shared with the user opens read-only: no palette, no editing, settings disabled,
//! and the run form only with run access.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::{Map, Value};
use webplus::domain::pipeline::{AllowedHosts, Field, Interface, Known, NodeKind, PortType, validate};

use crate::{
    api::pipelines::{get_pipeline, list_runs, save_pipeline, start_run},
    components::{
        current_user_resource, format_time, logged_in,
        pipeline::{Canvas, Choices, Editor, NodeClass, ProblemsPanel, SettingsPanel, SharingPanel},
        use_hydrated,
    },
    dto::PipelineEditDto,
};

/// What the user may pick, as the builder's validation knows it.
struct Offered {
    models: HashSet<String>,
    knowledge_bases: HashSet<String>,
    http_hosts: AllowedHosts,
    pipelines: HashMap<String, Interface>,
}

impl Known for Offered {
    fn model(&self, id: &str) -> bool {
        self.models.contains(id)
    }
    fn knowledge_base(&self, id: &str) -> bool {
        self.knowledge_bases.contains(id)
    }
    fn http_host(&self, host: &str) -> bool {
        self.http_hosts.allows(host)
    }
    fn pipeline(&self, id: &str) -> Option<Interface> {
        self.pipelines.get(id).cloned()
    }
}

#[component]
pub fn PipelinePage() -> impl IntoView {
    let me = current_user_resource();
    let params = use_params_map();
    let data = Resource::new(move || params.read().get("id").unwrap_or_default(), get_pipeline);
    logged_in(me, move |_| {
        view! {
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! { <Builder data=d/> }.into_any(),
                        Err(e) => view! {
                            <main class="page">
                                <nav class="page-nav"><a href="/pipelines">"← Pipelines"</a></nav>
                                <p class="form-error" role="alert">{e.to_string()}</p>
                            </main>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        }
    })
}

#[component]
fn Builder(data: PipelineEditDto) -> impl IntoView {
    let hydrated = use_hydrated();
    let owner = data.access == "owner";
    let can_run = owner || data.access == "run";
    let id = StoredValue::new(data.id.clone());
    let editor = Editor::new(&data.definition, data.default_model.clone());
    let version = RwSignal::new(data.version);
    let known = StoredValue::new(Offered {
        models: data.models.iter().cloned().collect(),
        knowledge_bases: data.knowledge_bases.iter().map(|(id, _)| id.clone()).collect(),
        // Stored by the server in its parsed form, so this parse cannot fail.
        http_hosts: AllowedHosts::parse(&data.http_hosts.join("\n")).unwrap_or_default(),
        pipelines: data.pipelines.iter().cloned().collect(),
    });
    let problems = Memo::new(move |_| {
        let def = editor.pipeline();
        known.with_value(|k| validate(&def, k))
    });
    // The nodes of the level shown that a problem names: the node itself, or the group it is in.
    let with_problems = Memo::new(move |_| {
        let prefix: String = editor.path().iter().map(|g| format!("{g}/")).collect();
        problems.with(|ps| {
            ps.iter()
                .filter_map(|p| p.node.as_deref()?.strip_prefix(&prefix)?.split('/').next().map(str::to_owned))
                .collect::<HashSet<_>>()
        })
    });
    let node_class: NodeClass =
        std::sync::Arc::new(
            move |id: &str| if with_problems.with(|s| s.contains(id)) { "problem".into() } else { String::new() },
        );

    let save = Action::new(move |_: &()| {
        let def = untrack(|| editor.pipeline());
        async move { save_pipeline(id.get_value(), def).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            version.set(v);
            editor.dirty.set(false);
        }
    });
    let run_form = RwSignal::new(false);
    let tab = RwSignal::new("settings");
    let title = move || format!("{} · Pipelines · Web+", editor.name.get());

    view! {
        <Title text=title/>
        <main class="builder">
            <header class="builder-bar">
                <a href="/pipelines">"← Pipelines"</a>
                <strong data-testid="builder-name">{move || editor.name.get()}</strong>
                <span class="muted" data-testid="builder-version">
                    {move || format!("version {}{}", version.get(), if editor.dirty.get() { " · changed" } else { "" })}
                </span>
                {(!owner).then(|| view! {
                    <span class="pill" data-testid="shared-banner">
                        {if can_run { "shared with you: you can run it" } else { "shared with you: view only" }}
                    </span>
                })}
                <span class="spacer"></span>
                {owner.then(|| view! {
                <button
                    type="button"
                    class="button small"
                    disabled=move || !hydrated.get() || !editor.can_undo.get()
                    on:click=move |_| editor.undo()
                    title="Undo (Ctrl+Z)"
                >
                    "Undo"
                </button>
                <button
                    type="button"
                    class="button small"
                    disabled=move || !hydrated.get() || !editor.can_redo.get()
                    on:click=move |_| editor.redo()
                    title="Redo (Ctrl+Shift+Z)"
                >
                    "Redo"
                </button>
                <button
                    type="button"
                    class="button small"
                    data-testid="auto-layout"
                    disabled=move || !hydrated.get()
                    on:click=move |_| editor.auto_layout()
                >
                    "Auto-layout"
                </button>
                })}
                <a class="button small" href=move || format!("/api/v1/pipelines/{}/export", id.get_value()) download="">
                    "Export"
                </a>
                {owner.then(|| view! {
                <button
                    type="button"
                    class="button"
                    data-testid="save-pipeline"
                    disabled=move || !hydrated.get() || save.pending().get()
                    on:click=move |_| {
                        save.dispatch(());
                    }
                >
                    "Save"
                </button>
                })}
                {can_run.then(|| view! {
                <button
                    type="button"
                    class="button primary"
                    data-testid="run-pipeline"
                    disabled=move || !hydrated.get() || !problems.with(Vec::is_empty)
                    title=move || if problems.with(Vec::is_empty) { "Run" } else { "Mend the problems first" }
                    on:click=move |_| run_form.set(true)
                >
                    "Run"
                </button>
                })}
            </header>
            {move || {
                save.value().get().and_then(Result::err).map(|e| {
                    view! { <p class="form-error builder-error" role="alert" data-testid="save-error">{e.to_string()}</p> }
                })
            }}
            <div class="builder-main">
                <Canvas editor editable=owner node_class open_groups=true/>
                <aside class="builder-side">
                    // Enabled once hydrated, as the other controls: a click before then would be lost.
                    <div class="tabs" role="tablist">
                        <button
                            type="button"
                            data-testid="tab-settings"
                            disabled=move || !hydrated.get()
                            class:active=move || tab.get() == "settings"
                            on:click=move |_| tab.set("settings")
                        >
                            "Settings"
                        </button>
                        <button
                            type="button"
                            data-testid="tab-problems"
                            disabled=move || !hydrated.get()
                            class:active=move || tab.get() == "problems"
                            on:click=move |_| tab.set("problems")
                        >
                            {move || format!("Problems ({})", problems.with(Vec::len))}
                        </button>
                        <button
                            type="button"
                            data-testid="tab-runs"
                            disabled=move || !hydrated.get()
                            class:active=move || tab.get() == "runs"
                            on:click=move |_| tab.set("runs")
                        >
                            "Runs"
                        </button>
                        {owner.then(|| view! {
                            <button
                                type="button"
                                data-testid="tab-sharing"
                                disabled=move || !hydrated.get()
                                class:active=move || tab.get() == "sharing"
                                on:click=move |_| tab.set("sharing")
                            >
                                "Sharing"
                            </button>
                        })}
                    </div>
                    {move || match tab.get() {
                        "problems" => view! { <ProblemsPanel editor problems/> }.into_any(),
                        "runs" => view! { <Runs id=id.get_value()/> }.into_any(),
                        "sharing" => view! { <SharingPanel id=id.get_value()/> }.into_any(),
                        _ => view! {
                            // A shared pipeline's settings are shown, not changed.
                            <fieldset class="plain" disabled=!owner data-testid="settings-fieldset">
                                <SettingsPanel
                                    editor
                                    choices=Choices {
                                        models: data.models.clone(),
                                        knowledge_bases: data.knowledge_bases.clone(),
                                        pipelines: data.pipelines.clone(),
                                    }
                                />
                            </fieldset>
                        }
                        .into_any(),
                    }}
                </aside>
            </div>
            <Show when=move || run_form.get()>
                <RunForm editor id close=move || run_form.set(false) version/>
            </Show>
        </main>
    }
}

/// The run form: a field per field of the Input node. Unsaved changes are saved first.
#[component]
fn RunForm(
    editor: Editor,
    id: StoredValue<String>,
    close: impl Fn() + Clone + Send + Sync + 'static,
    version: RwSignal<i64>,
) -> impl IntoView {
    let navigate = use_navigate();
    let fields: Vec<Field> = untrack(|| editor.pipeline())
        .nodes
        .into_iter()
        .find_map(|n| match n.kind {
            NodeKind::Input { fields } => Some(fields),
            _ => None,
        })
        .unwrap_or_default();
    let values: Vec<(Field, RwSignal<String>)> = fields
        .into_iter()
        .map(|f| {
            let start = match &f.default {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None if f.ty == PortType::List => "[]".into(),
                None => String::new(),
            };
            (f, RwSignal::new(start))
        })
        .collect();
    let values = StoredValue::new(values);
    let error = RwSignal::new(None::<String>);
    let start = Action::new(move |inputs: &Map<String, Value>| {
        let inputs = inputs.clone();
        let unsaved = editor.dirty.get_untracked().then(|| untrack(|| editor.pipeline()));
        async move {
            if let Some(def) = unsaved {
                let v = save_pipeline(id.get_value(), def).await?;
                version.try_set(v);
                editor.dirty.try_set(false);
            }
            start_run(id.get_value(), inputs).await
        }
    });
    Effect::new(move |_| match start.value().get() {
        Some(Ok(run)) => navigate(&format!("/runs/{run}"), Default::default()),
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut inputs = Map::new();
        let parsed = values.with_value(|vs| {
            for (f, v) in vs {
                let text = v.get_untracked();
                if text.trim().is_empty() && !f.required {
                    continue;
                }
                let value = match f.ty {
                    PortType::Text => Value::String(text),
                    PortType::Boolean => Value::Bool(text == "true"),
                    PortType::Number => match text.trim().parse::<f64>() {
                        Ok(n) => serde_json::json!(n),
                        Err(_) => return Err(format!("{}: {text:?} is not a number", f.name)),
                    },
                    PortType::Json | PortType::List => match serde_json::from_str(&text) {
                        Ok(v) => v,
                        Err(e) => return Err(format!("{}: not JSON ({e})", f.name)),
                    },
                };
                inputs.insert(f.name.clone(), value);
            }
            Ok(())
        });
        match parsed {
            Ok(()) => {
                error.set(None);
                start.dispatch(inputs);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let fields_view = values.with_value(|vs| {
        vs.iter()
            .map(|(f, v)| {
                let v = *v;
                let label = format!("{} ({}{})", f.name, f.ty.as_str(), if f.required { "" } else { ", optional" });
                let input = match f.ty {
                    PortType::Boolean => view! {
                        <input
                            type="checkbox"
                            data-testid=format!("run-input-{}", f.name)
                            on:change=move |e| v.set(event_target_checked(&e).to_string())
                        />
                    }
                    .into_any(),
                    PortType::Number => view! {
                        <input type="number" data-testid=format!("run-input-{}", f.name) bind:value=v/>
                    }
                    .into_any(),
                    _ => view! {
                        <textarea rows="4" data-testid=format!("run-input-{}", f.name) bind:value=v></textarea>
                    }
                    .into_any(),
                };
                view! {
                    <label class="field">
                        <span>{label}</span>
                        {input}
                    </label>
                }
            })
            .collect_view()
    });
    let close2 = close.clone();
    view! {
        <div class="dialog-backdrop">
            <form class="dialog card" data-testid="run-form" on:submit=submit>
                <h2>"Run"</h2>
                {fields_view}
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="row">
                    <button type="submit" class="button primary" data-testid="start-run" disabled=move || start.pending().get()>
                        "Start"
                    </button>
                    <button type="button" class="button" on:click=move |_| close2()>
                        "Cancel"
                    </button>
                </div>
            </form>
        </div>
    }
}

/// The pipeline's runs, newest first. Only ever shown after a click, so read in the browser.
#[component]
fn Runs(id: String) -> impl IntoView {
    let runs = LocalResource::new(move || list_runs(id.clone()));
    let list = move || {
        Suspend::new(async move {
            runs.await.map(|rs| {
                if rs.is_empty() {
                    return view! { <p class="muted">"No runs yet."</p> }.into_any();
                }
                view! {
                    <ul class="runs" data-testid="runs">
                        {rs.into_iter()
                            .map(|r| {
                                view! {
                                    <li>
                                        <a href=format!("/runs/{}", r.id)>{format_time(r.created_at * 1000)}</a>
                                        " "
                                        <span class=format!("pill run-{}", r.status)>{r.status.clone()}</span>
                                        <span class="muted">{format!(" v{}", r.version)}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            })
        })
    };
    view! {
        <section class="settings">
            <h2>"Runs"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                <ErrorBoundary fallback=|_| view! { <p class="form-error">"Could not load the runs."</p> }>
                    {list}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
