//! Pulls as jobs: each runs in a task of its own (the admin page may close), its state kept in
//! memory (the last [`KEEP_JOBS`] of the server) and its progress broadcast at most every
//! [`EVENT_EVERY`] (the last state of a burst is sent when the interval ends, and the end at once).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;
use tokio::time::Instant;

use super::{Ollama, OllamaEvent, input, lock};
use crate::providers::ollama::PullProgress;
use crate::storage::new_id;
use crate::{Error, Result};

/// Pulls remembered per server (finished ones are forgotten first).
const KEEP_JOBS: usize = 50;
/// Shortest gap between two progress events of one pull.
const EVENT_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PullStatus {
    Running,
    Done,
    Failed,
}

/// A pull and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullJob {
    pub id: String,
    pub connection_id: String,
    /// The model as asked for (`qwen3:0.6b`).
    pub model: String,
    pub status: PullStatus,
    /// Ollama's last step: `pulling manifest`, `pulling 1a2b3c4d5e6f`, `verifying sha256 digest`…
    pub status_text: String,
    /// Bytes of the layer being downloaded: done so far and in all.
    pub completed: Option<u64>,
    pub total: Option<u64>,
    /// Why it failed, in plain words.
    pub error: Option<String>,
    /// Unix ms.
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Default)]
pub(super) struct Jobs(Mutex<VecDeque<PullJob>>);

impl Jobs {
    pub(super) fn get(&self, connection_id: &str, id: &str) -> Option<PullJob> {
        lock(&self.0).iter().find(|j| j.id == id && j.connection_id == connection_id).cloned()
    }

    /// The running pull of `model` on the connection, or a new job for it.
    fn begin(&self, connection_id: &str, model: &str) -> Result<(PullJob, bool)> {
        let mut jobs = lock(&self.0);
        let wanted = input::canonical(model);
        if let Some(running) = jobs.iter().find(|j| {
            j.connection_id == connection_id && j.status == PullStatus::Running && input::canonical(&j.model) == wanted
        }) {
            return Ok((running.clone(), false));
        }
        if jobs.len() >= KEEP_JOBS {
            let Some(oldest_finished) = jobs.iter().position(|j| j.status != PullStatus::Running) else {
                return Err(Error::Conflict(format!("{KEEP_JOBS} pulls are running; wait for one to finish")));
            };
            jobs.remove(oldest_finished);
        }
        let job = PullJob {
            id: new_id(),
            connection_id: connection_id.to_owned(),
            model: model.to_owned(),
            status: PullStatus::Running,
            status_text: "starting".to_owned(),
            completed: None,
            total: None,
            error: None,
            started_at: crate::time::now_ms(),
            finished_at: None,
        };
        jobs.push_back(job.clone());
        Ok((job, true))
    }

    /// Applies `change` to the job and returns it as it is now.
    fn update(&self, id: &str, change: impl FnOnce(&mut PullJob)) -> Option<PullJob> {
        let mut jobs = lock(&self.0);
        let job = jobs.iter_mut().find(|j| j.id == id)?;
        change(job);
        Some(job.clone())
    }
}

pub(super) fn start(ollama: Ollama, model: String) -> Result<PullJob> {
    let (job, new) = ollama.connections.inner.ollama.jobs.begin(&ollama.id, &model)?;
    if new {
        tracing::info!(connection = %ollama.name, model, by = %ollama.by, job = %job.id, "pulling an Ollama model");
        tokio::spawn(run(ollama, job.id.clone(), model));
    }
    Ok(job)
}

/// Follows the pull to its end.
async fn run(ollama: Ollama, job: String, model: String) {
    let jobs = &ollama.connections.inner.ollama.jobs;
    let mut progress = match ollama.admin.pull(&model).await {
        Ok(stream) => stream,
        Err(e) => return finish(&ollama, &job, &model, Err(ollama.error(e).to_string())).await,
    };
    let mut last_sent: Option<Instant> = None;
    let mut unsent = false;
    loop {
        let next = match last_sent.filter(|_| unsent) {
            Some(at) => tokio::select! {
                next = progress.next() => Some(next),
                () = tokio::time::sleep_until(at + EVENT_EVERY) => None,
            },
            None => Some(progress.next().await),
        };
        let report = match next {
            // The interval ended with a report not yet told.
            None => {
                send(&ollama, jobs.get(&ollama.id, &job));
                (last_sent, unsent) = (Some(Instant::now()), false);
                continue;
            }
            Some(None) => {
                return finish(&ollama, &job, &model, Err("Ollama closed the stream before the pull finished".into()))
                    .await;
            }
            Some(Some(Err(e))) => return finish(&ollama, &job, &model, Err(ollama.error(e).to_string())).await,
            Some(Some(Ok(report))) => report,
        };
        if report.is_success() {
            return finish(&ollama, &job, &model, Ok(report)).await;
        }
        let current = jobs.update(&job, |j| apply(j, report));
        if last_sent.is_none_or(|at| at.elapsed() >= EVENT_EVERY) {
            send(&ollama, current);
            (last_sent, unsent) = (Some(Instant::now()), false);
        } else {
            unsent = true;
        }
    }
}

fn apply(job: &mut PullJob, report: PullProgress) {
    job.status_text = report.status;
    job.completed = report.completed;
    job.total = report.total;
}

/// Ends the job. A pulled model is added to the catalog (the administrator asked for it) and put
/// in the registry first, so whoever sees `done` finds it in the model lists.
async fn finish(ollama: &Ollama, job: &str, model: &str, outcome: std::result::Result<PullProgress, String>) {
    let jobs = &ollama.connections.inner.ollama.jobs;
    let done = outcome.is_ok();
    if done && let Err(e) = ollama.connections.inner.catalog.ensure(&ollama.id, &[model.to_owned()]).await {
        tracing::error!(connection = %ollama.name, model, error = %e, "adding a pulled model to the catalog failed");
    }
    if done && let Err(e) = ollama.connections.reload().await {
        tracing::error!(connection = %ollama.name, error = %e, "rebuilding the registry after a pull failed");
    }
    let ended = jobs.update(job, |j| {
        match outcome {
            Ok(report) => {
                apply(j, report);
                j.status = PullStatus::Done;
            }
            Err(reason) => {
                tracing::warn!(connection = %ollama.name, model = %j.model, reason, "an Ollama pull failed");
                j.status = PullStatus::Failed;
                j.error = Some(reason);
            }
        }
        j.finished_at = Some(crate::time::now_ms());
    });
    send(ollama, ended);
    if done {
        match ollama.models(false).await {
            Ok(models) => {
                let _nobody_listening = ollama.events.send(OllamaEvent::Models(models));
            }
            Err(e) => tracing::warn!(connection = %ollama.name, error = %e, "listing the models after a pull failed"),
        }
    }
}

fn send(ollama: &Ollama, job: Option<PullJob>) {
    if let Some(job) = job {
        let _nobody_listening = ollama.events.send(OllamaEvent::Pull(job));
    }
}
