//! `/admin`, pipelines: the hosts HTTP request nodes may reach, one a line, with Save.

use leptos::{html, prelude::*};

use crate::{
    api::pipelines::{pipeline_http_hosts, set_pipeline_http_hosts},
    components::{top_error, use_hydrated},
    error::AppError,
};

/// The section's data and action (see `AdminData`).
#[derive(Clone, Copy)]
pub struct PipelineHostsData {
    pub hosts: Resource<Result<Vec<String>, AppError>>,
    save: Action<String, Result<Vec<String>, AppError>>,
}

impl PipelineHostsData {
    pub fn new() -> Self {
        let hosts = Resource::new(|| (), |_| pipeline_http_hosts());
        let save = Action::new(|text: &String| set_pipeline_http_hosts(text.clone()));
        Self { hosts, save }
    }
}

#[component]
pub fn PipelineHosts(hosts: Result<Vec<String>, AppError>, data: PipelineHostsData) -> impl IntoView {
    let hydrated = use_hydrated();
    let save = data.save;
    let Ok(hosts) = hosts else {
        return view! { <p class="form-error">"Could not load the hosts pipelines may reach."</p> }.into_any();
    };
    let start = hosts.join("\n");
    // Read from the page at submit, so text typed before hydration counts too.
    let area = NodeRef::<html::Textarea>::new();
    // What is stored now: the list as loaded, then as each save left it.
    let stored = move || match save.value().get() {
        Some(Ok(list)) => list,
        _ => hosts.clone(),
    };
    view! {
        <section class="card">
            <h2>"Pipelines"</h2>
            <form on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                if let Some(area) = area.get_untracked() {
                    save.dispatch(area.value());
                }
            }>
                <label class="field">
                    <span>"Hosts HTTP request nodes may reach (one a line; *.example.com for every name under a domain)"</span>
                    <textarea rows="5" class="code" data-testid="pipeline-hosts" node_ref=area>{start}</textarea>
                </label>
                <p class="muted">
                    "Requests still go through the crawler's address checks: private and local addresses are \
                     refused unless WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS names them."
                </p>
                {move || top_error(save.value().get(), &[]).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="row">
                    <button
                        type="submit"
                        class="button primary"
                        data-testid="save-pipeline-hosts"
                        disabled=move || !hydrated.get() || save.pending().get()
                    >
                        "Save"
                    </button>
                    <span class="muted" data-testid="pipeline-hosts-stored">
                        {move || {
                            let list = stored();
                            if list.is_empty() { "None allowed.".to_owned() } else { format!("Allowed: {}", list.join(", ")) }
                        }}
                    </span>
                </div>
            </form>
        </section>
    }
    .into_any()
}
