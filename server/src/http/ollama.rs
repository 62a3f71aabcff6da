//! `/api/v1/admin/connections/{id}/ollama/…`: an Ollama connection's models for administrators
//! (list, pull as a job, start, stop, delete, show) and its live events as SSE. Parsed here; the
//! engine (`webplus::connections::Ollama`) checks and does the rest. Documented in docs/API.md.
//!
//! Each handler asks the engine for the connection first, so a non-administrator is refused
//! (403) before anything about the body is said.

use std::{convert::Infallible, time::Duration};

use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{JsonRejection, QueryRejection},
    },
    http::{HeaderMap, StatusCode},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use webplus::connections::{Ollama, OllamaEvent, OllamaModel};

use super::{ApiError, Authenticated, error::request_id, openai::request::rejection, sse_json};
use crate::state::AppState;

type ApiResult = Result<Response, ApiError>;

#[derive(Serialize)]
struct List<T> {
    data: Vec<T>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsQuery {
    #[serde(default)]
    refresh: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelQuery {
    model: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelBody {
    model: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    model: String,
    keep_alive: Option<String>,
}

/// The connection's model manager, or the engine's refusal as a response.
async fn connection(
    state: &AppState,
    me: &webplus::auth::Principal,
    id: &str,
    headers: &HeaderMap,
) -> Result<Ollama, ApiError> {
    state.services.connections.ollama(me, id).await.map_err(|e| ApiError::from_engine(e, &request_id(headers)))
}

fn models_response(result: webplus::Result<Vec<OllamaModel>>, headers: &HeaderMap) -> ApiResult {
    let models = result.map_err(|e| ApiError::from_engine(e, &request_id(headers)))?;
    Ok(Json(List { data: models }).into_response())
}

fn query_rejection(e: QueryRejection) -> ApiError {
    ApiError::invalid("invalid_query", e.body_text())
}

pub async fn models(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<ModelsQuery>, QueryRejection>,
) -> ApiResult {
    let ollama = connection(&state, &me, &id, &headers).await?;
    let Query(q) = query.map_err(query_rejection)?;
    models_response(ollama.models(q.refresh).await, &headers)
}

pub async fn pull(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ModelBody>, JsonRejection>,
) -> ApiResult {
    let ollama = connection(&state, &me, &id, &headers).await?;
    let Json(b) = body.map_err(rejection)?;
    let job = ollama.pull(&b.model).await.map_err(|e| ApiError::from_engine(e, &request_id(&headers)))?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

pub async fn pull_job(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path((id, job)): Path<(String, String)>,
) -> ApiResult {
    let ollama = connection(&state, &me, &id, &headers).await?;
    let job = ollama.pull_job(&job).map_err(|e| ApiError::from_engine(e, &request_id(&headers)))?;
    Ok(Json(job).into_response())
}

pub async fn start(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<StartBody>, JsonRejection>,
) -> ApiResult {
    let ollama = connection(&state, &me, &id, &headers).await?;
    let Json(b) = body.map_err(rejection)?;
    models_response(ollama.start(&b.model, b.keep_alive.as_deref()).await, &headers)
}

pub async fn stop(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ModelBody>, JsonRejection>,
) -> ApiResult {
    let ollama = connection(&state, &me, &id, &headers).await?;
    let Json(b) = body.map_err(rejection)?;
    models_response(ollama.stop(&b.model).await, &headers)
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ModelBody>, JsonRejection>,
) -> ApiResult {
    let ollama = connection(&state, &me, &id, &headers).await?;
    let Json(b) = body.map_err(rejection)?;
    models_response(ollama.delete(&b.model).await, &headers)
}

pub async fn show(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<ModelQuery>, QueryRejection>,
) -> ApiResult {
    let ollama = connection(&state, &me, &id, &headers).await?;
    let Query(q) = query.map_err(query_rejection)?;
    let details = ollama.show(&q.model).await.map_err(|e| ApiError::from_engine(e, &request_id(&headers)))?;
    Ok(Json(details).into_response())
}

/// `models` (`{"data": [...]}`, first the models now) and `pull` (the job) events, until the
/// client leaves or the server stops.
pub async fn events(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let ollama = connection(&state, &me, &id, &headers).await?;
    let live = ollama.live().await.map_err(|e| ApiError::from_engine(e, &request_id(&headers)))?;
    let stream = live.map(|event| {
        let data = match &event {
            OllamaEvent::Models(models) => sse_json(&List { data: models.clone() }),
            OllamaEvent::Pull(job) => sse_json(job),
        };
        Ok(Event::default().event(event.name()).data(data))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
