//! The builder's side panel: the selected node's settings as a form (or the pipeline's name and
//! description when no single node is selected), and the list of problems. Each field is applied
//! when it changes, as one undo step.

use leptos::prelude::*;
use webplus::domain::pipeline::{Case, Field, HttpMethod, Interface, Node, NodeKind, OnError, Port, Problem};

use super::{
    edit::{format_ports, parse_ports},
    editor::Editor,
};

/// Changes one node's settings.
#[derive(Clone, Copy)]
struct Setter {
    editor: Editor,
    id: StoredValue<String>,
    node: RwSignal<Node>,
}

impl Setter {
    fn apply(self, f: impl FnOnce(&mut Node)) {
        let before = self.node.get_untracked();
        let mut n = before.clone();
        f(&mut n);
        if n != before {
            self.editor.set_node(&self.id.get_value(), n);
        }
    }
}

fn text_field(
    label: &'static str,
    testid: &'static str,
    value: String,
    on: impl Fn(String) + Send + Sync + 'static,
) -> AnyView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input type="text" value=value data-testid=testid on:change=move |e| on(event_target_value(&e))/>
        </label>
    }
    .into_any()
}

fn text_area(
    label: &'static str,
    testid: &'static str,
    value: String,
    on: impl Fn(String) + Send + Sync + 'static,
) -> AnyView {
    view! {
        <label class="field">
            <span>{label}</span>
            <textarea rows="5" data-testid=testid on:change=move |e| on(event_target_value(&e))>
                {value}
            </textarea>
        </label>
    }
    .into_any()
}

/// A list of ports, a line each (`name: type`, `name?: type` when optional).
fn ports_field(
    label: &'static str,
    testid: &'static str,
    value: String,
    on: impl Fn(Vec<webplus::domain::pipeline::Port>) + Send + Sync + 'static,
) -> AnyView {
    let error = RwSignal::new(None::<String>);
    view! {
        <label class="field">
            <span>{label} <small class="muted">" (a line each: name: type; name?: type if optional)"</small></span>
            <textarea
                rows="3"
                data-testid=testid
                on:change=move |e| match parse_ports(&event_target_value(&e)) {
                    Ok(ports) => {
                        error.set(None);
                        on(ports);
                    }
                    Err(m) => error.set(Some(m)),
                }
            >
                {value}
            </textarea>
            {move || error.get().map(|m| view! { <span class="form-error" role="alert">{m}</span> })}
        </label>
    }
    .into_any()
}

/// An optional JSON value (empty: none); JSON that does not parse is shown under it and nothing
/// changes.
fn json_area(
    label: &'static str,
    testid: &'static str,
    value: Option<&serde_json::Value>,
    on: impl Fn(Option<serde_json::Value>) + Send + Sync + 'static,
) -> AnyView {
    let error = RwSignal::new(None::<String>);
    let text = value.map(|v| serde_json::to_string_pretty(v).unwrap_or_default()).unwrap_or_default();
    view! {
        <label class="field">
            <span>{label}</span>
            <textarea
                rows="5"
                class="code"
                data-testid=testid
                on:change=move |e| {
                    let text = event_target_value(&e);
                    if text.trim().is_empty() {
                        error.set(None);
                        return on(None);
                    }
                    match serde_json::from_str(&text) {
                        Ok(v) => {
                            error.set(None);
                            on(Some(v));
                        }
                        Err(e) => error.set(Some(format!("not JSON: {e}"))),
                    }
                }
            >
                {text}
            </textarea>
            {move || error.get().map(|m| view! { <span class="form-error" role="alert">{m}</span> })}
        </label>
    }
    .into_any()
}

/// What the node forms' pickers offer.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// Chat models the user may pick (ids).
    pub models: Vec<String>,
    /// Knowledge bases the user may read: (id, name).
    pub knowledge_bases: Vec<(String, String)>,
    /// Pipelines the user may run (besides this one): (id, fields and results).
    pub pipelines: Vec<(String, Interface)>,
}

/// A field parsed from text; what is wrong is shown under it and nothing changes.
fn parsed_field<T: 'static>(
    label: &'static str,
    testid: &'static str,
    value: String,
    parse: impl Fn(&str) -> Result<T, String> + Send + Sync + 'static,
    on: impl Fn(T) + Send + Sync + 'static,
) -> AnyView {
    let error = RwSignal::new(None::<String>);
    view! {
        <label class="field">
            <span>{label}</span>
            <input
                type="text"
                value=value
                data-testid=testid
                on:change=move |e| match parse(event_target_value(&e).trim()) {
                    Ok(v) => {
                        error.set(None);
                        on(v);
                    }
                    Err(m) => error.set(Some(m)),
                }
            />
            {move || error.get().map(|m| view! { <span class="form-error" role="alert">{m}</span> })}
        </label>
    }
    .into_any()
}

fn optional_number<T: std::str::FromStr>(s: &str) -> Result<Option<T>, String> {
    if s.is_empty() { Ok(None) } else { s.parse().map(Some).map_err(|_| format!("{s:?} is not a number")) }
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("{s:?} is not a whole number"))
}

#[component]
pub fn SettingsPanel(editor: Editor, choices: Choices) -> impl IntoView {
    let choices = StoredValue::new(choices);
    move || {
        let selected = editor.selected.get();
        let id = (selected.len() == 1).then(|| selected.into_iter().next()).flatten();
        let item = id.as_ref().and_then(|id| editor.index.with(|i| i.get(id).cloned()));
        match item {
            Some(item) => {
                let set = Setter { editor, id: StoredValue::new(item.id.to_string()), node: item.node };
                node_form(set, item.node.get_untracked(), choices).into_any()
            }
            None if editor.scope.with(Vec::is_empty) => pipeline_form(editor).into_any(),
            None => body_form(editor).into_any(),
        }
    }
}

/// With a body open and nothing selected: what the body is and how it connects to its group.
fn body_form(editor: Editor) -> impl IntoView {
    let group = editor.path().pop().unwrap_or_default();
    let count = move || editor.nodes.with(Vec::len);
    view! {
        <section class="settings" data-testid="body-settings">
            <h2>{format!("Body of {group}")}</h2>
            <p class="muted">
                "Its Input node gets what the group gives each round (a Loop: its inputs, then each \
                 round's results) or each item (an Iterate: item, index and its other inputs). Its \
                 Output nodes give back the results the group's outputs are made of, by name."
            </p>
            <p class="muted">{move || format!("{} nodes. Select one to change its settings.", count())}</p>
            <button type="button" class="button small" data-testid="close-body" on:click=move |_| editor.close()>
                "Back to the level above"
            </button>
        </section>
    }
}

fn pipeline_form(editor: Editor) -> impl IntoView {
    let count = move || editor.nodes.with(Vec::len);
    let name = editor.name.get_untracked();
    let description = editor.description.get_untracked();
    let publish_as = editor.publish_as.get_untracked();
    view! {
        <section class="settings" data-testid="pipeline-settings">
            <h2>"Pipeline"</h2>
            {text_field(
                "Name",
                "pipeline-name",
                name,
                move |v| {
                    editor.checkpoint();
                    editor.name.set(v);
                },
            )}
            {text_area(
                "Description",
                "pipeline-description",
                description,
                move |v| {
                    editor.checkpoint();
                    editor.description.set(v);
                },
            )}
            {text_field(
                "Publish as a model (blank: not published)",
                "pipeline-publish-as",
                publish_as,
                move |v| {
                    editor.checkpoint();
                    editor.publish_as.set(v);
                },
            )}
            <p class="muted">
                {move || match editor.publish_as.with(|m| m.trim().to_owned()) {
                    m if m.is_empty() => "OpenAI clients can call a published pipeline with your API key.".to_owned(),
                    m => format!("OpenAI clients call it as the model pipeline:{m} once saved (/v1/chat/completions)."),
                }}
            </p>
            <p class="muted">{move || format!("{} nodes. Select one to change its settings.", count())}</p>
        </section>
    }
}

fn node_form(set: Setter, node: Node, choices: StoredValue<Choices>) -> impl IntoView {
    let kind_fields = kind_form(set, &node, choices);
    let on_error = match &node.on_error {
        OnError::Fail => "fail",
        OnError::Default { .. } => "default",
        OnError::Branch => "branch",
    };
    let json = serde_json::to_string_pretty(&node).unwrap_or_default();
    let json_error = RwSignal::new(None::<String>);
    view! {
        <section class="settings" data-testid="node-settings">
            <h2>{format!("{} · {}", node.kind_name(), node.id)}</h2>
            {text_field(
                "Label",
                "node-label",
                node.label.clone().unwrap_or_default(),
                move |v| set.apply(|n| n.label = Some(v).filter(|l| !l.trim().is_empty())),
            )}
            {kind_fields}
            <details class="node-advanced">
                <summary>"Timeout, retries, errors"</summary>
                {parsed_field(
                    "Timeout (seconds, empty: 10 minutes)",
                    "node-timeout",
                    node.timeout_ms.map(|t| (t / 1000).to_string()).unwrap_or_default(),
                    optional_number::<u64>,
                    move |v| set.apply(|n| n.timeout_ms = v.map(|s| s * 1000)),
                )}
                {parsed_field(
                    "Retries",
                    "node-retries",
                    node.retry.max.to_string(),
                    number::<u32>,
                    move |v| set.apply(|n| n.retry.max = v),
                )}
                {parsed_field(
                    "First wait before a retry (ms)",
                    "node-backoff",
                    node.retry.backoff_ms.to_string(),
                    number::<u64>,
                    move |v| set.apply(|n| n.retry.backoff_ms = v),
                )}
                <label class="field">
                    <span>"When it fails"</span>
                    <select
                        data-testid="node-on-error"
                        on:change=move |e| {
                            let policy = event_target_value(&e);
                            set.apply(|n| {
                                n.on_error = match policy.as_str() {
                                    "branch" => OnError::Branch,
                                    "default" => OnError::Default { outputs: Default::default() },
                                    _ => OnError::Fail,
                                }
                            })
                        }
                    >
                        <option value="fail" selected={on_error == "fail"}>"Fail the run"</option>
                        <option value="default" selected={on_error == "default"}>"Use default values (JSON below)"</option>
                        <option value="branch" selected={on_error == "branch"}>"Take its error output"</option>
                    </select>
                </label>
            </details>
            <details class="node-advanced">
                <summary>"As JSON"</summary>
                <textarea
                    rows="12"
                    class="code"
                    data-testid="node-json"
                    on:change=move |e| {
                        match serde_json::from_str::<Node>(&event_target_value(&e)) {
                            Ok(n) => {
                                json_error.set(None);
                                set.apply(|old| *old = Node { id: old.id.clone(), position: old.position, ..n });
                            }
                            Err(err) => json_error.set(Some(format!("not a node: {err}"))),
                        }
                    }
                >
                    {json}
                </textarea>
                {move || json_error.get().map(|m| view! { <span class="form-error" role="alert">{m}</span> })}
            </details>
        </section>
    }
}

fn kind_form(set: Setter, node: &Node, choices: StoredValue<Choices>) -> AnyView {
    macro_rules! with_kind {
        ($n:ident, $pat:pat => $body:expr) => {
            set.apply(|$n| {
                if let $pat = &mut $n.kind {
                    $body
                }
            })
        };
    }
    let inputs_field = |ports: &[webplus::domain::pipeline::Port]| {
        ports_field("Inputs", "node-inputs", format_ports(ports), move |p| {
            set.apply(|n| {
                if let Some(inputs) = n.inputs_mut() {
                    *inputs = p;
                }
            })
        })
    };
    let outputs_field = |ports: &[webplus::domain::pipeline::Port]| {
        ports_field("Outputs", "node-outputs", format_ports(ports), move |p| {
            set.apply(|n| match &mut n.kind {
                NodeKind::Code { outputs, .. } | NodeKind::Loop { outputs, .. } | NodeKind::Iterate { outputs, .. } => {
                    *outputs = p
                }
                _ => {}
            })
        })
    };
    let body_note = move || {
        view! {
            <p class="muted">"Its body is the nodes run each round or for each item."</p>
            <button
                type="button"
                class="button small"
                data-testid="open-body"
                on:click=move |_| {
                    set.editor.open(&set.id.get_value());
                }
            >
                "Open its body on the canvas"
            </button>
        }
    };
    match &node.kind {
        NodeKind::Input { fields } => {
            let ports: Vec<_> = fields
                .iter()
                .map(|f| webplus::domain::pipeline::Port { name: f.name.clone(), ty: f.ty, required: f.required })
                .collect();
            ports_field("Fields (the run form)", "node-fields", format_ports(&ports), move |p| {
                with_kind!(n, NodeKind::Input { fields } => {
                    let old = std::mem::take(fields);
                    *fields = p
                        .into_iter()
                        .map(|p| Field {
                            default: old.iter().find(|f| f.name == p.name).and_then(|f| f.default.clone()),
                            name: p.name,
                            ty: p.ty,
                            required: p.required,
                        })
                        .collect();
                })
            })
        }
        NodeKind::Output { results } => ports_field(
            "Results",
            "node-results",
            format_ports(results),
            move |p| with_kind!(n, NodeKind::Output { results } => *results = p),
        ),
        NodeKind::Llm { model, system, prompt, inputs, params, output_schema } => {
            let current = model.clone();
            let mut options = choices.with_value(|c| c.models.clone());
            if !options.contains(&current) {
                options.insert(0, current.clone());
            }
            view! {
                <label class="field">
                    <span>"Model"</span>
                    <select
                        data-testid="node-model"
                        on:change=move |e| {
                            let m = event_target_value(&e);
                            with_kind!(n, NodeKind::Llm { model, .. } => *model = m)
                        }
                    >
                        {options
                            .into_iter()
                            .map(|m| {
                                let selected = m == current;
                                view! { <option value=m.clone() selected=selected>{m.clone()}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                {text_area(
                    "System (a template)",
                    "node-system",
                    system.clone(),
                    move |v| with_kind!(n, NodeKind::Llm { system, .. } => *system = v),
                )}
                {text_area(
                    "Prompt (a template over the inputs: {{ name }})",
                    "node-prompt",
                    prompt.clone(),
                    move |v| with_kind!(n, NodeKind::Llm { prompt, .. } => *prompt = v),
                )}
                {inputs_field(inputs)}
                {parsed_field(
                    "Temperature (empty: the model's default)",
                    "node-temperature",
                    params.temperature.map(|t| t.to_string()).unwrap_or_default(),
                    optional_number::<f32>,
                    move |v| with_kind!(n, NodeKind::Llm { params, .. } => params.temperature = v),
                )}
                {parsed_field(
                    "Most tokens (empty: the model's default)",
                    "node-max-tokens",
                    params.max_tokens.map(|t| t.to_string()).unwrap_or_default(),
                    optional_number::<u32>,
                    move |v| with_kind!(n, NodeKind::Llm { params, .. } => params.max_tokens = v),
                )}
                {json_area(
                    "Output JSON Schema (empty: text only; set: the reply must be JSON that matches, output as json)",
                    "node-output-schema",
                    output_schema.as_ref(),
                    move |v| with_kind!(n, NodeKind::Llm { output_schema, .. } => *output_schema = v),
                )}
            }
            .into_any()
        }
        NodeKind::Template { template, inputs } => view! {
            {text_area(
                "Template ({{ name }} writes an input)",
                "node-template",
                template.clone(),
                move |v| with_kind!(n, NodeKind::Template { template, .. } => *template = v),
            )}
            {inputs_field(inputs)}
        }
        .into_any(),
        NodeKind::Condition { expression, inputs } => view! {
            {text_field(
                "Expression (for example: text != \"\")",
                "node-expression",
                expression.clone(),
                move |v| with_kind!(n, NodeKind::Condition { expression, .. } => *expression = v),
            )}
            {inputs_field(inputs)}
        }
        .into_any(),
        NodeKind::Switch { cases, inputs } => {
            let text = cases.iter().map(|c| format!("{}: {}", c.name, c.expression)).collect::<Vec<_>>().join("\n");
            view! {
                {text_area(
                    "Cases (a line each: name: expression)",
                    "node-cases",
                    text,
                    move |v| {
                        let parsed: Vec<Case> = v
                            .lines()
                            .filter_map(|l| l.split_once(':'))
                            .map(|(name, e)| Case { name: name.trim().to_owned(), expression: e.trim().to_owned() })
                            .collect();
                        with_kind!(n, NodeKind::Switch { cases, .. } => *cases = parsed)
                    },
                )}
                {inputs_field(inputs)}
            }
            .into_any()
        }
        NodeKind::Code { script, inputs, outputs } => view! {
            {text_area(
                "Script (Rhai; the inputs are variables)",
                "node-script",
                script.clone(),
                move |v| with_kind!(n, NodeKind::Code { script, .. } => *script = v),
            )}
            {inputs_field(inputs)}
            {outputs_field(outputs)}
        }
        .into_any(),
        NodeKind::Retrieve { knowledge_bases, query, inputs, k } => {
            let chosen = knowledge_bases.clone();
            view! {
                <fieldset class="field">
                    <legend>"Knowledge bases"</legend>
                    {choices.with_value(|c| c.knowledge_bases.clone())
                        .into_iter()
                        .map(|(id, name)| {
                            let checked = chosen.contains(&id);
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        checked=checked
                                        data-testid="node-kb"
                                        on:change=move |e| {
                                            let on = event_target_checked(&e);
                                            let id = id.clone();
                                            with_kind!(n, NodeKind::Retrieve { knowledge_bases, .. } => {
                                                knowledge_bases.retain(|k| *k != id);
                                                if on {
                                                    knowledge_bases.push(id);
                                                }
                                            })
                                        }
                                    />
                                    {name}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                {text_field(
                    "Query (a template over the inputs)",
                    "node-query",
                    query.clone(),
                    move |v| with_kind!(n, NodeKind::Retrieve { query, .. } => *query = v),
                )}
                {parsed_field(
                    "Passages (k)",
                    "node-k",
                    k.to_string(),
                    number::<u32>,
                    move |v| with_kind!(n, NodeKind::Retrieve { k, .. } => *k = v),
                )}
                {inputs_field(inputs)}
            }
            .into_any()
        }
        NodeKind::Http { method, url, body, inputs } => {
            let post = *method == HttpMethod::Post;
            view! {
                <label class="field">
                    <span>"Method"</span>
                    <select
                        data-testid="node-method"
                        on:change=move |e| {
                            let m = if event_target_value(&e) == "POST" { HttpMethod::Post } else { HttpMethod::Get };
                            with_kind!(n, NodeKind::Http { method, .. } => *method = m)
                        }
                    >
                        <option value="GET" selected=!post>"GET"</option>
                        <option value="POST" selected=post>"POST"</option>
                    </select>
                </label>
                {text_field(
                    "URL (a template; its host must be one an admin allowed)",
                    "node-url",
                    url.clone(),
                    move |v| with_kind!(n, NodeKind::Http { url, .. } => *url = v),
                )}
                {text_area(
                    "Body (POST; a template, sent as JSON when it is JSON)",
                    "node-body",
                    body.clone(),
                    move |v| with_kind!(n, NodeKind::Http { body, .. } => *body = v),
                )}
                {inputs_field(inputs)}
            }
            .into_any()
        }
        NodeKind::Pipeline { pipeline, inputs, outputs } => {
            let current = pipeline.clone();
            let offered = choices.with_value(|c| c.pipelines.clone());
            let known = offered.iter().any(|(id, _)| *id == current);
            view! {
                <label class="field">
                    <span>"Pipeline to run (its latest version)"</span>
                    <select
                        data-testid="node-pipeline"
                        on:change=move |e| {
                            let picked = event_target_value(&e);
                            let Some(iface) = choices
                                .with_value(|c| c.pipelines.iter().find(|(id, _)| *id == picked).map(|(_, i)| i.clone()))
                            else {
                                return;
                            };
                            // Its fields become the inputs, its results the outputs.
                            let ins: Vec<Port> = iface
                                .fields
                                .iter()
                                .map(|f| Port { name: f.name.clone(), ty: f.ty, required: f.required && f.default.is_none() })
                                .collect();
                            let outs = iface.results.clone();
                            with_kind!(n, NodeKind::Pipeline { pipeline, inputs, outputs } => {
                                *pipeline = picked;
                                *inputs = ins;
                                *outputs = outs;
                            })
                        }
                    >
                        <option value="" selected=current.is_empty()>"Pick a pipeline"</option>
                        {(!known && !current.is_empty())
                            .then(|| view! { <option value=current.clone() selected=true>{current.clone()}</option> })}
                        {offered
                            .into_iter()
                            .map(|(id, iface)| {
                                let selected = id == current;
                                view! { <option value=id selected=selected>{iface.name}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                {inputs_field(inputs)}
                {outputs_field(outputs)}
            }
            .into_any()
        }
        NodeKind::Loop { inputs, outputs, until, max_iterations, .. } => view! {
            {text_field(
                "Stop when (an expression over the body's results)",
                "node-until",
                until.clone(),
                move |v| with_kind!(n, NodeKind::Loop { until, .. } => *until = v),
            )}
            {parsed_field(
                "Most rounds",
                "node-max-iterations",
                max_iterations.to_string(),
                number::<u32>,
                move |v| with_kind!(n, NodeKind::Loop { max_iterations, .. } => *max_iterations = v),
            )}
            {inputs_field(inputs)}
            {outputs_field(outputs)}
            {body_note()}
        }
        .into_any(),
        NodeKind::Iterate { inputs, outputs, concurrency, .. } => view! {
            {parsed_field(
                "Items at once",
                "node-concurrency",
                concurrency.to_string(),
                number::<u32>,
                move |v| with_kind!(n, NodeKind::Iterate { concurrency, .. } => *concurrency = v),
            )}
            {inputs_field(inputs)}
            {outputs_field(outputs)}
            {body_note()}
        }
        .into_any(),
    }
}

/// Every problem, each naming its node and port; a click shows the node's level and selects it.
#[component]
pub fn ProblemsPanel(editor: Editor, problems: Memo<Vec<Problem>>) -> impl IntoView {
    view! {
        <section class="problems" data-testid="problems">
            <h2>{move || format!("Problems ({})", problems.with(Vec::len))}</h2>
            {move || {
                problems.with(|ps| {
                    if ps.is_empty() {
                        return view! { <p class="muted">"None: the pipeline can be saved and run."</p> }.into_any();
                    }
                    view! {
                        <ul>
                            {ps.iter()
                                .map(|p| {
                                    let node = p.node.clone();
                                    let text = p.to_string();
                                    view! {
                                        <li>
                                            <button
                                                type="button"
                                                class="link-button"
                                                data-testid="problem"
                                                on:click=move |_| {
                                                    if let Some(path) = &node {
                                                        editor.reveal(path);
                                                    }
                                                }
                                            >
                                                {text}
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                    .into_any()
                })
            }}
        </section>
    }
}
