//! OpenAI response shapes: `chat.completion`, `chat.completion.chunk` SSE frames and the model
//! list, as typed structs (documented in docs/API.md).

use futures::{Stream, StreamExt};

use axum::body::Bytes;
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
    /// One choice, or none (the usage chunk): a list of one or none, without a `Vec` per token.
    #[serde(serialize_with = "one_or_none")]
    choices: Option<ChunkChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<UsageOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sources: Option<&'a [SourceOut]>,
}

fn one_or_none<S: serde::Serializer>(choice: &Option<ChunkChoice<'_>>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(choice)
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
            choices: Some(ChunkChoice { index: 0, delta, logprobs: None, finish_reason: finish }),
            usage: None,
            sources: None,
        }
    }

    fn frame(&self, delta: Delta<'_>, finish: Option<&'static str>) -> Bytes {
        sse_frame(&self.chunk(delta, finish))
    }
}

/// One server-sent event, `data: <v as JSON>` and the blank line that ends it, written into one
/// buffer. Compact JSON has no line breaks, so it is one `data:` line as it is; a token costs one
/// allocation here (axum's `Event` grows its buffer piece by piece and scans each for newlines).
fn sse_frame(v: &impl Serialize) -> Bytes {
    let mut frame = Vec::with_capacity(FRAME_CAPACITY);
    frame.extend_from_slice(b"data: ");
    // Serializing these types cannot fail (no maps with non-string keys, no failing Serialize).
    let _ = serde_json::to_writer(&mut frame, v);
    frame.extend_from_slice(b"\n\n");
    Bytes::from(frame)
}

/// Room for a chunk with a short token: its fixed fields are about 150 bytes.
const FRAME_CAPACITY: usize = 256;

/// The frames of an answer's text chunks. Everything but the text is the same in every one (id,
/// object, created, model, the choice's other fields), so it is serialized once, from the same
/// [`Chunk`] as every other frame, and each token only adds its text as a JSON string.
struct TextFrames {
    /// `data: {…"delta":{"content":`
    head: Vec<u8>,
    /// `},"logprobs":null,"finish_reason":null}]}` and the blank line.
    tail: Vec<u8>,
}

impl TextFrames {
    fn new(meta: &Meta) -> Option<Self> {
        let empty = sse_frame(&meta.chunk(Delta { content: Some(""), ..Delta::default() }, None));
        const CONTENT: &[u8] = br#""content":"#;
        let at = empty.windows(CONTENT.len() + 2).rposition(|w| w.starts_with(CONTENT) && w.ends_with(b"\"\""))?;
        let (head, rest) = empty.split_at(at + CONTENT.len());
        Some(Self { head: head.to_vec(), tail: rest[2..].to_vec() })
    }

    fn frame(&self, text: &str) -> Bytes {
        let mut frame = Vec::with_capacity(self.head.len() + text.len() + 2 + self.tail.len());
        frame.extend_from_slice(&self.head);
        // A string always serializes.
        let _ = serde_json::to_writer(&mut frame, text);
        frame.extend_from_slice(&self.tail);
        Bytes::from(frame)
    }
}

/// The server-sent events of a streamed completion, ending with `[DONE]`. An error mid-stream becomes
/// an `{"error": …}` frame (as OpenAI sends) and ends the stream without `[DONE]`.
pub fn sse_stream(
    mut stream: ChatStream,
    meta: Meta,
    include_usage: bool,
    request_id: String,
) -> impl Stream<Item = Bytes> {
    async_stream::stream! {
        let text_frames = TextFrames::new(&meta);
        let mut first = meta.chunk(Delta { role: Some("assistant"), content: Some("") }, None);
        first.sources = meta.sources.as_deref();
        yield sse_frame(&first);
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(ChatEvent::Delta(t)) => yield match &text_frames {
                    Some(frames) => frames.frame(&t),
                    None => meta.frame(Delta { content: Some(&t), ..Delta::default() }, None),
                },
                Ok(ChatEvent::Finished { reason: r, usage }) => {
                    yield meta.frame(Delta::default(), Some(reason(r)));
                    if include_usage {
                        let mut last = meta.chunk(Delta::default(), None);
                        last.choices = None;
                        last.usage = Some(usage.into());
                        yield sse_frame(&last);
                    }
                    yield done();
                    return;
                }
                Err(e) => {
                    let api = crate::http::ApiError::from_engine(e.into(), &request_id);
                    yield sse_frame(&api.body());
                    return;
                }
            }
        }
        // The provider ended without a finish event: close the way OpenAI does.
        yield meta.frame(Delta::default(), Some("stop"));
        yield done();
    }
}

fn done() -> Bytes {
    Bytes::from_static(b"data: [DONE]\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_frame_is_its_chunk_serialized_whole() {
        let meta = Meta { id: "chatcmpl-1".into(), created: 7, model: "openai/gpt-4o-mini".into(), sources: None };
        let frames = TextFrames::new(&meta).expect("the content field is found");
        for text in ["t", " Paris", "a \"quote\" and a \\", "two\nlines\r\n", "🦀 and \u{1}", "\"content\":\"\""] {
            let whole = meta.frame(Delta { content: Some(text), ..Delta::default() }, None);
            assert_eq!(frames.frame(text), whole, "{text:?}");
        }
    }

    #[test]
    fn the_usage_chunk_has_no_choices() {
        let meta = Meta { id: "c".into(), created: 1, model: "m".into(), sources: None };
        let mut last = meta.chunk(Delta::default(), None);
        last.choices = None;
        let frame = sse_frame(&last);
        assert!(frame.starts_with(b"data: {") && frame.ends_with(b"}\n\n"), "{frame:?}");
        assert!(std::str::from_utf8(&frame).unwrap().contains(r#""choices":[]"#), "{frame:?}");
    }
}
