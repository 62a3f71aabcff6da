//! `/admin/connections/:id/models`: an Ollama connection's models. Installed ones with whether
//! they are loaded and until when; load (with a keep-alive), unload, delete; pull by name with a
//! progress bar. Every open page sees changes live (the connection's `events` stream).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::ollama::{ollama_act, ollama_models, ollama_pull},
    components::{OllamaEvents, current_user_resource, logged_in, top_error, use_hydrated},
    dto::{OllamaModelDto, PullJobDto},
    error::AppError,
};

type Act = Action<(String, String), Result<Vec<OllamaModelDto>, AppError>>;

#[component]
pub fn OllamaModelsPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let me = current_user_resource();
    let listed = Resource::new(move || id.get(), |id| ollama_models(id, false));
    // What the live stream or an action said last; until then the list loaded with the page.
    let live = RwSignal::new(None::<Vec<OllamaModelDto>>);
    let pull = RwSignal::new(None::<PullJobDto>);
    let keep_alive = RwSignal::new("10m".to_owned());
    let act: Act = Action::new(move |(action, model): &(String, String)| {
        let keep = (action == "start").then(|| keep_alive.get_untracked());
        ollama_act(id.get_untracked(), action.clone(), model.clone(), keep)
    });
    Effect::watch(
        move || act.value().get(),
        move |done, _, _| {
            if let Some(Ok(models)) = done {
                live.set(Some(models.clone()));
            }
        },
        false,
    );
    follow(id, live, pull);
    logged_in(me, move |user| {
        let body = if user.is_admin() {
            view! { <Models id listed live pull act keep_alive/> }.into_any()
        } else {
            view! { <p class="notice">"Only administrators can see this page."</p> }.into_any()
        };
        view! {
            <Title text="Ollama models · Web+"/>
            <main class="page">
                <nav class="page-nav">
                    <a href="/admin/connections">"← Connections"</a>
                </nav>
                <h1>"Ollama models"</h1>
                {body}
            </main>
        }
    })
}

/// Opens the live stream in the browser (not while rendering on the server) and closes it with
/// the page.
fn follow(id: Memo<String>, live: RwSignal<Option<Vec<OllamaModelDto>>>, pull: RwSignal<Option<PullJobDto>>) {
    if cfg!(feature = "ssr") {
        return;
    }
    let stream = StoredValue::new_local(None::<OllamaEvents>);
    Effect::new(move |_| {
        let id = id.get();
        stream.set_value(OllamaEvents::open(&id, live, pull).ok());
    });
    on_cleanup(move || {
        stream.try_update_value(Option::take);
    });
}

#[component]
fn Models(
    id: Memo<String>,
    listed: Resource<Result<Vec<OllamaModelDto>, AppError>>,
    live: RwSignal<Option<Vec<OllamaModelDto>>>,
    pull: RwSignal<Option<PullJobDto>>,
    act: Act,
    keep_alive: RwSignal<String>,
) -> impl IntoView {
    let table = move || {
        Suspend::new(async move {
            let first = listed.await;
            view! { <ModelTable first live act/> }
        })
    };
    view! {
        <section class="card">
            <h2>"Installed"</h2>
            <div class="field">
                <label for="keep-alive">"Keep loaded for (e.g. 10m, 1h, -1 for ever)"</label>
                <input
                    id="keep-alive"
                    data-testid="keep-alive"
                    prop:value=move || keep_alive.get()
                    on:input=move |ev| keep_alive.set(event_target_value(&ev))
                />
            </div>
            {move || top_error(act.value().get(), &[]).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>{table}</Transition>
        </section>
        <Pull id pull/>
    }
}

#[component]
fn ModelTable(
    first: Result<Vec<OllamaModelDto>, AppError>,
    live: RwSignal<Option<Vec<OllamaModelDto>>>,
    act: Act,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let first = match first {
        Ok(list) => list,
        Err(e) => return view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
    };
    let rows = move || live.get().unwrap_or_else(|| first.clone());
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th>"Model"</th>
                    <th>"Size"</th>
                    <th>"Status"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                <For each=rows key=|m| (m.name.clone(), m.running, m.expires_at) let:m>
                    <ModelRow m act hydrated/>
                </For>
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn ModelRow(m: OllamaModelDto, act: Act, hydrated: ReadSignal<bool>) -> impl IntoView {
    let name = StoredValue::new(m.name.clone());
    let size = format!(
        "{:.1} GB{}",
        m.size as f64 / 1e9,
        m.parameter_size.as_ref().map(|p| format!(" · {p}")).unwrap_or_default()
    );
    let status = if m.running { "loaded" } else { "not loaded" };
    let until = m.running.then(|| m.expires_at.map(until_text)).flatten();
    let busy = move || !hydrated.get() || act.pending().get();
    let run = move |action: &'static str| {
        act.dispatch((action.to_owned(), name.get_value()));
    };
    view! {
        <tr data-testid="ollama-model" data-name=m.name.clone() data-status=status>
            <td>{m.name.clone()} <br/> <code class="muted">{m.model.clone()}</code></td>
            <td>{size}</td>
            <td>
                <span class=if m.running { "pill pill-active" } else { "pill" }>{status}</span>
                {until.map(|u| view! { <span class="muted">" " {u}</span> })}
            </td>
            <td class="actions">
                {if m.running {
                    view! {
                        <button type="button" class="button small" data-testid="stop-model" disabled=busy
                            on:click=move |_| run("stop")>"Unload"</button>
                    }
                    .into_any()
                } else {
                    view! {
                        <button type="button" class="button small" data-testid="start-model" disabled=busy
                            on:click=move |_| run("start")>"Load"</button>
                    }
                    .into_any()
                }}
                <button
                    type="button"
                    class="button small danger"
                    data-testid="delete-model"
                    disabled=busy
                    on:click=move |_| {
                        let question = format!("Delete {} from this Ollama server?", name.get_value());
                        if window().confirm_with_message(&question).unwrap_or(false) {
                            run("delete");
                        }
                    }
                >
                    "Delete"
                </button>
            </td>
        </tr>
    }
}

/// "until 14:05" (UTC) or "for ever" for a model kept loaded centuries ahead.
fn until_text(ms: i64) -> String {
    const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;
    // 2100-01-01: anything later is Ollama's "keep loaded".
    if ms > 130 * YEAR_MS {
        return "for ever".to_owned();
    }
    let minutes = ms.div_euclid(60_000);
    format!("until {:02}:{:02} UTC", minutes.div_euclid(60).rem_euclid(24), minutes.rem_euclid(60))
}

#[component]
fn Pull(id: Memo<String>, pull: RwSignal<Option<PullJobDto>>) -> impl IntoView {
    let hydrated = use_hydrated();
    let name = RwSignal::new(String::new());
    let start = Action::new(move |model: &String| ollama_pull(id.get_untracked(), model.clone()));
    Effect::watch(
        move || start.value().get(),
        move |done, _, _| {
            if let Some(Ok(job)) = done {
                // The stream may already have sent a newer state of the same pull.
                if pull.with_untracked(|p| p.as_ref().is_none_or(|p| p.id != job.id)) {
                    pull.set(Some(job.clone()));
                }
            }
        },
        false,
    );
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let model = name.get_untracked();
        if !model.trim().is_empty() {
            start.dispatch(model.trim().to_owned());
        }
    };
    let progress = move || {
        pull.get().map(|job| {
            let text = match (job.status.as_str(), &job.error) {
                (_, Some(e)) => e.clone(),
                ("done", _) => format!("{} is installed", job.model),
                _ => job.status_text.clone(),
            };
            let (value, max) = match (job.completed, job.total) {
                (Some(c), Some(t)) if t > 0 => (c.to_string(), t.to_string()),
                _ if job.status == "done" => ("1".to_owned(), "1".to_owned()),
                _ => ("0".to_owned(), "1".to_owned()),
            };
            view! {
                <div class="pull" data-testid="pull" data-status=job.status.clone()>
                    <progress data-testid="pull-progress" value=value max=max></progress>
                    <p class:form-error=job.error.is_some() data-testid="pull-status">{text}</p>
                </div>
            }
        })
    };
    view! {
        <section class="card">
            <h2>"Pull a model"</h2>
            <form on:submit=on_submit>
                <div class="field">
                    <label for="pull-model">"Name (e.g. llama3.2:3b, qwen3:0.6b)"</label>
                    <input
                        id="pull-model"
                        data-testid="pull-model"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </div>
                {move || top_error(start.value().get(), &[]).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="button primary" data-testid="pull-start" disabled=move || !hydrated.get() || start.pending().get()>
                    "Pull"
                </button>
            </form>
            {progress}
        </section>
    }
}
