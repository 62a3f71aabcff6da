//! The job being followed: a progress bar polled every 500 ms until the job is done, failed or
//! cancelled, its counts, the pages or files that failed (and why), and a Cancel button.

use leptos::prelude::*;

use crate::{
    api::kb::jobs::{cancel_job, get_job},
    components::use_hydrated,
    dto::{JobDto, JobKind},
    error::AppError,
};

const POLL_MS: i32 = 500;

#[component]
pub fn JobPanel(job: RwSignal<Option<JobDto>>, on_finished: Callback<()>) -> impl IntoView {
    let hydrated = use_hydrated();
    // Changes only when another job is followed or this one ends: one polling loop per job.
    let running = Memo::new(move |_| job.with(|j| j.as_ref().filter(|j| !j.is_finished()).map(|j| j.id.clone())));
    Effect::new(move |_| {
        if let Some(id) = running.get() {
            leptos::task::spawn_local(poll(id, job, on_finished));
        }
    });
    // A job handed in already over (a small upload can finish before its first poll) is never
    // polled: its results are there to show now. Not for the job the page opened with.
    Effect::new(move |prev: Option<Option<String>>| {
        let id = job.with(|j| j.as_ref().map(|j| j.id.clone()));
        if prev.is_some_and(|p| p != id) && job.with_untracked(|j| j.as_ref().is_some_and(JobDto::is_finished)) {
            on_finished.run(());
        }
        id
    });
    let cancel = Action::new(|id: &String| cancel_job(id.clone()));
    Effect::new(move |_| {
        // Cancellation is cooperative: keep following until the job says it stopped.
        if let Some(Ok(j)) = cancel.value().get() {
            job.update(|cur| {
                if cur.as_ref().is_some_and(|c| c.id == j.id && !c.is_finished()) {
                    *cur = Some(j);
                }
            });
        }
    });

    let shown = Memo::new(move |_| job.with(|j| j.as_ref().map(|j| j.id.clone())));
    let field = move |f: fn(&JobDto) -> String| move || job.with(|j| j.as_ref().map(f).unwrap_or_default());
    let status = field(|j| j.status.as_str().to_string());
    let done = field(|j| j.done.to_string());
    let total = field(|j| j.total.to_string());
    let finished = move || job.with(|j| j.as_ref().is_some_and(JobDto::is_finished));
    // The bar is indeterminate (no value) until the job knows how much there is to do.
    let value =
        move || job.with(|j| j.as_ref().and_then(|j| (j.total > 0 || j.is_finished()).then(|| j.done.to_string())));
    let max = move || job.with(|j| j.as_ref().map_or(1, |j| j.total.max(j.done).max(1)).to_string());
    let counts = move || {
        job.with(|j| {
            j.as_ref().map(|j| {
                let unit = if j.kind == JobKind::Crawl { "pages" } else { "files" };
                format!("{} of {} {unit} · {} chunks", j.done, j.total, j.chunks)
            })
        })
    };
    let label = move || {
        job.with(|j| {
            j.as_ref().map(|j| {
                let kind = match j.kind {
                    JobKind::Crawl => "Crawl",
                    JobKind::Upload => "Upload",
                    JobKind::Reembed => "Re-embedding",
                };
                format!("{kind} {}", j.status.as_str())
            })
        })
    };

    move || {
        shown.get().map(|id| {
            view! {
                <div class="job" data-testid="job" data-status=status data-done=done data-total=total>
                    <div class="job-head">
                        <strong data-testid="job-status">{label}</strong>
                        <span class="muted" data-testid="job-counts">{counts}</span>
                        <Show when=move || !finished()>
                            <button
                                type="button"
                                class="button danger small"
                                data-testid="cancel-job"
                                disabled=move || !hydrated.get() || cancel.pending().get()
                                on:click={
                                    let id = id.clone();
                                    move |_| {
                                        cancel.dispatch(id.clone());
                                    }
                                }
                            >
                                "Cancel"
                            </button>
                        </Show>
                    </div>
                    <progress data-testid="job-progress" aria-label="Progress" max=max value=value></progress>
                    {move || {
                        job.with(|j| j.as_ref().and_then(|j| j.message.clone()))
                            .map(|m| view! { <p class="muted" data-testid="job-message">{m}</p> })
                    }}
                    <JobErrors job/>
                    {move || {
                        cancel.value().get().and_then(Result::err)
                            .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
                    }}
                </div>
            }
        })
    }
}

#[component]
fn JobErrors(job: RwSignal<Option<JobDto>>) -> impl IntoView {
    let errors = move || job.with(|j| j.as_ref().map(|j| j.errors.clone()).unwrap_or_default());
    move || {
        let errors = errors();
        (!errors.is_empty()).then(|| {
            view! {
                <details class="job-errors" open>
                    <summary>{format!("{} failed", errors.len())}</summary>
                    <ul data-testid="job-errors">
                        {errors
                            .into_iter()
                            .map(|e| {
                                view! {
                                    <li data-testid="job-error">
                                        <code class="job-error-url">{e.url}</code>
                                        " "
                                        <span>{e.error}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </details>
            }
        })
    }
}

/// Follows job `id` until it ends (then `on_finished`), another job is followed, or the page is gone.
async fn poll(id: String, job: RwSignal<Option<JobDto>>, on_finished: Callback<()>) {
    let following = |job: RwSignal<Option<JobDto>>| {
        job.try_with_untracked(|j| j.as_ref().is_some_and(|j| j.id == id)).unwrap_or(false)
    };
    let mut failures = 0;
    loop {
        sleep(POLL_MS * (1 + failures.min(10))).await;
        if !following(job) {
            return;
        }
        match get_job(id.clone()).await {
            Ok(j) => {
                failures = 0;
                let finished = j.is_finished();
                if !following(job) {
                    return;
                }
                job.set(Some(j));
                if finished {
                    on_finished.run(());
                    return;
                }
            }
            // The knowledge base (and its jobs) was deleted, or the session ended.
            Err(AppError::NotFound(_) | AppError::Unauthorized(_)) => return,
            // A network hiccup: try again, more slowly.
            Err(_) => failures += 1,
        }
    }
}

/// Resolves after `ms` milliseconds (browser only).
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
