//! OpenAI response shapes: `chat.completion`, `chat.completion.chunk` SSE frames and the model
//! list, as typed structs (documented in docs/API.md).

use futures::{Stream, StreamExt};

use crate::http::sse_json;
use serde::Serialize;
use webplus::{
    answer::Source,
    catalog::{OfferedEmbedding, OfferedModel},
    pipelines::PublishedModel,
    providers::{ChatEvent, ChatStream, FinishReason, Usage},
};

/// What every completion object of one request shares.
pub struct Meta {
    pub id: String,
    pub created: u64,
    pub model: String,
    /// Extension: the passages the answer was given when `knowledge_bases` were asked for (a
    /// top-level `sources` array on the completion, or on the first chunk of a stream).
    pub sources: Option<Vec<SourceOut>>,
}

/// `GET /v1/models`.
#[derive(Serialize)]
pub struct ModelList {
    object: &'static str,
    data: Vec<ModelOut>,
}

/// One model: OpenAI's four fields, then Web+'s (`kind` says what it is called through).
#[derive(Serialize)]
#[serde(untagged)]
enum ModelOut {
    Chat {
        #[serde(flatten)]
        head: ModelHead,
        /// The catalog's display name and limits.
        name: String,
        context_window: usize,
        max_output: Option<u32>,
    },
    /// A pipeline published as a model (`pipeline:<name>`), called like a chat model.
    Pipeline {
        #[serde(flatten)]
        head: ModelHead,
        /// The pipeline's name.
        name: String,
    },
    /// Called through `/v1/embeddings`.
    Embedding {
        #[serde(flatten)]
        head: ModelHead,
        name: String,
        dimensions: usize,
    },
}

#[derive(Serialize)]
struct ModelHead {
    id: String,
    object: &'static str,
    created: u64,
    owned_by: String,
    kind: &'static str,
}

impl ModelHead {
    fn new(id: String, owned_by: String, kind: &'static str) -> Self {
        Self { id, object: "model", created: 0, owned_by, kind }
    }
}

impl ModelList {
    /// The chat models the caller may use, the caller's published pipelines, then the embedding
    /// models.
    pub fn new(models: Vec<OfferedModel>, pipelines: Vec<PublishedModel>, embedding: Vec<OfferedEmbedding>) -> Self {
        let chat = models.into_iter().map(|m| ModelOut::Chat {
            head: ModelHead::new(m.id, m.provider, "chat"),
            name: m.name,
            context_window: m.context_window,
            max_output: m.max_output,
        });
        let pipelines = pipelines.into_iter().map(|p| ModelOut::Pipeline {
            head: ModelHead::new(p.id, "pipeline".to_owned(), "pipeline"),
            name: p.name,
        });
        let embedding = embedding.into_iter().map(|m| ModelOut::Embedding {
            name: m.name,
            head: ModelHead::new(m.id, m.provider, "embedding"),
            dimensions: m.dimensions,
        });
        Self { object: "list", data: chat.chain(pipelines).chain(embedding).collect() }
    }
}

/// A passage as `/v1` shows it: what the browser shows, and the retrieval score.
#[derive(Serialize)]
pub struct SourceOut {
    #[serde(flatten)]
    source: app::dto::SourceDto,
    score: f32,
}

impl From<Source> for SourceOut {
    fn from(s: Source) -> Self {
        let score = s.score;
        Self { source: app::ssr::convert::source(s), score }
    }
}

#[derive(Serialize, Clone, Copy)]
pub struct UsageOut {
    prompt_tokens: u32,
    completion_tokens: u32,
    total_tokens: u32,
}

impl From<Usage> for UsageOut {
    fn from(u: Usage) -> Self {
        Self {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: u.prompt_tokens + u.completion_tokens,
        }
    }
}

/// A whole answer (`"stream": false`).
#[derive(Serialize)]
pub struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [Choice; 1],
    usage: UsageOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    sources: Option<&'a [SourceOut]>,
}

#[derive(Serialize)]
struct Choice {
    index: u32,
    message: AssistantMessage,
    logprobs: Option<()>,
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct AssistantMessage {
    role: &'static str,
    content: String,
}

/// One `data:` frame of a streamed answer.
#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: Vec<ChunkChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<UsageOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sources: Option<&'a [SourceOut]>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
}

#[derive(Serialize, Default)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
}

fn reason(r: FinishReason) -> &'static str {
    match r {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
    }
}

pub fn completion<'a>(meta: &'a Meta, text: String, finish: FinishReason, usage: Usage) -> Completion<'a> {
    Completion {
        id: &meta.id,
        object: "chat.completion",
        created: meta.created,
        model: &meta.model,
        choices: [Choice {
            index: 0,
            message: AssistantMessage { role: "assistant", content: text },
            logprobs: None,
            finish_reason: reason(finish),
        }],
        usage: usage.into(),
        sources: meta.sources.as_deref(),
    }
}

impl Meta {
    fn chunk<'a>(&'a self, delta: Delta<'a>, finish: Option<&'static str>) -> Chunk<'a> {
        Chunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            choices: vec![ChunkChoice { index: 0, delta, logprobs: None, finish_reason: finish }],
            usage: None,
            sources: None,
        }
    }

    fn frame(&self, delta: Delta<'_>, finish: Option<&'static str>) -> String {
        sse_json(&self.chunk(delta, finish))
    }
}

/// The `data:` payloads of a streamed completion, ending with `[DONE]`. An error mid-stream becomes
/// an `{"error": …}` frame (as OpenAI sends) and ends the stream without `[DONE]`.
pub fn sse_stream(
    mut stream: ChatStream,
    meta: Meta,
    include_usage: bool,
    request_id: String,
) -> impl Stream<Item = String> {
    async_stream::stream! {
        let mut first = meta.chunk(Delta { role: Some("assistant"), content: Some("") }, None);
        first.sources = meta.sources.as_deref();
        yield sse_json(&first);
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(ChatEvent::Delta(t)) => yield meta.frame(Delta { content: Some(&t), ..Delta::default() }, None),
                Ok(ChatEvent::Finished { reason: r, usage }) => {
                    yield meta.frame(Delta::default(), Some(reason(r)));
                    if include_usage {
                        let mut last = meta.chunk(Delta::default(), None);
                        last.choices.clear();
                        last.usage = Some(usage.into());
                        yield sse_json(&last);
                    }
                    yield "[DONE]".to_string();
                    return;
                }
                Err(e) => {
                    let api = crate::http::ApiError::from_engine(e.into(), &request_id);
                    yield sse_json(&api.body());
                    return;
                }
            }
        }
        // The provider ended without a finish event: close the way OpenAI does.
        yield meta.frame(Delta::default(), Some("stop"));
        yield "[DONE]".to_string();
    }
}
