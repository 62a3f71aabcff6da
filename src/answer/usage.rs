//! Who asked, through which surface, and what each model call used.
//!
//! Every model call made through the answer path ends in exactly one [`UsageRecord`]: when its
//! stream finishes, fails, is dropped (stopped by the user, the client went away) or could not
//! start. A record becomes a row of the usage ledger ([`crate::ledger`]), Prometheus counters and
//! a log line (target `webplus::usage`).

use std::{
    net::IpAddr,
    sync::{Arc, OnceLock},
    time::Instant,
};

use crate::{
    ledger::Ledger,
    providers::{ChatMessage, ChatProvider, Prices, ProviderError, Usage},
    time::now_ms,
};

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A signed-in user, by browser session (`api_key_id` None) or API key.
    User { user_id: String, api_key_id: Option<String> },
    /// An anonymous visitor of a site embedding a published knowledge base (the ledger counts the
    /// call as its owner's usage).
    Visitor { knowledge_base_id: String, owner_id: String, ip: Option<IpAddr> },
}

impl Caller {
    /// A user signed in with a browser session.
    pub fn user(user_id: &str) -> Self {
        Caller::User { user_id: user_id.to_owned(), api_key_id: None }
    }

    /// An authenticated caller: by browser session or API key.
    pub fn of(who: &crate::auth::Principal) -> Self {
        Caller::User { user_id: who.user_id.clone(), api_key_id: who.api_key_id.clone() }
    }
}

/// The chat reply a call writes (what the ledger row is for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRef {
    pub conversation_id: String,
    pub message_id: String,
}

/// Where the question came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Chat,
    Widget,
    /// The OpenAI-compatible API.
    Api,
    /// Embedding a knowledge base's documents (uploads, crawls, re-embedding).
    Ingest,
    /// A pipeline's LLM node (`crate::pipelines`).
    Pipeline,
}

impl Surface {
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Chat => "chat",
            Surface::Widget => "widget",
            Surface::Api => "api",
            Surface::Ingest => "ingest",
            Surface::Pipeline => "pipeline",
        }
    }
}

/// How a model call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The model finished its answer.
    Complete,
    /// The stream was dropped before the end (stopped, client gone, shutdown).
    Cancelled,
    /// The provider failed before or during the answer.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed => "failed",
        }
    }
}

/// One model call, as the ledger will store it.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageRecord {
    pub caller: Caller,
    pub surface: Surface,
    pub provider: String,
    pub model: String,
    pub outcome: Outcome,
    /// Token counts as the provider reported them, else counted (`usage.counted`); none for a
    /// call that never reached the model.
    pub usage: Option<Usage>,
    /// What the tokens cost at the model's list prices, in billionths of a dollar (none when the
    /// prices or the tokens are unknown).
    pub cost_nano_usd: Option<i64>,
    /// The chat reply the call wrote, if any.
    pub reply: Option<ReplyRef>,
    /// The knowledge base the call was for, if any besides a visitor's (ingestion).
    pub knowledge_base_id: Option<String>,
    /// When the call started (ms since the epoch).
    pub started_at_ms: i64,
    /// From the start to the first piece of text (none if no text came).
    pub ttft_ms: Option<u64>,
    pub elapsed_ms: u64,
}

/// A call's record, left for whoever started the call (chat shows it under the reply the moment the
/// reply ends, before the ledger has stored it). Filled once, when the call is recorded.
#[derive(Debug, Clone, Default)]
pub struct UsageReceipt(Arc<OnceLock<UsageRecord>>);

impl UsageReceipt {
    /// The record, once the call has ended (finished, failed, or dropped unfinished).
    pub fn get(&self) -> Option<&UsageRecord> {
        self.0.get()
    }
}

/// A model call about to start: who, where, which model, and since when (the time to first token
/// counts retrieval too).
#[derive(Debug, Clone)]
pub(super) struct Call {
    pub caller: Caller,
    pub surface: Surface,
    pub provider: String,
    pub model: String,
    pub started: Instant,
    pub started_at_ms: i64,
    pub reply: Option<ReplyRef>,
    pub ledger: Option<Ledger>,
    /// The model's list prices, when known.
    pub prices: Option<Prices>,
    /// Where the record is also left for the caller, if it asked.
    pub receipt: Option<UsageReceipt>,
    /// What the tokens are counted from when the provider reports none (set once the request is
    /// built).
    pub counting: Option<Counting>,
}

/// A call's prompt and the provider that counts its tokens, kept for a call whose provider does
/// not report them (a stopped stream, a server that ignores `include_usage`).
#[derive(Clone)]
pub(super) struct Counting {
    pub provider: Arc<dyn ChatProvider>,
    pub prompt: Arc<[ChatMessage]>,
}

impl std::fmt::Debug for Counting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counting").field("messages", &self.prompt.len()).finish_non_exhaustive()
    }
}

impl Call {
    pub(super) fn new(caller: Caller, surface: Surface, provider: &str, model: &str, started: Instant) -> Self {
        let started_at_ms = now_ms() - started.elapsed().as_millis() as i64;
        let (provider, model) = (provider.to_owned(), model.to_owned());
        Self {
            caller,
            surface,
            provider,
            model,
            started,
            started_at_ms,
            reply: None,
            ledger: None,
            prices: None,
            receipt: None,
            counting: None,
        }
    }
}

/// Records one started call's usage exactly once: explicitly at its end, or when dropped unfinished.
pub(super) struct Recorder {
    call: Call,
    ttft_ms: Option<u64>,
    /// The text generated so far: its tokens are counted if the provider reports none.
    reply: String,
    done: bool,
}

impl Recorder {
    pub(super) fn new(call: Call) -> Self {
        Self { call, ttft_ms: None, reply: String::new(), done: false }
    }

    /// Notes a piece of generated text.
    pub(super) fn text(&mut self, piece: &str) {
        self.reply.push_str(piece);
    }

    /// Notes the first piece of text; returns the time to it.
    pub(super) fn first_token(&mut self) -> std::time::Duration {
        let t = self.call.started.elapsed();
        self.ttft_ms.get_or_insert(t.as_millis() as u64);
        t
    }

    pub(super) fn provider(&self) -> &str {
        &self.call.provider
    }

    pub(super) fn finished(&mut self, usage: Usage) {
        self.end(Outcome::Complete, Some(usage));
    }

    pub(super) fn failed(&mut self) {
        self.end(Outcome::Failed, None);
    }

    /// A call that failed to start and hands over to a fallback: recorded, but the receipt is
    /// left for the call that answers.
    pub(super) fn failed_over(mut self, e: &ProviderError) {
        self.call.receipt = None;
        self.failed_to_start(e);
    }

    pub(super) fn failed_to_start(mut self, e: &ProviderError) {
        tracing::debug!(error = %e, "model call failed to start");
        // The model never got the prompt: there is nothing to count.
        self.call.counting = None;
        self.end(Outcome::Failed, None);
    }

    fn end(&mut self, outcome: Outcome, usage: Option<Usage>) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let usage = match (usage, &self.call.counting) {
            (Some(u), _) if !u.counted => Some(u),
            // Reported as an estimate, or not at all (stopped, failed mid-way): count them.
            (_, Some(counting)) => {
                let (prompt, reply) = counting.provider.count_usage(&self.call.model, &counting.prompt, &self.reply);
                let tokens = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                Some(Usage { prompt_tokens: tokens(prompt), completion_tokens: tokens(reply), counted: true })
            }
            (usage, None) => usage,
        };
        let c = &self.call;
        let record = UsageRecord {
            caller: c.caller.clone(),
            surface: c.surface,
            provider: c.provider.clone(),
            model: c.model.clone(),
            outcome,
            usage,
            cost_nano_usd: usage.zip(c.prices).map(|(u, p)| p.cost_nano_usd(u)),
            reply: c.reply.clone(),
            knowledge_base_id: None,
            started_at_ms: c.started_at_ms,
            ttft_ms: self.ttft_ms,
            elapsed_ms: c.started.elapsed().as_millis() as u64,
        };
        if let Some(ledger) = &c.ledger {
            ledger.record(&record);
        }
        emit(&record);
        if let Some(receipt) = &c.receipt {
            let _ = receipt.0.set(record);
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.end(Outcome::Cancelled, None);
    }
}

/// Counters and a log line for each record.
fn emit(r: &UsageRecord) {
    let labels = [("provider", r.provider.clone()), ("surface", r.surface.as_str().to_owned())];
    metrics::counter!(
        "webplus_model_calls_total",
        &[
            ("provider", r.provider.clone()),
            ("surface", r.surface.as_str().to_owned()),
            ("outcome", r.outcome.as_str().to_owned()),
        ]
    )
    .increment(1);
    if let Some(u) = r.usage {
        metrics::counter!("webplus_model_prompt_tokens_total", &labels).increment(u.prompt_tokens.into());
        metrics::counter!("webplus_model_completion_tokens_total", &labels).increment(u.completion_tokens.into());
    }
    let (who, visitor_kb) = match &r.caller {
        Caller::User { user_id, .. } => (user_id.as_str(), ""),
        Caller::Visitor { knowledge_base_id, .. } => ("visitor", knowledge_base_id.as_str()),
    };
    tracing::info!(
        target: "webplus::usage",
        user = who,
        visitor_kb,
        surface = r.surface.as_str(),
        provider = %r.provider,
        model = %r.model,
        outcome = r.outcome.as_str(),
        prompt_tokens = r.usage.map(|u| u.prompt_tokens),
        completion_tokens = r.usage.map(|u| u.completion_tokens),
        elapsed_ms = r.elapsed_ms,
        "model call"
    );
}
