//! The usage ledger: every model call's [`UsageRecord`] becomes one stored row, and callers read
//! their usage back (admins anyone's), or a conversation's per reply ([`ConversationUsage`]).
//!
//! Recording never waits for the database: a record goes onto an unbounded queue, and one writer
//! task stores what piled up within [`LINGER`] of the first in one transaction (so a burst of
//! calls costs one commit, made after them rather than beside the next call's first token, and a
//! stream's last token is never held up by a write). [`Ledger::flush`] waits until everything
//! recorded before it is stored (tests, shutdown, and reads that must see a reply that just
//! ended). A batch that fails to store is logged with its size and retried once with the next
//! batch; after that it is dropped, with an error in the log.

mod conversation;
mod query;

use tokio::sync::{mpsc, oneshot};

pub use conversation::{ConversationUsage, empty_total};
pub use query::{UsageDetail, UsageQuery, UsageReport, UsageScope};

use crate::{
    answer::usage::{Caller, UsageRecord},
    storage::{Db, LedgerRow},
};

/// Rows stored in one transaction at most.
const BATCH: usize = 256;
/// How long the writer lets records pile up after the first before storing them (unless a
/// flush asks sooner; shutting down flushes). A process killed outright loses at most this much.
/// Each write is a burst of work beside the streams of the moment: in the TTFT bench (2 cores,
/// ~330 calls/s) 100 ms put one call in ~33 next to a write, which showed at p99 (three runs at
/// 100 ms: the worst provider 1.5–1.78 ms added; two runs at 1 s: at most 0.93 ms).
const LINGER: std::time::Duration = std::time::Duration::from_millis(1000);

enum Msg {
    Record(Box<LedgerRow>),
    Flush(oneshot::Sender<()>),
}

/// The ledger (cheap to clone).
#[derive(Clone)]
pub struct Ledger {
    db: Db,
    queue: mpsc::UnboundedSender<Msg>,
}

impl Ledger {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(db: Db) -> Self {
        let (queue, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(db.clone(), rx));
        Self { db, queue }
    }

    /// Queues one call's record. Never blocks; safe to call from `Drop`.
    pub fn record(&self, r: &UsageRecord) {
        if self.queue.send(Msg::Record(Box::new(row_of(r)))).is_err() {
            tracing::error!(model = %r.model, "usage ledger writer has stopped; a model call was not recorded");
        }
    }

    /// Waits until every record queued before this call is stored (or its write failed).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.queue.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").finish_non_exhaustive()
    }
}

fn row_of(r: &UsageRecord) -> LedgerRow {
    let (user_id, api_key_id, knowledge_base_id) = match &r.caller {
        Caller::User { user_id, api_key_id } => {
            (Some(user_id.clone()), api_key_id.clone(), r.knowledge_base_id.clone())
        }
        // A visitor's calls are the publishing owner's usage (their widget, their bill).
        Caller::Visitor { knowledge_base_id, owner_id, .. } => {
            (Some(owner_id.clone()), None, Some(knowledge_base_id.clone()))
        }
    };
    let (conversation_id, message_id) = match &r.reply {
        Some(reply) => (Some(reply.conversation_id.clone()), Some(reply.message_id.clone())),
        None => (None, None),
    };
    LedgerRow {
        id: String::new(),
        started_at: r.started_at_ms,
        user_id,
        api_key_id,
        knowledge_base_id,
        conversation_id,
        message_id,
        surface: r.surface.as_str().to_owned(),
        provider: r.provider.clone(),
        model: r.model.clone(),
        outcome: r.outcome.as_str().to_owned(),
        input_tokens: r.usage.map(|u| u.prompt_tokens.into()),
        output_tokens: r.usage.map(|u| u.completion_tokens.into()),
        ttft_ms: r.ttft_ms.map(|ms| ms as i64),
        duration_ms: r.elapsed_ms as i64,
        cost_nano_usd: r.cost_nano_usd,
        tokens_counted: i64::from(r.usage.is_some_and(|u| u.counted)),
    }
}

/// The writer: collects records for up to [`LINGER`] after the first (or until [`BATCH`] rows, a
/// flush, or the queue's end), stores them in one transaction, answers flushes behind them.
async fn write_batches(db: Db, mut rx: mpsc::UnboundedReceiver<Msg>) {
    let mut rows: Vec<LedgerRow> = Vec::new();
    let mut flushes = Vec::new();
    let mut retry: Vec<LedgerRow> = Vec::new();
    while let Some(first) = rx.recv().await {
        let deadline = tokio::time::Instant::now() + LINGER;
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Record(r) => rows.push(*r),
                Msg::Flush(tx) => flushes.push(tx),
            }
            if rows.len() >= BATCH || !flushes.is_empty() {
                break;
            }
            // Nothing waits for these rows: let more pile up, so a run of calls is one commit
            // made after them rather than one per call made beside the next.
            next = tokio::time::timeout_at(deadline, rx.recv()).await.ok().flatten();
        }
        // A flush stores everything queued before it: take what is already there too.
        while rows.len() < BATCH
            && let Ok(msg) = rx.try_recv()
        {
            match msg {
                Msg::Record(r) => rows.push(*r),
                Msg::Flush(tx) => flushes.push(tx),
            }
        }
        let mut batch = std::mem::take(&mut retry);
        let had_retry = batch.len();
        batch.append(&mut rows);
        if !batch.is_empty()
            && let Err(e) = db.insert_ledger_rows(&batch).await
        {
            if had_retry > 0 {
                tracing::error!(error = %e, rows = had_retry, "usage ledger rows dropped after a second failed write");
                batch.drain(..had_retry);
            } else {
                tracing::warn!(error = %e, rows = batch.len(), "usage ledger write failed; retrying with the next batch");
            }
            retry = batch;
        }
        for tx in flushes.drain(..) {
            let _ = tx.send(());
        }
    }
}

#[cfg(test)]
mod tests;
