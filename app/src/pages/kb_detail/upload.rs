//! Uploading files: a multipart `FormData` posted with `fetch` to
//! `/api/v1/knowledge-bases/{id}/documents` (same origin, so the session cookies authenticate it).
//! The job it answers with becomes the one the progress panel follows.

use leptos::{html, prelude::*};

use crate::{
    api::kb::jobs::get_job,
    components::{post_body, use_hydrated},
    dto::JobDto,
};

#[component]
pub fn Upload(kb_id: String, job: RwSignal<Option<JobDto>>) -> impl IntoView {
    let hydrated = use_hydrated();
    let input = NodeRef::<html::Input>::new();
    let chosen = RwSignal::new(0u32);
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // A plain task, not an Action: the `FormData` is a browser object (`!Send`).
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(el) = input.get_untracked() else { return };
        let Some(form) = el.files().and_then(|files| form_data(&files)) else { return };
        let kb_id = kb_id.clone();
        pending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let started = match post_files(&kb_id, &form).await {
                Ok(job_id) => get_job(job_id).await.map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            pending.try_set(false);
            match started {
                Ok(j) => {
                    job.try_set(Some(j));
                    el.set_value("");
                    chosen.try_set(0);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <form class="upload-form" on:submit=on_submit data-testid="upload-form">
            <h3>"Upload files"</h3>
            <p class="muted">"PDF, Word, HTML, Markdown or text; several at once."</p>
            <fieldset disabled=move || !hydrated.get() || pending.get()>
                <input
                    type="file"
                    multiple
                    node_ref=input
                    data-testid="upload-input"
                    aria-label="Files to upload"
                    on:change=move |_| {
                        chosen.set(input.get_untracked().and_then(|el| el.files()).map_or(0, |f| f.length()));
                    }
                />
                <button
                    type="submit"
                    class="button primary"
                    data-testid="upload"
                    disabled=move || chosen.get() == 0
                >
                    {move || if pending.get() { "Uploading…" } else { "Upload" }}
                </button>
            </fieldset>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </form>
    }
}

/// Every chosen file as a `file` part with its name; None when none is chosen.
fn form_data(files: &web_sys::FileList) -> Option<web_sys::FormData> {
    let form = web_sys::FormData::new().ok()?;
    for f in (0..files.length()).filter_map(|i| files.item(i)) {
        form.append_with_blob_and_filename("file", &f, &f.name()).ok()?;
    }
    (files.length() > 0).then_some(form)
}

/// Posts the files; the job id on success, the server's message otherwise.
async fn post_files(kb_id: &str, files: &web_sys::FormData) -> Result<String, String> {
    let url = format!("/api/v1/knowledge-bases/{kb_id}/documents");
    let body = post_body(&url, files, None, "the upload failed").await?;
    body["job_id"].as_str().map(String::from).ok_or_else(|| "unexpected answer".to_string())
}
