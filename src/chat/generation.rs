//! Background generations: one task per assistant reply, followed through a watch channel.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::StreamExt;
use tokio::sync::watch;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::titles::AfterReply;
use crate::{
    answer::PreparedAnswer,
    providers::{ChatEvent, ProviderError},
    storage::{Db, MessageStatus, ReplyUsage},
};

/// Save partial text this often while streaming: a crash loses at most this much of a reply.
const SAVE_EVERY: Duration = Duration::from_secs(1);
/// How long a first reply's title may take to write (a slow local model's is dropped).
const TITLE_WAIT: Duration = Duration::from_secs(20);

/// The state of a reply as followers see it. `content` only ever grows while streaming.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub content: String,
    pub status: MessageStatus,
    /// User-facing reason when `status` is `Error`.
    pub error: Option<String>,
    /// What the reply's model call used, once it has ended (as the ledger will store it).
    pub usage: Option<ReplyUsage>,
    /// The conversation's new title, when this first reply's ending gave it one.
    pub title: Option<String>,
    /// The reply has ended and the conversation's title is being written (`title` follows).
    pub titling: bool,
}

struct Active {
    user_id: String,
    state: watch::Receiver<Snapshot>,
    stop: CancellationToken,
}

/// Registry of running generations.
#[derive(Clone)]
pub struct Generations {
    db: Db,
    active: Arc<Mutex<HashMap<String, Active>>>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

impl Generations {
    pub fn new(db: Db) -> Self {
        Self { db, active: Arc::default(), tracker: TaskTracker::new(), shutdown: CancellationToken::new() }
    }

    /// Starts generating `answer` into the (already inserted, `streaming`) message `message_id`.
    pub fn start(&self, user_id: &str, message_id: &str, answer: PreparedAnswer) {
        self.start_then(user_id, message_id, answer, None);
    }

    /// [`Generations::start`], then `after` with the reply's text once it has ended complete (a
    /// title): followers get its result with the final status.
    pub fn start_then(&self, user_id: &str, message_id: &str, answer: PreparedAnswer, after: Option<AfterReply>) {
        let (tx, rx) = watch::channel(Snapshot {
            content: String::new(),
            status: MessageStatus::Streaming,
            error: None,
            usage: None,
            title: None,
            titling: false,
        });
        let stop = self.shutdown.child_token();
        self.lock()
            .insert(message_id.to_string(), Active { user_id: user_id.to_string(), state: rx, stop: stop.clone() });
        let this = self.clone();
        let message_id = message_id.to_string();
        self.tracker.spawn(async move {
            this.run(&message_id, answer, tx, stop, after).await;
            this.lock().remove(&message_id);
        });
    }

    /// Follows a running generation of `user_id`; `None` if it is not running (read the database).
    pub fn subscribe(&self, user_id: &str, message_id: &str) -> Option<watch::Receiver<Snapshot>> {
        self.lock().get(message_id).filter(|a| a.user_id == user_id).map(|a| a.state.clone())
    }

    /// The live text of a running generation, to show instead of the last saved partial.
    pub fn snapshot(&self, message_id: &str) -> Option<Snapshot> {
        self.lock().get(message_id).map(|a| a.state.borrow().clone())
    }

    /// Asks a running generation of `user_id` to stop; false if none was running.
    pub fn stop(&self, user_id: &str, message_id: &str) -> bool {
        match self.lock().get(message_id).filter(|a| a.user_id == user_id) {
            Some(a) => {
                a.stop.cancel();
                true
            }
            None => false,
        }
    }

    pub fn active_count(&self) -> usize {
        self.lock().len()
    }

    /// Lets running generations finish for up to `grace`, then stops the rest; every reply is saved
    /// (those cut off as `interrupted`) before this returns.
    pub async fn shutdown(&self, grace: Duration) {
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait()).await.is_err() {
            tracing::warn!(remaining = self.active_count(), "stopping generations still running at shutdown");
            self.shutdown.cancel();
            self.tracker.wait().await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Active>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts and
        // removes), so a poisoned lock is still safe to use.
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[tracing::instrument(skip_all, fields(message_id = %message_id, provider = answer.provider_name(), model = %answer.model.id))]
    async fn run(
        &self,
        message_id: &str,
        mut answer: PreparedAnswer,
        tx: watch::Sender<Snapshot>,
        stop: CancellationToken,
        after: Option<AfterReply>,
    ) {
        let started = Instant::now();
        let receipt = answer.receipt();
        let mut content = String::new();
        let mut usage = None;
        let mut failure: Option<String> = None;
        let mut status = MessageStatus::Complete;
        let stream = tokio::select! {
            s = answer.start() => s,
            _ = stop.cancelled() => Err(ProviderError::Failed("stopped before the model started".into())),
        };
        match stream {
            Err(e) if stop.is_cancelled() => {
                let _ = e;
                status = self.stopped_status();
            }
            Err(e) => {
                tracing::warn!(error = %e, "generation could not start");
                status = MessageStatus::Error;
                failure = Some(user_message(&e));
            }
            Ok(mut stream) => {
                let mut last_save = Instant::now();
                loop {
                    let event = tokio::select! {
                        biased;
                        _ = stop.cancelled() => { status = self.stopped_status(); break; }
                        ev = stream.next() => ev,
                    };
                    match event {
                        Some(Ok(ChatEvent::Delta(text))) => {
                            content.push_str(&text);
                            tx.send_modify(|s| s.content.push_str(&text));
                            if last_save.elapsed() >= SAVE_EVERY {
                                last_save = Instant::now();
                                if let Err(e) = self.db.save_partial(message_id, &content).await {
                                    tracing::error!(error = ?e, "could not save partial reply");
                                }
                            }
                        }
                        Some(Ok(ChatEvent::Finished { usage: u, .. })) => {
                            usage = Some((u.prompt_tokens, u.completion_tokens));
                            break;
                        }
                        Some(Err(e)) => {
                            tracing::warn!(error = %e, "generation failed mid-stream");
                            status = MessageStatus::Error;
                            failure = Some(user_message(&e));
                            break;
                        }
                        None => break,
                    }
                }
            }
        }
        if let Err(e) = self.db.finish_message(message_id, &content, status, usage, failure.as_deref()).await {
            tracing::error!(error = ?e, "could not save the finished reply");
        }
        // The call is recorded by now (its stream has ended or been dropped): followers see its
        // usage with the final status.
        let usage = receipt.get().and_then(ReplyUsage::of);
        // A complete first reply is then titled: followers are told the reply has ended at once,
        // and the title when it is written (at most TITLE_WAIT; dropped at shutdown).
        let after = after.filter(|_| status == MessageStatus::Complete);
        tx.send_modify(|s| {
            s.status = status;
            s.error = failure;
            s.usage = usage;
            s.titling = after.is_some();
        });
        if let Some(after) = after {
            let title = tokio::select! {
                t = tokio::time::timeout(TITLE_WAIT, after(content.clone())) => t.ok().flatten(),
                _ = stop.cancelled() => None,
            };
            tx.send_modify(|s| {
                s.title = title;
                s.titling = false;
            });
        }
        tracing::info!(
            status = status.as_str(),
            chars = content.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "generation ended"
        );
    }

    fn stopped_status(&self) -> MessageStatus {
        if self.shutdown.is_cancelled() { MessageStatus::Interrupted } else { MessageStatus::Stopped }
    }
}

/// What the user is told when a generation fails: actionable, never internal detail.
pub(crate) fn user_message(e: &ProviderError) -> String {
    match e {
        ProviderError::ModelMissing { model, detail } => {
            tracing::error!(model, detail, "a model is not installed");
            format!("the model {model} is not installed on this server; ask the administrator to install it")
        }
        ProviderError::PromptTooLong { limit, .. } => {
            format!("the conversation is too long for this model ({limit} tokens); start a new conversation")
        }
        ProviderError::UnknownModel(m) => {
            format!("the model {m:?} is not available any more; pick another one")
        }
        ProviderError::KeyRefused { provider } => {
            tracing::error!(provider, "the provider refused the API key; update it in the settings");
            crate::Error::ProviderKeyRefused { provider: provider.clone() }.to_string()
        }
        ProviderError::Unavailable(_) => "the model is busy or unreachable; try again in a moment".into(),
        ProviderError::Failed(_) => "the model failed while answering; try again".into(),
    }
}
