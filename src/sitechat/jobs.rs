//! Background ingestion jobs: a bounded number run at once, each with a cancellation token and
//! progress written to the database (what the API and the progress bar read).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::SiteChat;
use crate::{
    Error, Result,
    storage::{Db, JobProgress, JobRow},
};

/// Errors kept per job; later ones are counted, not stored.
const MAX_ERRORS: usize = 200;
/// Progress is written at most this often (and always at the end).
const FLUSH_EVERY: Duration = Duration::from_millis(250);

pub use crate::domain::JobKind;

pub use crate::domain::JobStatus;

/// One page or file that could not be ingested, and why (user-facing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    pub url: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobView {
    pub id: String,
    pub kb_id: String,
    pub kind: JobKind,
    pub status: JobStatus,
    pub done: i64,
    pub total: i64,
    pub chunks: i64,
    pub errors: Vec<JobError>,
    pub message: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl From<JobRow> for JobView {
    fn from(r: JobRow) -> Self {
        Self {
            status: JobStatus::parse(&r.status),
            errors: serde_json::from_str(&r.errors).unwrap_or_default(),
            id: r.id,
            kb_id: r.kb_id,
            kind: JobKind::parse(&r.kind),
            done: r.done,
            total: r.total,
            chunks: r.chunks,
            message: r.message,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

/// What a running job reports through.
pub(super) struct JobCtx {
    pub id: String,
    pub kb_id: String,
    pub cancel: CancellationToken,
    db: Db,
    state: Mutex<(JobProgress, Vec<JobError>, Instant)>,
}

impl JobCtx {
    pub fn set_total(&self, total: usize) {
        self.update(|p, _| p.total = total as i64);
    }

    /// The total is what is done plus `remaining` (a crawl discovers its pages as it goes).
    pub fn set_remaining(&self, remaining: usize) {
        self.update(|p, _| p.total = p.done + remaining as i64);
    }

    /// One page or file finished with this many chunks.
    pub fn item_done(&self, chunks: usize) {
        self.update(|p, _| {
            p.done += 1;
            p.chunks += chunks as i64;
            p.total = p.total.max(p.done);
        });
    }

    /// One page or file failed; the job goes on.
    pub fn item_failed(&self, url: &str, error: &str) {
        self.update(|p, errors| {
            p.done += 1;
            p.total = p.total.max(p.done);
            if errors.len() < MAX_ERRORS {
                errors.push(JobError { url: url.to_owned(), error: error.to_owned() });
            }
        });
    }

    fn update(&self, f: impl FnOnce(&mut JobProgress, &mut Vec<JobError>)) {
        let flush = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let (progress, errors, last) = &mut *state;
            f(progress, errors);
            if last.elapsed() >= FLUSH_EVERY {
                *last = Instant::now();
                Some(self.snapshot_locked(progress, errors))
            } else {
                None
            }
        };
        if let Some(p) = flush {
            let (db, id) = (self.db.clone(), self.id.clone());
            tokio::spawn(async move {
                if let Err(e) = db.save_job_progress(&id, &p).await {
                    tracing::warn!(job = %id, error = ?e, "saving job progress failed");
                }
            });
        }
    }

    fn snapshot_locked(&self, progress: &JobProgress, errors: &[JobError]) -> JobProgress {
        JobProgress { errors: serde_json::to_string(errors).unwrap_or_else(|_| "[]".into()), ..progress.clone() }
    }

    fn snapshot(&self) -> JobProgress {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.snapshot_locked(&state.0, &state.1)
    }

    pub fn errors(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).1.len()
    }
}

/// Runs jobs, at most `max_running` at once.
pub(super) struct Runner {
    permits: Arc<Semaphore>,
    /// Job id → (knowledge base id, token).
    tokens: Arc<Mutex<HashMap<String, (String, CancellationToken)>>>,
    tracker: TaskTracker,
}

impl Runner {
    pub fn new(max_running: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_running.max(1))),
            tokens: Arc::default(),
            tracker: TaskTracker::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, CancellationToken)>> {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn cancel(&self, job_id: &str) -> bool {
        self.lock().get(job_id).map(|(_, t)| t.cancel()).is_some()
    }

    pub fn cancel_kb(&self, kb_id: &str) {
        self.lock().values().filter(|(kb, _)| kb == kb_id).for_each(|(_, t)| t.cancel());
    }

    pub fn cancel_all(&self) {
        self.lock().values().for_each(|(_, t)| t.cancel());
    }

    pub async fn wait_idle(&self) {
        self.tracker.close();
        self.tracker.wait().await;
        self.tracker.reopen();
    }
}

impl SiteChat {
    /// Queues a job; `work` runs when a slot is free and reports through its `JobCtx`. It returns
    /// an optional user-facing message; an error fails the job (internal detail only in the logs).
    pub(super) async fn spawn_job<F, Fut>(
        &self,
        kb_id: &str,
        owner_id: &str,
        kind: JobKind,
        params: &str,
        work: F,
    ) -> Result<JobRow>
    where
        F: FnOnce(SiteChat, Arc<JobCtx>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Option<String>>> + Send + 'static,
    {
        let row = self.db().insert_job(kb_id, owner_id, kind.as_str(), params, 0).await?;
        let runner = &self.inner.jobs;
        let cancel = CancellationToken::new();
        runner.lock().insert(row.id.clone(), (kb_id.to_owned(), cancel.clone()));
        let ctx = Arc::new(JobCtx {
            id: row.id.clone(),
            kb_id: kb_id.to_owned(),
            cancel,
            db: self.db().clone(),
            state: Mutex::new((JobProgress::default(), Vec::new(), Instant::now())),
        });
        let (this, permits, tokens) = (self.clone(), runner.permits.clone(), runner.tokens.clone());
        runner.tracker.spawn(async move {
            let id = ctx.id.clone();
            let outcome = tokio::select! {
                permit = permits.acquire_owned() => match permit {
                    Ok(_permit) => {
                        let _ = this.db().start_job(&id).await;
                        let result = work(this.clone(), ctx.clone()).await;
                        if let Err(e) = this.inner.indexes.save(&ctx.kb_id).await {
                            tracing::error!(job = %id, error = ?e, "saving the vector index failed");
                        }
                        result
                    }
                    Err(_) => Err(Error::Unavailable("the server is shutting down".into())),
                },
                _ = ctx.cancel.cancelled() => Ok(None),
            };
            let progress = ctx.snapshot();
            let (status, message) = match outcome {
                _ if ctx.cancel.is_cancelled() => ("cancelled", Some("cancelled".to_owned())),
                Ok(message) => ("done", message),
                Err(Error::Internal(e)) => {
                    tracing::error!(job = %id, error = ?e, "ingestion job failed");
                    ("failed", Some("internal error; see the server log".to_owned()))
                }
                Err(e) => ("failed", Some(e.to_string())),
            };
            if let Err(e) = this.db().finish_job(&id, status, &progress, message.as_deref()).await {
                tracing::error!(job = %id, error = ?e, "recording the end of a job failed");
            }
            tokens.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        });
        Ok(row)
    }

    /// A job of a knowledge base the user owns.
    pub async fn job(&self, user_id: &str, job_id: &str) -> Result<JobView> {
        let row = self.db().owned_job(user_id, job_id).await?.ok_or(Error::NotFound("job"))?;
        Ok(row.into())
    }

    pub async fn list_jobs(&self, user_id: &str, kb_id: &str) -> Result<Vec<JobView>> {
        self.owned_kb(user_id, kb_id).await?;
        Ok(self.db().list_jobs(kb_id, 20).await?.into_iter().map(Into::into).collect())
    }

    /// Cancels a queued or running job; a finished one is left as it is.
    pub async fn cancel_job(&self, user_id: &str, job_id: &str) -> Result<JobView> {
        let view = self.job(user_id, job_id).await?;
        if !view.status.is_finished() {
            self.inner.jobs.cancel(job_id);
        }
        Ok(view)
    }
}
