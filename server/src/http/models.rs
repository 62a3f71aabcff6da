//! `/api/v1/admin/models…`: the model catalog over HTTP, for administrators (session or API key).
//! Bodies are parsed here; the engine (`webplus::catalog`) checks and does the rest. Documented in
//! docs/API.md. The id clients use in `/v1` is returned as `model`.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use webplus::catalog::{CatalogModel, ModelInput};

use super::{ApiError, Authenticated, error::request_id, openai::request::rejection};
use crate::state::AppState;

type ApiResult = Result<Response, ApiError>;

fn engine(headers: &HeaderMap) -> impl Fn(webplus::Error) -> ApiError + '_ {
    move |e| ApiError::from_engine(e, &request_id(headers))
}

#[derive(Serialize)]
struct List {
    data: Vec<CatalogModel>,
}

pub async fn list(State(state): State<AppState>, Authenticated(me): Authenticated, headers: HeaderMap) -> ApiResult {
    let data = state.services.catalog.list(&me).await.map_err(engine(&headers))?;
    Ok(Json(List { data }).into_response())
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    body: Result<Json<ModelInput>, JsonRejection>,
) -> ApiResult {
    let Json(input) = body.map_err(rejection)?;
    let created = state.services.connections.add_model(&me, input).await.map_err(engine(&headers))?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let m = state.services.catalog.get(&me, &id).await.map_err(engine(&headers))?;
    Ok(Json(m).into_response())
}

pub async fn update(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ModelInput>, JsonRejection>,
) -> ApiResult {
    let Json(input) = body.map_err(rejection)?;
    let m = state.services.catalog.update(&me, &id, input).await.map_err(engine(&headers))?;
    Ok(Json(m).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    state.services.catalog.delete(&me, &id).await.map_err(engine(&headers))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
