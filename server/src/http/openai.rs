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
    Authenticated(_me): Authenticated,
    headers: HeaderMap,
    body: Result<Json<ChatCompletionRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let rid = request_id(&headers);
    let Json(body) = body.map_err(request::rejection)?;
    let started = Instant::now();
    let request = body.to_chat_request()?;
    let registry = state.services.chat.registry();
    let (provider, model) = registry.resolve(&request.model).await.ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "invalid_request_error",
            "model_not_found",
            format!("the model {:?} does not exist; GET /v1/models lists the available ones", request.model),
        )
    })?;
    let stream = provider.stream_chat(request).await.map_err(|e| ApiError::from_engine(e.into(), &rid))?;
    let stream = instrument_stream(provider.name(), started, stream);
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let created = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let meta = response::Meta { id, created, model: model.id.clone() };

    if !body.stream {
        return collect(stream, meta, &rid).await.map(|v| Json(v).into_response());
    }
    let include_usage = body.stream_options.as_ref().is_some_and(|o| o.include_usage);
    let sse = response::sse_stream(stream, meta, include_usage, rid);
    Ok(Sse::new(sse.map(|data| Ok::<_, std::convert::Infallible>(Event::default().data(data)))).into_response())
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
