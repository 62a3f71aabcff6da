//! `/runs/{id}`: a run on the pipeline's canvas. Nodes take their state's colour as it changes,
//! a running LLM node shows its last words, and a click on a node shows its inputs, outputs,
//! error, attempts, timings, tokens and cost. A run that is going is followed live (a reload
//! picks it up again); its outputs are shown rendered when it ends.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::{
    api::pipelines::{cancel_run, get_run, rerun_from},
    components::{
        current_user_resource, format_time, logged_in,
        pipeline::{Canvas, Editor, NodeClass, NodeNote, RunEvents, RunSignals},
        use_hydrated,
    },
    dto::{NodeRunDto, RunPageDto},
};

#[component]
pub fn RunPage() -> impl IntoView {
    let me = current_user_resource();
    let params = use_params_map();
    let data = Resource::new(move || params.read().get("id").unwrap_or_default(), get_run);
    logged_in(me, move |_| {
        view! {
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! { <RunView data=d/> }.into_any(),
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

/// The last `n` characters of `s`.
fn tail(s: &str, n: usize) -> String {
    let count = s.chars().count();
    if count <= n { s.to_owned() } else { format!("…{}", s.chars().skip(count - n).collect::<String>()) }
}

#[component]
fn RunView(data: RunPageDto) -> impl IntoView {
    let hydrated = use_hydrated();
    let run_id = StoredValue::new(data.run.id.clone());
    let pipeline_id = data.run.pipeline_id.clone();
    let editor = Editor::new(&data.definition, String::new());
    let s = RunSignals::new(&data.run);
    let outputs_html = RwSignal::new(data.outputs_html.clone());
    let created = data.run.created_at;

    // Live while it goes on (browser only); again after falling behind.
    let events = StoredValue::new_local(None::<RunEvents>);
    Effect::new(move |_| {
        s.lagged.track();
        if s.status.get_untracked() == "running" {
            events.set_value(RunEvents::open(&run_id.get_value(), s).ok());
        }
    });
    // Closed with the page (the stored stream is dropped when the page's owner goes).
    on_cleanup(move || {
        events.try_update_value(|e| *e = None);
    });
    // At the end: the outputs, rendered by the server.
    Effect::new(move |_| {
        if s.ended.get() > 0 {
            leptos::task::spawn_local(async move {
                if let Ok(d) = get_run(run_id.get_value()).await {
                    outputs_html.try_set(d.outputs_html);
                    s.nodes.try_set(d.run.nodes.into_iter().map(|n| (n.node.clone(), n)).collect());
                }
            });
        }
    });

    let node_class: NodeClass = Arc::new(move |id: &str| {
        s.nodes.with(|ns| ns.get(id).map(|n| format!("status-{}", n.status)).unwrap_or_else(|| "status-pending".into()))
    });
    let node_note: NodeNote = Arc::new(move |id: &str| {
        s.nodes.with(|ns| {
            let n = ns.get(id)?;
            if n.status == "running" && !n.partial.is_empty() {
                Some(tail(&n.partial, 22))
            } else {
                Some(n.status.clone())
            }
        })
    });

    let cancel = Action::new(move |_: &()| cancel_run(run_id.get_value()));
    let navigate = use_navigate();
    let rerun = Action::new(move |node: &String| rerun_from(run_id.get_value(), node.clone()));
    Effect::new(move |_| {
        if let Some(Ok(id)) = rerun.value().get() {
            navigate(&format!("/runs/{id}"), Default::default());
        }
    });
    let running = move || s.status.get() == "running";

    view! {
        <Title text="Run · Pipelines · Web+"/>
        <main class="builder">
            <header class="builder-bar">
                <a href=format!("/pipelines/{pipeline_id}")>"← " {data.definition.name.clone()}</a>
                <span class="muted">{format!("version {} · started {}", data.run.version, format_time(created * 1000))}</span>
                <span class=move || format!("pill run-{}", s.status.get()) data-testid="run-status">
                    {move || s.status.get()}
                </span>
                <span class="spacer"></span>
                <Show when=running>
                    <button
                        type="button"
                        class="button danger"
                        data-testid="cancel-run"
                        disabled=move || !hydrated.get() || cancel.pending().get()
                        on:click=move |_| {
                            cancel.dispatch(());
                        }
                    >
                        "Cancel"
                    </button>
                </Show>
            </header>
            {move || s.error.get().map(|e| view! { <p class="form-error builder-error" role="alert">{e}</p> })}
            {move || rerun.value().get().and_then(Result::err).map(|e| {
                view! { <p class="form-error builder-error" role="alert">{e.to_string()}</p> }
            })}
            <div class="builder-main">
                <Canvas editor editable=false node_class node_note/>
                <aside class="builder-side">
                    {move || {
                        let selected = editor.selected.get();
                        match selected.into_iter().next() {
                            Some(id) => view! { <NodeDetails id s running rerun/> }.into_any(),
                            None => view! {
                                <section class="settings" data-testid="run-outputs">
                                    <h2>"Outputs"</h2>
                                    {move || {
                                        let outs = outputs_html.get();
                                        if outs.is_empty() {
                                            let text = if running() { "The run is going." } else { "No outputs." };
                                            return view! { <p class="muted">{text}</p> }.into_any();
                                        }
                                        outs.into_iter()
                                            .map(|(name, html)| {
                                                view! {
                                                    <h3>{name}</h3>
                                                    <div class="md-block run-output" inner_html=html></div>
                                                }
                                            })
                                            .collect_view()
                                            .into_any()
                                    }}
                                    <p class="muted">"Click a node to see what it took and gave."</p>
                                </section>
                            }
                            .into_any(),
                        }
                    }}
                </aside>
            </div>
        </main>
    }
}

fn pretty(v: &Option<serde_json::Map<String, serde_json::Value>>) -> Option<String> {
    v.as_ref().map(|m| serde_json::to_string_pretty(m).unwrap_or_default())
}

#[component]
fn NodeDetails(
    id: String,
    s: RunSignals,
    running: impl Fn() -> bool + Send + Sync + Copy + 'static,
    rerun: Action<String, Result<String, crate::error::AppError>>,
) -> impl IntoView {
    let key = id.clone();
    let state = Memo::new(move |_| s.nodes.with(|ns| ns.get(&key).cloned()));
    // Rounds and items of a group, `id#2/…` and `id[3]/…`; a Pipeline node's nodes, `id/…`.
    let prefixes = ["#", "[", "/"].map(|mark| format!("{id}{mark}"));
    let nested = Memo::new(move |_| {
        s.nodes.with(|ns| {
            let mut v: Vec<NodeRunDto> =
                ns.values().filter(|n| prefixes.iter().any(|p| n.node.starts_with(p.as_str()))).cloned().collect();
            v.sort_by(|a, b| a.started_at_ms.cmp(&b.started_at_ms).then(a.node.cmp(&b.node)));
            v
        })
    });
    let from = id.clone();
    view! {
        <section class="settings" data-testid="node-details">
            <h2>{id.clone()}</h2>
            {move || match state.get() {
                None => view! { <p class="muted">"Not reached yet."</p> }.into_any(),
                Some(n) => {
                    let took = match (n.started_at_ms, n.finished_at_ms) {
                        (Some(a), Some(b)) => format!("{} ms", b - a),
                        (Some(_), None) => "still going".into(),
                        _ => "—".into(),
                    };
                    let tokens = match (n.input_tokens, n.output_tokens) {
                        (None, None) => None,
                        (i, o) => Some(format!("{} in, {} out", i.unwrap_or(0), o.unwrap_or(0))),
                    };
                    view! {
                        <dl class="facts">
                            <dt>"Status"</dt>
                            <dd data-testid="node-status">{n.status.clone()}</dd>
                            <dt>"Attempts"</dt>
                            <dd>{n.attempts}</dd>
                            <dt>"Took"</dt>
                            <dd>{took}</dd>
                            {tokens.map(|t| view! { <dt>"Tokens"</dt> <dd>{t}</dd> })}
                            {n.cost_usd.map(|c| view! { <dt>"Cost"</dt> <dd>{format!("${c:.6}")}</dd> })}
                        </dl>
                        {n.error.clone().map(|e| view! { <p class="form-error" data-testid="node-error">{e}</p> })}
                        {(!n.partial.is_empty()).then(|| view! {
                            <h3>"Writing"</h3>
                            <pre class="code" data-testid="node-partial">{n.partial.clone()}</pre>
                        })}
                        {pretty(&n.inputs).map(|t| view! { <h3>"Inputs"</h3> <pre class="code">{t}</pre> })}
                        {pretty(&n.outputs).map(|t| view! {
                            <h3>"Outputs"</h3>
                            <pre class="code" data-testid="node-outputs">{t}</pre>
                        })}
                    }
                    .into_any()
                }
            }}
            {move || {
                let inner = nested.get();
                (!inner.is_empty()).then(|| view! {
                    <h3>"Inside it"</h3>
                    <ul class="runs">
                        {inner.into_iter()
                            .map(|n| view! {
                                <li>{n.node.clone()} " " <span class=format!("pill run-{}", n.status)>{n.status.clone()}</span></li>
                            })
                            .collect_view()}
                    </ul>
                })
            }}
            <Show when=move || !running()>
                <button
                    type="button"
                    class="button"
                    data-testid="rerun-from"
                    disabled=move || rerun.pending().get()
                    on:click={
                        let from = from.clone();
                        move |_| {
                            rerun.dispatch(from.clone());
                        }
                    }
                >
                    "Run again from this node"
                </button>
            </Show>
        </section>
    }
}
