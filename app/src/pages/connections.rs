//! `/admin/connections`: the model servers users' models come from. Admins add, edit, test and
//! remove them; ones declared in the server settings are shown read-only. Keys go in, never out.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::connections::{delete_connection, list_connections, save_connection, test_connection},
    components::{TextField, current_user_resource, field_error, logged_in, top_error, use_hydrated},
    dto::{ConnectionDto, ConnectionForm, ConnectionTestDto},
    error::AppError,
};

/// The form's fields as the server names them (their errors show under the field).
const FIELDS: &[&str] = &["kind", "name", "base_url", "region", "api_key", "models"];

type TestResult = (String, Result<ConnectionTestDto, AppError>);

/// The page's data and actions, created once at the top of the page (see `logged_in`).
#[derive(Clone, Copy)]
struct Data {
    list: Resource<Result<Vec<ConnectionDto>, AppError>>,
    save: Action<(Option<String>, ConnectionForm), Result<ConnectionDto, AppError>>,
    remove: Action<String, Result<(), AppError>>,
    test: Action<String, TestResult>,
    form: FormState,
}

/// The add/edit form: `editing` holds the id of the connection being changed.
#[derive(Clone, Copy)]
struct FormState {
    editing: RwSignal<Option<String>>,
    kind: RwSignal<String>,
    name: RwSignal<String>,
    base_url: RwSignal<String>,
    region: RwSignal<String>,
    api_key: RwSignal<String>,
    models: RwSignal<String>,
}

impl FormState {
    fn new() -> Self {
        Self {
            editing: RwSignal::new(None),
            kind: RwSignal::new("anthropic".to_owned()),
            name: RwSignal::new(String::new()),
            base_url: RwSignal::new(String::new()),
            region: RwSignal::new(String::new()),
            api_key: RwSignal::new(String::new()),
            models: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, c: &ConnectionDto) {
        self.editing.set(Some(c.id.clone()));
        self.kind.set(c.kind.clone());
        self.name.set(c.name.clone());
        self.base_url.set(c.base_url.clone().unwrap_or_default());
        self.region.set(c.region.clone().unwrap_or_default());
        self.api_key.set(String::new());
        self.models.set(c.models.join(", "));
    }

    fn clear(&self) {
        self.editing.set(None);
        for s in [self.name, self.base_url, self.region, self.api_key, self.models] {
            s.set(String::new());
        }
    }

    fn read(&self) -> ConnectionForm {
        ConnectionForm {
            kind: self.kind.get_untracked(),
            name: self.name.get_untracked(),
            base_url: self.base_url.get_untracked(),
            region: self.region.get_untracked(),
            api_key: self.api_key.get_untracked(),
            models: self.models.get_untracked(),
        }
    }
}

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let me = current_user_resource();
    let list = Resource::new(|| (), |_| list_connections());
    let form = FormState::new();
    let save = Action::new(|(id, f): &(Option<String>, ConnectionForm)| save_connection(id.clone(), f.clone()));
    let remove = Action::new(|id: &String| delete_connection(id.clone()));
    let test = Action::new(|id: &String| {
        let id = id.clone();
        async move { (id.clone(), test_connection(id).await) }
    });
    Effect::watch(
        move || save.value().get(),
        move |done, _, _| {
            if let Some(Ok(_)) = done {
                form.clear();
                list.refetch();
            }
        },
        false,
    );
    Effect::watch(
        move || remove.value().get(),
        move |done, _, _| {
            if let Some(Ok(())) = done {
                list.refetch();
            }
        },
        false,
    );
    let data = Data { list, save, remove, test, form };
    logged_in(me, move |user| {
        let body = if user.is_admin() {
            view! { <Sections data/> }.into_any()
        } else {
            view! { <p class="notice">"Only administrators can see this page."</p> }.into_any()
        };
        view! {
            <Title text="Connections · Web+"/>
            <main class="page">
                <nav class="page-nav">
                    <a href="/admin">"← Administration"</a>
                </nav>
                <h1>"Connections"</h1>
                <p class="muted">
                    "The model servers your users' models come from. A model of the connection "
                    <code>"lab"</code> " is picked as " <code>"lab/model"</code> "."
                </p>
                {body}
            </main>
        }
    })
}

#[component]
fn Sections(data: Data) -> impl IntoView {
    let table = move || {
        Suspend::new(async move {
            match data.list.await {
                Ok(list) if list.is_empty() => {
                    view! { <p class="muted" data-testid="no-connections">"No connections yet."</p> }.into_any()
                }
                Ok(list) => view! {
                    <table class="table">
                        <thead>
                            <tr>
                                <th>"Name"</th>
                                <th>"Kind"</th>
                                <th>"Where"</th>
                                <th>"Models"</th>
                                <th>"Key"</th>
                                <th></th>
                            </tr>
                        </thead>
                        <tbody>{list.into_iter().map(|c| view! { <Row c data/> }).collect_view()}</tbody>
                    </table>
                }
                .into_any(),
                Err(_) => view! { <p class="form-error">"Could not load the connections."</p> }.into_any(),
            }
        })
    };
    view! {
        <section class="card">
            <h2>"Connections"</h2>
            {move || {
                top_error(data.remove.value().get(), &[]).map(|e| view! { <p class="form-error" role="alert">{e}</p> })
            }}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>{table}</Transition>
        </section>
        <Editor data/>
    }
}

#[component]
fn Row(c: ConnectionDto, data: Data) -> impl IntoView {
    let hydrated = use_hydrated();
    let id = StoredValue::new(c.id.clone());
    let whole = StoredValue::new(c.clone());
    let place = c.base_url.clone().or(c.region.clone()).unwrap_or_else(|| "default".to_owned());
    let models = if c.models.is_empty() { "what the server lists".to_owned() } else { c.models.join(", ") };
    let result = move || {
        data.test.value().get().filter(|(tested, _)| *tested == id.get_value()).map(|(_, r)| match r {
            Ok(t) if t.ok => view! {
                <span class="pill pill-active" data-testid="test-result" data-ok="true">
                    {format!("OK · {} models · {} ms", t.models.unwrap_or(0), t.latency_ms)}
                </span>
            }
            .into_any(),
            Ok(t) => view! {
                <span class="form-error" data-testid="test-result" data-ok="false">
                    {t.error.unwrap_or_default()}
                </span>
            }
            .into_any(),
            Err(e) => view! {
                <span class="form-error" data-testid="test-result" data-ok="false">{e.to_string()}</span>
            }
            .into_any(),
        })
    };
    let testing = move || data.test.pending().get();
    view! {
        <tr data-testid="connection-row" data-name=c.name.clone()>
            <td>
                {c.name.clone()}
                {c.from_settings.then(|| view! { <span class="pill">"settings"</span> })}
                {c.problem.clone().map(|p| view! { <p class="form-error">{p}</p> })}
            </td>
            <td>{c.kind_label.clone()}</td>
            <td>{place}</td>
            <td>{models}</td>
            <td>{if c.has_key { "saved" } else { "none" }}</td>
            <td class="actions">
                <button
                    type="button"
                    class="button small"
                    data-testid="test-connection"
                    disabled=move || !hydrated.get() || testing()
                    on:click=move |_| {
                        data.test.dispatch(id.get_value());
                    }
                >
                    "Test"
                </button>
                // Always rendered (hidden but for Ollama): an optional element before the optional
                // buttons made hydration look for a marker where the buttons were.
                <a
                    class="button small"
                    data-testid="ollama-models-link"
                    hidden=c.kind != "ollama"
                    href=format!("/admin/connections/{}/models", c.id)
                >
                    "Models"
                </a>
                {(!c.from_settings)
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="button small"
                                data-testid="edit-connection"
                                disabled=move || !hydrated.get()
                                on:click=move |_| data.form.fill(&whole.get_value())
                            >
                                "Edit"
                            </button>
                            <button
                                type="button"
                                class="button small danger"
                                data-testid="remove-connection"
                                disabled=move || !hydrated.get() || data.remove.pending().get()
                                on:click=move |_| {
                                    let question = format!(
                                        "Remove the connection “{}”? Its models disappear from the model list.",
                                        whole.with_value(|c| c.name.clone()),
                                    );
                                    if window().confirm_with_message(&question).unwrap_or(false) {
                                        data.remove.dispatch(id.get_value());
                                    }
                                }
                            >
                                "Remove"
                            </button>
                        }
                    })}
                {result}
            </td>
        </tr>
    }
}

/// Adds a connection, or changes the one being edited.
#[component]
fn Editor(data: Data) -> impl IntoView {
    let hydrated = use_hydrated();
    let f = data.form;
    let save = data.save;
    let error = move |field: &'static str| Signal::derive(move || field_error(save.value().get(), field));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch((f.editing.get_untracked(), f.read()));
    };
    let editing = move || f.editing.with(Option::is_some);
    view! {
        <section class="card">
            <h2>{move || if editing() { "Edit the connection" } else { "Add a connection" }}</h2>
            <form on:submit=on_submit data-testid="connection-form">
                <div class="field">
                    <label for="connection-kind">"Kind"</label>
                    <select
                        id="connection-kind"
                        data-testid="connection-kind"
                        prop:value=move || f.kind.get()
                        disabled=editing
                        on:change=move |ev| f.kind.set(event_target_value(&ev))
                    >
                        <option value="anthropic">"Anthropic"</option>
                        <option value="openai">"OpenAI-compatible (OpenAI, vLLM, llama.cpp, Groq, …)"</option>
                        <option value="ollama">"Ollama"</option>
                        <option value="bedrock">"Amazon Bedrock"</option>
                    </select>
                </div>
                <TextField label="Name (prefixes its model ids)" testid="connection-name" value=f.name server=error("name")/>
                <TextField
                    label="Base URL (blank: the kind's default)"
                    testid="connection-base-url"
                    value=f.base_url
                    server=error("base_url")
                />
                <TextField label="Region (Bedrock only)" testid="connection-region" value=f.region server=error("region")/>
                <TextField
                    label="API key (Bedrock: ACCESS_KEY_ID:SECRET; on an edit, blank keeps the saved key)"
                    testid="connection-key"
                    kind="password"
                    autocomplete="new-password"
                    value=f.api_key
                    server=error("api_key")
                />
                <TextField
                    label="Models (comma-separated; named ones are added to the catalog; blank: pick them in Admin → Models)"
                    testid="connection-models"
                    value=f.models
                    server=error("models")
                />
                {move || {
                    top_error(save.value().get(), FIELDS).map(|e| view! { <p class="form-error" role="alert">{e}</p> })
                }}
                <div class="form-actions">
                    <button
                        type="submit"
                        class="button primary"
                        data-testid="save-connection"
                        disabled=move || !hydrated.get() || save.pending().get()
                    >
                        {move || if editing() { "Save changes" } else { "Add connection" }}
                    </button>
                    {move || {
                        editing()
                            .then(|| {
                                view! {
                                    <button type="button" class="button ghost" on:click=move |_| f.clear()>
                                        "Cancel"
                                    </button>
                                }
                            })
                    }}
                </div>
            </form>
        </section>
    }
}
