//! OpenAI-compatible API: `GET /v1/models`, `POST /v1/chat/completions` (JSON and SSE), so
//! existing OpenAI SDKs can use Web+ as their base URL with a Web+ API key.

pub(crate) mod request;
mod response;

use std::time::Instant;

use axum::{
    Json,
    extract::{State, rejection::JsonRejection},
    http::HeaderMap,
    response::{IntoResponse, Response, Sse, sse::Event},
};
use futures::StreamExt;
use serde_json::json;
use webplus::{
    chat::instrument_stream,
    providers::{ChatEvent, FinishReason, Usage},
};

pub use request::ChatCompletionRequest;

use super::{ApiError, Authenticated, error::request_id};
use crate::state::AppState;

pub async fn list_models(State(state): State<AppState>, Authenticated(_): Authenticated) -> impl IntoResponse {
    let data: Vec<_> = state
        .services
        .chat
        .registry()
        .models()
        .await
        .into_iter()
        .map(|m| json!({ "id": m.id, "object": "model", "created": 0, "owned_by": m.provider }))
        .collect();
    Json(json!({ "object": "list", "data": data }))
}

pub async fn chat_completions(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    body: Result<Json<ChatCompletionRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let rid = request_id(&headers);
    let Json(body) = body.map_err(request::rejection)?;
    let started = Instant::now();
    let mut request = body.to_chat_request()?;
    let registry = state.services.chat.registry();
    let (provider, model) = registry.resolve(&request.model).await.ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "invalid_request_error",
            "model_not_found",
            format!("the model {:?} does not exist; GET /v1/models lists the available ones", request.model),
        )
    })?;
    let sources = match &body.knowledge_bases {
        Some(ids) => Some(ground(&state, &me.user_id, ids, &mut request, model.context_window, &rid).await?),
        None => None,
    };
    let stream = provider.stream_chat(request).await.map_err(|e| ApiError::from_engine(e.into(), &rid))?;
    let stream = instrument_stream(provider.name(), started, stream);
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let created = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let meta = response::Meta { id, created, model: model.id.clone(), sources };

    if !body.stream {
        return collect(stream, meta, &rid).await.map(|v| Json(v).into_response());
    }
    let include_usage = body.stream_options.as_ref().is_some_and(|o| o.include_usage);
    let sse = response::sse_stream(stream, meta, include_usage, rid);
    Ok(Sse::new(sse.map(|data| Ok::<_, std::convert::Infallible>(Event::default().data(data)))).into_response())
}

/// Retrieves passages from the knowledge bases for the last user message and puts them first, as
/// a system message asking the model to cite them. Returns the sources as the API shows them.
async fn ground(
    state: &AppState,
    user_id: &str,
    kb_ids: &[String],
    request: &mut webplus::providers::ChatRequest,
    context_window: usize,
    rid: &str,
) -> Result<serde_json::Value, ApiError> {
    use webplus::providers::{ChatMessage, Role};
    use webplus::sitechat::{Source, context_message};
    if kb_ids.is_empty() || kb_ids.len() > 16 {
        return Err(ApiError::invalid("invalid_value", "knowledge_bases: give 1 to 16 knowledge base ids"));
    }
    let question = request.messages.iter().rev().find(|m| m.role == Role::User).map(|m| m.content.clone());
    let Some(question) = question.filter(|q| !q.trim().is_empty()) else {
        return Err(ApiError::invalid("invalid_value", "messages: knowledge_bases needs a user message to search for"));
    };
    let hits = state
        .services
        .sitechat
        .search(user_id, kb_ids, &question, 5)
        .await
        .map_err(|e| ApiError::from_engine(e, rid))?;
    let sources = Source::from_hits(hits);
    if !sources.is_empty() {
        let context = context_message(&sources, context_window);
        request.messages.insert(0, ChatMessage::new(Role::System, context));
    }
    Ok(serde_json::to_value(&sources).unwrap_or_default())
}

/// Runs a stream to its end and answers with one `chat.completion` object.
async fn collect(
    mut stream: webplus::providers::ChatStream,
    meta: response::Meta,
    rid: &str,
) -> Result<serde_json::Value, ApiError> {
    let mut text = String::new();
    let mut finish = FinishReason::Stop;
    let mut usage = Usage::default();
    while let Some(ev) = stream.next().await {
        match ev.map_err(|e| ApiError::from_engine(e.into(), rid))? {
            ChatEvent::Delta(t) => text.push_str(&t),
            ChatEvent::Finished { reason, usage: u } => {
                finish = reason;
                usage = u;
            }
        }
    }
    Ok(response::completion(&meta, &text, finish, usage))
}
