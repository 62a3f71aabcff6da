//! The one answer path. Chat, the embeddable widget, `/v1/chat/completions` and pipelines' LLM
//! nodes all answer through [`Answers::prepare`]: it resolves the model, searches the knowledge
//! bases the caller may use, numbers the sources (one per document, with the sections of its
//! passages) and puts them first as a system message, fits the history into the model's window,
//! and builds the provider request. [`PreparedAnswer::start`] starts the model; its stream
//! records time to first token, active streams and, when it ends, the call's usage (one
//! [`usage::UsageRecord`] per model call, whoever asked). At most `max_streams` answers are
//! prepared or streaming at once: one more is refused at once (429 with `Retry-After`), so an
//! overloaded server keeps its streams fast instead of slowing them all.

mod attachments;
mod history;
mod instrument;
mod sources;
pub mod usage;

use std::{sync::Arc, time::Instant};

use futures::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use history::fit_history;
pub use sources::{Section, Source, context_message};
pub use usage::{Caller, Outcome, ReplyRef, Surface, UsageReceipt, UsageRecord};

use crate::{
    Error, Result,
    catalog::ModelCatalog,
    ledger::Ledger,
    providers::{ChatMessage, ChatProvider, ChatRequest, ChatStream, ModelInfo, Prices, ProviderError, Registry, Role},
    sitechat::SiteChat,
    storage::KnowledgeBaseRow,
};

/// Passages retrieved for each question.
pub const SOURCES_PER_ANSWER: usize = 5;
/// Knowledge bases one request may search.
pub const MAX_KNOWLEDGE_BASES: usize = 16;
/// Tokens kept free for the reply when the history is fitted (at most a quarter of the window).
const REPLY_RESERVE: usize = 512;

/// What the model is asked, by whom, and from which knowledge.
#[derive(Debug, Clone)]
pub struct AnswerRequest {
    pub caller: Caller,
    pub surface: Surface,
    /// A model id as the registry lists it.
    pub model: String,
    /// The conversation so far, ending with the question (the last user message is what the
    /// knowledge bases are searched for).
    pub messages: Vec<ChatMessage>,
    pub params: Params,
    pub grounding: Grounding,
    pub history: History,
}

/// Sampling parameters; `None` (or no stop texts) leaves the provider's default. Checked by
/// [`Params::check`] when an answer is prepared; a provider that does not take one has it dropped
/// (`PreparedAnswer::dropped_params`).
/// Stored as JSON (a catalog model's defaults) with only the fields set.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f32>,
}

/// Stop texts one request may give (OpenAI's limit), and their longest.
const MAX_STOPS: usize = 4;
const MAX_STOP_CHARS: usize = 200;

impl Params {
    /// Each value in its range (OpenAI's, which `/v1` callers know); the error names the field.
    pub fn check(&self) -> Result<()> {
        if self.max_tokens == Some(0) {
            return Err(Error::invalid("max_tokens", "use a whole number of at least 1"));
        }
        if self.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
            return Err(Error::invalid("temperature", "use a number from 0 to 2"));
        }
        if self.top_p.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
            return Err(Error::invalid("top_p", "use a number above 0 and at most 1"));
        }
        for (field, value) in
            [("presence_penalty", self.presence_penalty), ("frequency_penalty", self.frequency_penalty)]
        {
            if value.is_some_and(|v| !(-2.0..=2.0).contains(&v)) {
                return Err(Error::invalid(field, "use a number from -2 to 2"));
            }
        }
        if self.stop.len() > MAX_STOPS || self.stop.iter().any(|s| s.is_empty() || s.chars().count() > MAX_STOP_CHARS) {
            return Err(Error::invalid(
                "stop",
                format!("give at most {MAX_STOPS} stop texts of 1 to {MAX_STOP_CHARS} characters"),
            ));
        }
        Ok(())
    }

    /// True when no parameter is set (all are the defaults).
    pub fn is_unset(&self) -> bool {
        *self == Params::default()
    }

    /// These parameters, with each one not given taken from `defaults` (a catalog model's).
    pub fn or_defaults(self, defaults: &Params) -> Params {
        Params {
            max_tokens: self.max_tokens.or(defaults.max_tokens),
            temperature: self.temperature.or(defaults.temperature),
            top_p: self.top_p.or(defaults.top_p),
            seed: self.seed.or(defaults.seed),
            stop: if self.stop.is_empty() { defaults.stop.clone() } else { self.stop },
            presence_penalty: self.presence_penalty.or(defaults.presence_penalty),
            frequency_penalty: self.frequency_penalty.or(defaults.frequency_penalty),
        }
    }
}

/// How the messages are fitted into the model's context window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// Drop the oldest messages until the history, the passages and the reply fit (chat, widget).
    /// The reply gets `params.max_tokens`, or 512 tokens (at most a quarter of the window).
    FitToWindow,
    /// Send the messages as given (`/v1`: the client manages its own history).
    AsSent,
}

/// Which knowledge the answer is grounded in.
#[derive(Debug, Clone)]
pub enum Grounding {
    None,
    /// Knowledge bases by id, each of which the calling user must be able to read (1 to 16).
    Readable(Vec<String>),
    /// Knowledge bases whose access the caller checked (a conversation's attached ones).
    Attached(Vec<KnowledgeBaseRow>),
    /// A published knowledge base answering anonymous visitors: the model answers only from it,
    /// and says it does not know when no passage was found.
    Published(KnowledgeBaseRow),
}

/// An answer ready to start: the model and passages are chosen, the request is built.
pub struct PreparedAnswer {
    pub model: ModelInfo,
    /// The numbered passages the model is given (what `[n]` in its text refers to).
    pub sources: Vec<Source>,
    /// Parameters the request gave that the model's provider does not take (not sent).
    pub dropped_params: Vec<&'static str>,
    provider: Arc<dyn ChatProvider>,
    request: ChatRequest,
    call: usage::Call,
    /// The catalog's fallbacks for the model, tried in order if it fails before answering.
    fallbacks: Vec<Fallback>,
    /// Its place among the `max_streams`, held until its stream ends.
    permit: OwnedSemaphorePermit,
}

/// A model tried when the one before it could not start (connection refused, 429, 5xx).
struct Fallback {
    provider: Arc<dyn ChatProvider>,
    model: ModelInfo,
    prices: Option<Prices>,
}

/// The answer service (cheap to clone).
#[derive(Clone)]
pub struct Answers {
    catalog: ModelCatalog,
    sitechat: SiteChat,
    /// Where every started call's usage is stored (None: counters and logs only).
    ledger: Option<Ledger>,
    /// One permit per answer prepared or streaming (`max_streams`).
    streams: Arc<Semaphore>,
}

impl Answers {
    pub fn new(catalog: ModelCatalog, sitechat: SiteChat, ledger: Option<Ledger>) -> Self {
        let streams = Arc::new(Semaphore::new(crate::settings::DEFAULT_MAX_STREAMS));
        Self { catalog, sitechat, ledger, streams }
    }

    /// At most `n` answers at once (at least 1).
    pub fn max_streams(mut self, n: usize) -> Self {
        self.streams = Arc::new(Semaphore::new(n.max(1)));
        self
    }

    pub fn registry(&self) -> &Registry {
        self.catalog.registry()
    }

    /// The model catalog: what callers may pick (`/v1/models`, the model picker).
    pub fn catalog(&self) -> &ModelCatalog {
        &self.catalog
    }

    /// Where the calls' usage is stored (None: counters and logs only).
    pub fn sitechat(&self) -> &SiteChat {
        &self.sitechat
    }

    pub fn ledger(&self) -> Option<&Ledger> {
        self.ledger.as_ref()
    }

    /// Resolves the model, retrieves the passages and builds the request. Errors: an unknown model
    /// (`UnknownModel`), knowledge bases the caller cannot read (`NotFound`), a question too long
    /// for the model (`Invalid`).
    #[tracing::instrument(skip_all, fields(surface = req.surface.as_str(), model = %req.model), err(level = "info"))]
    pub async fn prepare(&self, req: AnswerRequest) -> Result<PreparedAnswer> {
        let started = Instant::now();
        let Ok(permit) = Arc::clone(&self.streams).try_acquire_owned() else {
            metrics::counter!("webplus_streams_refused_total").increment(1);
            return Err(Error::RateLimited { retry_after_secs: 1 });
        };
        req.params.check()?;
        let resolved = self.catalog.resolve(&req.model, &req.caller).await?;
        let (provider, model) = (resolved.provider, resolved.info);
        let params = req.params.clone().or_defaults(&resolved.defaults);
        let sources = self.retrieve(&req).await?;
        let context = match (&req.grounding, sources.is_empty()) {
            (Grounding::Published(_), _) | (_, false) => {
                Some(ChatMessage::new(Role::System, context_message(&sources, model.context_window)))
            }
            _ => None,
        };
        let mut max_tokens = params.max_tokens;
        let mut messages = req.messages;
        let messages = match req.history {
            History::AsSent => {
                attachments::expand(&mut messages, provider.as_ref(), &model.id, resolved.vision, model.context_window);
                messages
            }
            History::FitToWindow => {
                let reserve = max_tokens.map_or(REPLY_RESERVE.min(model.context_window / 4), |n| n as usize);
                max_tokens = Some(reserve as u32);
                let context_tokens =
                    context.as_ref().map_or(0, |c| provider.count_tokens(&model.id, std::slice::from_ref(c)));
                let available = model.context_window.saturating_sub(reserve + context_tokens);
                attachments::expand(&mut messages, provider.as_ref(), &model.id, resolved.vision, available);
                fit_history(provider.as_ref(), &model.id, messages, model.context_window, reserve + context_tokens)?
            }
        };
        let mut messages = messages;
        if let Some(c) = context {
            messages.insert(0, c);
        }
        let mut request = ChatRequest::new(model.id.clone(), messages);
        request.max_tokens = max_tokens;
        request.temperature = params.temperature;
        request.top_p = params.top_p;
        request.seed = params.seed;
        request.stop = params.stop;
        request.presence_penalty = params.presence_penalty;
        request.frequency_penalty = params.frequency_penalty;
        let dropped_params = provider.supported_params().strip(&mut request);
        if !dropped_params.is_empty() {
            tracing::debug!(model = %model.id, ?dropped_params, "parameters the provider does not take were dropped");
        }
        let mut fallbacks = Vec::with_capacity(resolved.fallbacks.len());
        for id in &resolved.fallbacks {
            match self.catalog.resolve(id, &req.caller).await {
                Ok(f) => fallbacks.push(Fallback { provider: f.provider, model: f.info, prices: f.prices }),
                Err(e) => tracing::debug!(model = %model.id, fallback = %id, error = %e, "a fallback is left out"),
            }
        }
        let mut call = usage::Call::new(req.caller, req.surface, provider.name(), &model.id, started);
        call.ledger = self.ledger.clone();
        call.prices = resolved.prices;
        Ok(PreparedAnswer { model, sources, provider, request, call, dropped_params, fallbacks, permit })
    }

    /// Knowledge bases by id (1 to 16), each of which the calling user must be able to read.
    async fn readable_kbs(&self, caller: &Caller, ids: &[String]) -> Result<Vec<KnowledgeBaseRow>> {
        if ids.is_empty() || ids.len() > MAX_KNOWLEDGE_BASES {
            return Err(Error::invalid(
                "knowledge_bases",
                format!("give 1 to {MAX_KNOWLEDGE_BASES} knowledge base ids"),
            ));
        }
        let Caller::User { user_id, .. } = caller else {
            return Err(Error::Forbidden("only signed-in users can name knowledge bases".into()));
        };
        let mut kbs = Vec::with_capacity(ids.len());
        for id in ids {
            kbs.push(self.sitechat.readable_kb(user_id, id).await?);
        }
        Ok(kbs)
    }

    /// The best `k` passages for `query` from knowledge bases the caller may read, as numbered
    /// sources (one per document): the search and grouping an answer uses (pipelines' Knowledge
    /// retrieval nodes).
    pub async fn passages(
        &self,
        caller: &Caller,
        surface: Surface,
        ids: &[String],
        query: &str,
        k: usize,
    ) -> Result<Vec<Source>> {
        let kbs = self.readable_kbs(caller, ids).await?;
        if query.trim().is_empty() {
            return Err(Error::invalid("query", "the query to search for is empty"));
        }
        let hits = self.sitechat.search_kbs(&kbs, query, k, caller, surface).await?;
        Ok(Source::from_hits(hits))
    }

    /// The passages for the last user message from the knowledge bases the request may use.
    async fn retrieve(&self, req: &AnswerRequest) -> Result<Vec<Source>> {
        let kbs = match &req.grounding {
            Grounding::None => return Ok(Vec::new()),
            Grounding::Readable(ids) => self.readable_kbs(&req.caller, ids).await?,
            Grounding::Attached(kbs) if kbs.is_empty() => return Ok(Vec::new()),
            Grounding::Attached(kbs) => kbs.clone(),
            Grounding::Published(kb) => vec![kb.clone()],
        };
        let question = req.messages.iter().rev().find(|m| m.role == Role::User).map(|m| m.content.as_str());
        let Some(question) = question.filter(|q| !q.trim().is_empty()) else {
            return Err(Error::invalid("messages", "knowledge_bases needs a user message to search for"));
        };
        let hits = self.sitechat.search_kbs(&kbs, question, SOURCES_PER_ANSWER, &req.caller, req.surface).await?;
        Ok(Source::from_hits(hits))
    }
}

impl PreparedAnswer {
    /// The provider's short name (`local`, `openai`, ...), for logs.
    pub fn provider_name(&self) -> &str {
        self.provider.name()
    }

    /// The request the model will get (the passages first, then the fitted history).
    pub fn request(&self) -> &ChatRequest {
        &self.request
    }

    /// Names the chat reply this answer writes, for its ledger row.
    pub fn for_reply(mut self, conversation_id: &str, message_id: &str) -> Self {
        self.call.reply =
            Some(ReplyRef { conversation_id: conversation_id.to_owned(), message_id: message_id.to_owned() });
        self
    }

    /// Asks for the call's record as well: the returned receipt holds it once the call has ended
    /// (whatever the ledger is doing meanwhile).
    pub fn receipt(&mut self) -> UsageReceipt {
        self.call.receipt.get_or_insert_with(UsageReceipt::default).clone()
    }

    /// Starts the model: from here on the call is recorded, once, whatever happens (finished,
    /// failed, or dropped unfinished). The stream also records its metrics.
    /// When the model cannot start for a reason another model may not share (unreachable, 429,
    /// 5xx: `Unavailable`, at the start or as the stream's first event, before any text), the
    /// catalog's fallbacks are tried in order, each call recorded on its own; the ledger names the
    /// model that answered.
    pub async fn start(self) -> Result<ChatStream, ProviderError> {
        self.start_answer().await.map(|(stream, _)| stream)
    }

    /// [`PreparedAnswer::start`], also saying which model answers (a fallback's, when one did).
    pub async fn start_answer(self) -> Result<(ChatStream, ModelInfo), ProviderError> {
        let Self { provider, request, call, model, fallbacks, permit, .. } = self;
        let mut next = fallbacks.into_iter();
        let (mut provider, mut request, mut call, mut model) = (provider, request, call, model);
        loop {
            call.counting =
                Some(usage::Counting { provider: Arc::clone(&provider), prompt: request.messages.clone().into() });
            let record = usage::Recorder::new(call.clone());
            // The request is kept (cloned) only while a fallback may need it.
            let sent = if next.len() == 0 {
                std::mem::replace(&mut request, ChatRequest::new(String::new(), Vec::new()))
            } else {
                request.clone()
            };
            let opened = match provider.stream_chat(sent).await {
                // With a fallback left, wait for the first event: an error before any text
                // (an overloaded upstream's first event) hands over like a refused start.
                Ok(mut stream) if next.len() > 0 => match stream.next().await {
                    Some(Err(e)) => Err(e),
                    first => Ok(futures::stream::iter(first).chain(stream).boxed()),
                },
                opened => opened,
            };
            match opened {
                Ok(stream) => return Ok((instrument::instrument(stream, record, permit), model)),
                Err(e) => {
                    let retry = matches!(e, ProviderError::Unavailable(_));
                    let Some(f) = next.next().filter(|_| retry) else {
                        record.failed_to_start(&e);
                        return Err(e);
                    };
                    record.failed_over(&e);
                    tracing::info!(model = %model.id, fallback = %f.model.id, error = %e, "trying the fallback model");
                    request.model = f.model.id.clone();
                    let dropped = f.provider.supported_params().strip(&mut request);
                    if !dropped.is_empty() {
                        tracing::debug!(fallback = %f.model.id, ?dropped, "parameters the fallback does not take");
                    }
                    call.provider = f.provider.name().to_owned();
                    call.model = f.model.id.clone();
                    call.prices = f.prices;
                    (provider, model) = (f.provider, f.model);
                }
            }
        }
    }
}

#[cfg(all(test, feature = "fakes"))]
mod tests;
