//! `/admin/models`: the model catalog. Admins see every model users may pick (with what applies:
//! their own values, or the bundled price table's), enable and disable them, edit them, and add
//! what a connection's server lists with one click.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{
        connections::list_connections,
        models::{add_model, available_models, delete_model, enable_model, list_catalog, save_model},
    },
    components::{TextField, current_user_resource, field_error, logged_in, top_error, use_hydrated},
    dto::{AvailableModelDto, CatalogForm, CatalogModelDto, ConnectionDto, EMBEDDINGS},
    error::AppError,
};

/// The form's fields as the server names them (their errors show under the field).
const FIELDS: &[&str] = &[
    "name",
    "context_window",
    "max_output",
    "input_price_per_mtok",
    "output_price_per_mtok",
    "cached_input_price_per_mtok",
    "vision",
    "tools",
    "json_output",
    "access",
    "default_params",
    "fallbacks",
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
];

type Listed = (String, Result<Vec<AvailableModelDto>, AppError>);
/// The catalog and the connections whose models can be added.
type PageData = (Vec<CatalogModelDto>, Vec<ConnectionDto>);
type Saved = Result<CatalogModelDto, AppError>;

/// The page's data and actions, created once at the top of the page (see `logged_in`).
#[derive(Clone, Copy)]
struct Data {
    catalog: Resource<Result<PageData, AppError>>,
    add: Action<(String, String), Saved>,
    save: Action<(String, CatalogForm), Saved>,
    enable: Action<(String, bool), Saved>,
    remove: Action<String, Result<(), AppError>>,
    list: Action<String, Listed>,
    form: FormState,
}

/// The edit form: `editing` holds the id of the entry being changed.
#[derive(Clone, Copy)]
struct FormState {
    editing: RwSignal<Option<(String, String)>>,
    /// The entry is an embedding model's: only its name, input price, access and switch apply.
    embedding: RwSignal<bool>,
    name: RwSignal<String>,
    context_window: RwSignal<String>,
    max_output: RwSignal<String>,
    input_price: RwSignal<String>,
    output_price: RwSignal<String>,
    cached_price: RwSignal<String>,
    vision: RwSignal<String>,
    tools: RwSignal<String>,
    json_output: RwSignal<String>,
    enabled: RwSignal<bool>,
    access: RwSignal<String>,
    default_params: RwSignal<String>,
    fallbacks: RwSignal<String>,
}

impl FormState {
    fn new() -> Self {
        let text = || RwSignal::new(String::new());
        Self {
            editing: RwSignal::new(None),
            embedding: RwSignal::new(false),
            name: text(),
            context_window: text(),
            max_output: text(),
            input_price: text(),
            output_price: text(),
            cached_price: text(),
            vision: text(),
            tools: text(),
            json_output: text(),
            enabled: RwSignal::new(true),
            access: RwSignal::new("everyone".to_owned()),
            default_params: text(),
            fallbacks: text(),
        }
    }

    /// Fills the form with what the administrator set (blank: from the table or the provider).
    fn fill(&self, m: &CatalogModelDto) {
        let set = |field: &str| m.overridden.iter().any(|f| f == field);
        let num = |field: &str, v: Option<String>| if set(field) { v.unwrap_or_default() } else { String::new() };
        let flag = |field: &str, v: bool| if set(field) { if v { "yes" } else { "no" } } else { "" }.to_owned();
        self.editing.set(Some((m.id.clone(), m.model.clone().unwrap_or_else(|| m.upstream_id.clone()))));
        self.embedding.set(m.kind == "embedding");
        self.name.set(if set("name") { m.name.clone() } else { String::new() });
        self.context_window.set(num("context_window", m.context_window.map(|n| n.to_string())));
        self.max_output.set(num("max_output", m.max_output.map(|n| n.to_string())));
        self.input_price.set(num("input_price_per_mtok", m.input_price_per_mtok.map(|p| p.to_string())));
        self.output_price.set(num("output_price_per_mtok", m.output_price_per_mtok.map(|p| p.to_string())));
        self.cached_price.set(num("cached_input_price_per_mtok", m.cached_input_price_per_mtok.map(|p| p.to_string())));
        self.vision.set(flag("vision", m.vision));
        self.tools.set(flag("tools", m.tools));
        self.json_output.set(flag("json_output", m.json_output));
        self.enabled.set(m.enabled);
        self.access.set(m.access.clone());
        self.default_params.set(if m.default_params == "{}" { String::new() } else { m.default_params.clone() });
        self.fallbacks.set(m.fallbacks.join(", "));
    }

    fn read(&self) -> CatalogForm {
        CatalogForm {
            name: self.name.get_untracked(),
            context_window: self.context_window.get_untracked(),
            max_output: self.max_output.get_untracked(),
            input_price_per_mtok: self.input_price.get_untracked(),
            output_price_per_mtok: self.output_price.get_untracked(),
            cached_input_price_per_mtok: self.cached_price.get_untracked(),
            vision: self.vision.get_untracked(),
            tools: self.tools.get_untracked(),
            json_output: self.json_output.get_untracked(),
            enabled: self.enabled.get_untracked(),
            access: self.access.get_untracked(),
            default_params: self.default_params.get_untracked(),
            fallbacks: self.fallbacks.get_untracked(),
        }
    }
}

#[component]
pub fn ModelsPage() -> impl IntoView {
    let me = current_user_resource();
    let catalog = Resource::new(
        || (),
        |_| async move {
            let models = list_catalog().await?;
            Ok((models, list_connections().await?))
        },
    );
    let add = Action::new(|(c, u): &(String, String)| add_model(c.clone(), u.clone()));
    let save = Action::new(|(id, f): &(String, CatalogForm)| save_model(id.clone(), f.clone()));
    let enable = Action::new(|(id, on): &(String, bool)| enable_model(id.clone(), *on));
    let remove = Action::new(|id: &String| delete_model(id.clone()));
    let list = Action::new(|id: &String| {
        let id = id.clone();
        async move { (id.clone(), available_models(id).await) }
    });
    let form = FormState::new();
    let refetch_on_success = move |ok: bool| {
        if ok {
            catalog.refetch();
        }
    };
    Effect::watch(move || add.value().get(), move |v, _, _| refetch_on_success(matches!(v, Some(Ok(_)))), false);
    Effect::watch(move || enable.value().get(), move |v, _, _| refetch_on_success(matches!(v, Some(Ok(_)))), false);
    Effect::watch(move || remove.value().get(), move |v, _, _| refetch_on_success(matches!(v, Some(Ok(())))), false);
    Effect::watch(
        move || save.value().get(),
        move |v, _, _| {
            if let Some(Ok(_)) = v {
                form.editing.set(None);
                catalog.refetch();
            }
        },
        false,
    );
    // What a connection lists changes once a model of it is added: list it again.
    Effect::watch(
        move || add.value().get(),
        move |v, _, _| {
            if let Some(Ok(_)) = v
                && let Some((id, _)) = list.value().get_untracked()
            {
                list.dispatch(id);
            }
        },
        false,
    );
    let data = Data { catalog, add, save, enable, remove, list, form };
    logged_in(me, move |user| {
        let body = if user.is_admin() {
            view! { <Sections data/> }.into_any()
        } else {
            view! { <p class="notice">"Only administrators can see this page."</p> }.into_any()
        };
        view! {
            <Title text="Models · Web+"/>
            <main class="page">
                <nav class="page-nav">
                    <a href="/admin">"← Administration"</a>
                </nav>
                <h1>"Models"</h1>
                <p class="muted">
                    "The models users may pick. Blank values come from the bundled price table (LiteLLM's) "
                    "or the provider. Models of connections added here are offered once they are in this list."
                </p>
                {body}
            </main>
        }
    })
}

/// Every section under one `Transition` (sibling ones hydrate out of step now and then).
#[component]
fn Sections(data: Data) -> impl IntoView {
    let content = move || {
        Suspend::new(async move {
            match data.catalog.await {
                Ok((models, connections)) => view! {
                    <CatalogTable models data/>
                    <Editor data/>
                    <Available connections data/>
                }
                .into_any(),
                Err(_) => view! { <p class="form-error">"Could not load the models."</p> }.into_any(),
            }
        })
    };
    view! { <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>{content}</Transition> }
}

fn dollars(p: Option<f64>) -> String {
    p.map_or_else(|| "?".to_owned(), |p| format!("${p}"))
}

#[component]
fn CatalogTable(models: Vec<CatalogModelDto>, data: Data) -> impl IntoView {
    let errors = move || {
        [data.enable.value().get().map(|r| r.map(|_| ())), data.remove.value().get()]
            .into_iter()
            .find_map(|r| top_error(r, &[]))
            .map(|e| view! { <p class="form-error" role="alert">{e}</p> })
    };
    let rows = if models.is_empty() {
        view! { <p class="muted" data-testid="no-models">"No models in the catalog yet: add one below."</p> }.into_any()
    } else {
        view! {
            <table class="table">
                <thead>
                    <tr>
                        <th>"Model"</th>
                        <th>"Context"</th>
                        <th>"$ / M tokens in · out"</th>
                        <th>"Abilities"</th>
                        <th>"Who"</th>
                        <th>"Enabled"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>{models.into_iter().map(|m| view! { <Row m data/> }).collect_view()}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="card">
            <h2>"Catalog"</h2>
            {errors}
            {rows}
        </section>
    }
}

#[component]
fn Row(m: CatalogModelDto, data: Data) -> impl IntoView {
    let hydrated = use_hydrated();
    let id = StoredValue::new(m.id.clone());
    let whole = StoredValue::new(m.clone());
    let abilities: Vec<&str> = [("vision", m.vision), ("tools", m.tools), ("JSON", m.json_output)]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
    let model = m.model.clone().unwrap_or_else(|| format!("{} (connection gone)", m.upstream_id));
    let enabled = m.enabled;
    let (context, prices) = match m.dimensions {
        Some(d) => (format!("embedding · {d} dimensions"), format!("{} in", dollars(m.input_price_per_mtok))),
        None => (
            m.context_window.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
            format!("{} · {}", dollars(m.input_price_per_mtok), dollars(m.output_price_per_mtok)),
        ),
    };
    view! {
        <tr data-testid="catalog-row" data-model=m.model.clone().unwrap_or_default()>
            <td>
                <strong>{m.name.clone()}</strong>
                <br/>
                <code>{model}</code>
                <span class="pill" hidden=m.served>"not served now"</span>
            </td>
            <td>{context}</td>
            <td>{prices}</td>
            <td>{abilities.join(", ")}</td>
            <td>{if m.access == "admins" { "administrators" } else { "everyone" }}</td>
            <td>
                <input
                    type="checkbox"
                    data-testid="model-enabled"
                    aria-label="Enabled"
                    prop:checked=enabled
                    disabled=move || !hydrated.get() || data.enable.pending().get()
                    on:change=move |ev| {
                        data.enable.dispatch((id.get_value(), event_target_checked(&ev)));
                    }
                />
            </td>
            <td class="actions">
                <button
                    type="button"
                    class="button small"
                    data-testid="edit-model"
                    disabled=move || !hydrated.get()
                    on:click=move |_| data.form.fill(&whole.get_value())
                >
                    "Edit"
                </button>
                <button
                    type="button"
                    class="button small danger"
                    data-testid="remove-model"
                    disabled=move || !hydrated.get() || data.remove.pending().get()
                    on:click=move |_| {
                        let question = format!(
                            "Remove “{}” from the catalog? Users can no longer pick it.",
                            whole.with_value(|m| m.name.clone()),
                        );
                        if window().confirm_with_message(&question).unwrap_or(false) {
                            data.remove.dispatch(id.get_value());
                        }
                    }
                >
                    "Remove"
                </button>
            </td>
        </tr>
    }
}

/// A select of "as the table says" / yes / no.
#[component]
fn Ability(label: &'static str, testid: &'static str, value: RwSignal<String>) -> impl IntoView {
    view! {
        <div class="field">
            <label for=testid>{label}</label>
            <select id=testid data-testid=testid prop:value=move || value.get() on:change=move |ev| value.set(event_target_value(&ev))>
                <option value="">"As the price table says"</option>
                <option value="yes">"Yes"</option>
                <option value="no">"No"</option>
            </select>
        </div>
    }
}

/// Changes the entry being edited (shown once "Edit" is clicked).
#[component]
fn Editor(data: Data) -> impl IntoView {
    let hydrated = use_hydrated();
    let f = data.form;
    let save = data.save;
    let error = move |field: &'static str| Signal::derive(move || field_error(save.value().get(), field));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some((id, _)) = f.editing.get_untracked() {
            save.dispatch((id, f.read()));
        }
    };
    let title = move || f.editing.get().map(|(_, model)| format!("Edit {model}")).unwrap_or_default();
    view! {
        <section class="card" hidden=move || f.editing.with(Option::is_none) data-testid="model-editor">
            <h2>{title}</h2>
            <form on:submit=on_submit data-testid="model-form">
                <TextField label="Display name (blank: the model id)" testid="model-name" value=f.name server=error("name")/>
                <TextField
                    label="Input price ($ per million tokens)"
                    testid="model-input-price"
                    value=f.input_price
                    server=error("input_price_per_mtok")
                />
                // What only chat models have (hidden for an embedding model, whose entry refuses it).
                <div hidden=move || f.embedding.get()>
                    <TextField label="Context window (tokens)" testid="model-context" value=f.context_window server=error("context_window")/>
                    <TextField label="Maximum output (tokens)" testid="model-max-output" value=f.max_output server=error("max_output")/>
                    <TextField
                        label="Output price ($ per million tokens)"
                        testid="model-output-price"
                        value=f.output_price
                        server=error("output_price_per_mtok")
                    />
                    <TextField
                        label="Cached input price ($ per million tokens)"
                        testid="model-cached-price"
                        value=f.cached_price
                        server=error("cached_input_price_per_mtok")
                    />
                    <Ability label="Vision" testid="model-vision" value=f.vision/>
                    <Ability label="Tools" testid="model-tools" value=f.tools/>
                    <Ability label="JSON output" testid="model-json" value=f.json_output/>
                </div>
                <div class="field">
                    <label for="model-access">"Who may use it"</label>
                    <select
                        id="model-access"
                        data-testid="model-access"
                        prop:value=move || f.access.get()
                        on:change=move |ev| f.access.set(event_target_value(&ev))
                    >
                        <option value="everyone">"Everyone"</option>
                        <option value="admins">"Administrators only"</option>
                    </select>
                </div>
                <div class="field">
                    <label>
                        <input
                            type="checkbox"
                            data-testid="model-form-enabled"
                            prop:checked=move || f.enabled.get()
                            on:change=move |ev| f.enabled.set(event_target_checked(&ev))
                        />
                        " Enabled"
                    </label>
                </div>
                <div hidden=move || f.embedding.get()>
                    <TextField
                        label="Default parameters (JSON, e.g. {\"temperature\": 0.2})"
                        testid="model-default-params"
                        value=f.default_params
                        server=error("default_params")
                    />
                    <TextField
                        label="Fallbacks (model ids, comma-separated, tried in order when this one fails before answering)"
                        testid="model-fallbacks"
                        value=f.fallbacks
                        server=error("fallbacks")
                    />
                </div>
                {move || {
                    top_error(save.value().get(), FIELDS).map(|e| view! { <p class="form-error" role="alert">{e}</p> })
                }}
                {move || {
                    save.value().get().and_then(|r| r.err()).and_then(|e| {
                        let field = e.field()?;
                        ["temperature", "top_p", "max_tokens", "stop", "seed", "presence_penalty", "frequency_penalty"]
                            .contains(&field)
                            .then(|| view! { <p class="form-error" role="alert">{format!("Default parameters: {e}")}</p> })
                    })
                }}
                <div class="form-actions">
                    <button
                        type="submit"
                        class="button primary"
                        data-testid="save-model"
                        disabled=move || !hydrated.get() || save.pending().get()
                    >
                        "Save changes"
                    </button>
                    <button type="button" class="button ghost" on:click=move |_| f.editing.set(None)>
                        "Cancel"
                    </button>
                </div>
            </form>
        </section>
    }
}

/// Each connection's listed models, with "Add" for those not in the catalog.
#[component]
fn Available(connections: Vec<ConnectionDto>, data: Data) -> impl IntoView {
    let hydrated = use_hydrated();
    let add_error =
        move || top_error(data.add.value().get(), &[]).map(|e| view! { <p class="form-error" role="alert">{e}</p> });
    // The embedders (from the server settings) first, then each connection: (id, name, what it is).
    let sources =
        std::iter::once((EMBEDDINGS.to_owned(), "Embedding models".to_owned(), "from the server settings".to_owned()))
            .chain(connections.into_iter().map(|c| (c.id, c.name, c.kind_label)));
    let rows = sources
        .map(|(id, name, kind_label)| {
            let id = StoredValue::new(id);
            let shown = move || data.list.value().get().filter(|(listed, _)| *listed == id.get_value());
            let models = move || {
                shown().map(|(_, r)| match r {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"The server lists no models."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="available" data-testid="available-models">
                            {list.into_iter().map(|m| view! { <AvailableRow m connection=id.get_value() data/> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="form-error" data-testid="available-error">{e.to_string()}</p> }.into_any(),
                })
            };
            view! {
                <li data-testid="available-connection" data-name=name.clone()>
                    <strong>{name.clone()}</strong>
                    " "
                    <span class="muted">{kind_label}</span>
                    " "
                    <button
                        type="button"
                        class="button small"
                        data-testid="list-available"
                        disabled=move || !hydrated.get() || data.list.pending().get()
                        on:click=move |_| {
                            data.list.dispatch(id.get_value());
                        }
                    >
                        "Show its models"
                    </button>
                    {models}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Available to add"</h2>
            <p class="muted">
                "What each connection's server lists, and the embedding models knowledge bases and /v1/embeddings use. "
                "Models from the server settings are offered without being added; add one to rename, reprice, restrict or disable it."
            </p>
            {add_error}
            <ul class="plain">{rows}</ul>
        </section>
    }
}

#[component]
fn AvailableRow(m: AvailableModelDto, connection: String, data: Data) -> impl IntoView {
    let hydrated = use_hydrated();
    let upstream = StoredValue::new(m.upstream_id.clone());
    let connection = StoredValue::new(connection);
    let state = if m.in_catalog {
        "in the catalog"
    } else if m.offered {
        "offered (from the settings)"
    } else {
        ""
    };
    view! {
        <li data-testid="available-model" data-model=m.model.clone()>
            <code>{m.model.clone()}</code>
            " "
            <span class="muted">{state}</span>
            <button
                type="button"
                class="button small"
                data-testid="add-model"
                hidden=m.in_catalog
                disabled=move || !hydrated.get() || data.add.pending().get()
                on:click=move |_| {
                    data.add.dispatch((connection.get_value(), upstream.get_value()));
                }
            >
                "Add"
            </button>
        </li>
    }
}
