//! `/api/v1/admin/connections…`: provider connections over HTTP, for administrators (session or
//! API key). Bodies are parsed here; the engine (`webplus::connections`) checks and does the rest.
//! Documented in docs/API.md. No response carries a key.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Deserializer, Serialize};
use webplus::{
    connections::{AvailableModel, Connection, ConnectionKind, ConnectionPatch, ConnectionSpec},
    settings::Secret,
};

use super::{ApiError, Authenticated, error::request_id, openai::request::rejection};
use crate::state::AppState;

type ApiResult = Result<Response, ApiError>;

fn engine(headers: &HeaderMap) -> impl Fn(webplus::Error) -> ApiError + '_ {
    move |e| ApiError::from_engine(e, &request_id(headers))
}

#[derive(Serialize)]
struct List<T> {
    data: Vec<T>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateConnection {
    kind: ConnectionKind,
    name: String,
    base_url: Option<String>,
    region: Option<String>,
    api_key: Option<Secret>,
    #[serde(default)]
    models: Vec<String>,
}

/// A field that may be absent (unchanged), `null` (cleared) or a value.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateConnection {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    base_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    region: Option<Option<String>>,
    /// A new key; `null` or `""` removes it.
    #[serde(default, deserialize_with = "present")]
    api_key: Option<Option<Secret>>,
    models: Option<Vec<String>>,
}

pub async fn list(State(state): State<AppState>, Authenticated(me): Authenticated, headers: HeaderMap) -> ApiResult {
    let all = state.services.connections.list(&me).await.map_err(engine(&headers))?;
    Ok(Json(List { data: all }).into_response())
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    body: Result<Json<CreateConnection>, JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(rejection)?;
    let spec = ConnectionSpec {
        kind: b.kind,
        name: b.name,
        base_url: b.base_url,
        region: b.region,
        api_key: b.api_key,
        models: b.models,
    };
    let created: Connection = state.services.connections.create(&me, spec).await.map_err(engine(&headers))?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let c = state.services.connections.get(&me, &id).await.map_err(engine(&headers))?;
    Ok(Json(c).into_response())
}

pub async fn update(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<UpdateConnection>, JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(rejection)?;
    let patch = ConnectionPatch {
        name: b.name,
        base_url: b.base_url,
        region: b.region,
        api_key: b.api_key.map(|k| k.filter(|k| !k.expose().trim().is_empty())),
        models: b.models,
    };
    let c = state.services.connections.update(&me, &id, patch).await.map_err(engine(&headers))?;
    Ok(Json(c).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    state.services.connections.delete(&me, &id).await.map_err(engine(&headers))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn test(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let report = state.services.connections.test(&me, &id).await.map_err(engine(&headers))?;
    Ok(Json(report).into_response())
}

pub async fn available_models(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let models: Vec<AvailableModel> =
        state.services.connections.available_models(&me, &id).await.map_err(engine(&headers))?;
    Ok(Json(List { data: models }).into_response())
}
