//! OpenAI-compatible API: `GET /v1/models`, `POST /v1/chat/completions` (JSON and SSE), so
//! existing OpenAI SDKs can use Web+ as their base URL with a Web+ API key. The answer comes from
//! the engine's one answer path (`webplus::answer`); this module only parses and converts.

mod embeddings;
pub(crate) mod request;
mod response;

use axum::{
    Json,
    extract::{State, rejection::JsonRejection},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use webplus::{
    answer::{AnswerRequest, Caller, Grounding, History, Surface},
    pipelines::MODEL_PREFIX,
    providers::{ChatEvent, ChatStream, FinishReason, Role, Usage},
};

pub use embeddings::embeddings;
pub use request::ChatCompletionRequest;

use super::{ApiError, Authenticated, error::request_id};
use crate::state::AppState;

/// The catalog's chat models the caller may use, the caller's pipelines published as models, then
/// the embedding models `/v1/embeddings` serves.
pub async fn list_models(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let catalog = state.services.answers.catalog();
    let chat = catalog.offered(me.is_admin()).await;
    let pipelines = state
        .services
        .pipelines
        .published(&me.user_id)
        .await
        .map_err(|e| ApiError::from_engine(e, &request_id(&headers)))?;
    let embedding = catalog.offered_embeddings(me.is_admin());
    Ok(Json(response::ModelList::new(chat, pipelines, embedding)))
}

pub async fn chat_completions(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    body: Result<Json<ChatCompletionRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let rid = request_id(&headers);
    let Json(body) = body.map_err(request::rejection)?;
    if body.model.starts_with(MODEL_PREFIX) {
        return pipeline_completion(&state, &me, &body, &rid).await;
    }
    let request = AnswerRequest {
        caller: Caller::of(&me),
        surface: Surface::Api,
        model: body.model.clone(),
        messages: body.messages()?,
        params: body.params()?,
        grounding: body.knowledge_bases.clone().map_or(Grounding::None, Grounding::Readable),
        history: History::AsSent,
        style: body.style()?,
    };
    let engine = |e: webplus::Error| ApiError::from_engine(e, &rid);
    let prepared = state.services.answers.prepare(request).await.map_err(engine)?;
    let grounded = body.knowledge_bases.is_some();
    let sources = grounded.then(|| prepared.sources.iter().cloned().map(response::SourceOut::from).collect());
    let dropped = dropped_header(&prepared.dropped_params);
    let (stream, answering) = prepared.start_answer().await.map_err(|e| engine(e.into()))?;
    let model = answering.id;
    let (id, created) = (completion_id(), now_secs());
    let meta = response::Meta { id, created, model, sources };
    reply(stream, meta, &body, rid, dropped).await
}

/// A pipeline published as a model (`pipeline:<name>`): the last user message starts a run of it.
async fn pipeline_completion(
    state: &AppState,
    me: &webplus::auth::Principal,
    body: &ChatCompletionRequest,
    rid: &str,
) -> Result<Response, ApiError> {
    if body.knowledge_bases.is_some() {
        return Err(ApiError::invalid(
            "invalid_value",
            "knowledge_bases: a pipeline model answers from its own Knowledge retrieval nodes; leave knowledge_bases out",
        ));
    }
    body.style()?;
    let message = body.messages()?.into_iter().rev().find(|m| m.role == Role::User).ok_or_else(|| {
        ApiError::invalid(
            "invalid_value",
            "messages: a pipeline model needs a user message; its text is the run's input",
        )
    })?;
    let stream = state
        .services
        .pipelines
        .answer_as_model(me, &body.model, message.content)
        .await
        .map_err(|e| ApiError::from_engine(e, rid))?;
    let meta = response::Meta { id: completion_id(), created: now_secs(), model: body.model.clone(), sources: None };
    reply(stream, meta, body, rid.to_owned(), HeaderMap::new()).await
}

/// The answer as one JSON completion, or as server-sent chunks when the request asked to stream.
async fn reply(
    stream: ChatStream,
    meta: response::Meta,
    body: &ChatCompletionRequest,
    rid: String,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !body.stream {
        let (text, finish, usage) = collect(stream).await.map_err(|e| ApiError::from_engine(e.into(), &rid))?;
        return Ok((headers, Json(response::completion(&meta, text, finish, usage))).into_response());
    }
    let include_usage = body.stream_options.as_ref().is_some_and(|o| o.include_usage);
    let events = response::sse_stream(stream, meta, include_usage, rid);
    let body = axum::body::Body::from_stream(events.map(Ok::<_, std::convert::Infallible>));
    let kind = [(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")];
    Ok((headers, kind, body).into_response())
}

fn completion_id() -> String {
    format!("chatcmpl-{}", uuid::Uuid::new_v4().simple())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Names the parameters the model's provider does not take, which were not sent
/// (`x-webplus-dropped-params: seed, presence_penalty`); no header when none were.
fn dropped_header(dropped: &[&str]) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    if let Ok(value) = axum::http::HeaderValue::from_str(&dropped.join(", "))
        && !dropped.is_empty()
    {
        headers.insert("x-webplus-dropped-params", value);
    }
    headers
}

/// Runs a stream to its end: the text, why it ended, and the usage.
async fn collect(mut stream: ChatStream) -> Result<(String, FinishReason, Usage), webplus::providers::ProviderError> {
    let mut text = String::new();
    let mut finish = FinishReason::Stop;
    let mut usage = Usage::default();
    while let Some(ev) = stream.next().await {
        match ev? {
            ChatEvent::Delta(t) => text.push_str(&t),
            ChatEvent::Finished { reason, usage: u } => {
                finish = reason;
                usage = u;
            }
        }
    }
    Ok((text, finish, usage))
}
