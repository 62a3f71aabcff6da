//! `/api/v1/pipelines/{id}/shares…`: who else may view or run a pipeline (its owner only).

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use serde::Deserialize;
use webplus::pipelines::Access;

use super::{ApiResult, dto::Share, engine};
use crate::{
    http::{Authenticated, kb::List, openai::request::rejection},
    state::AppState,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    /// The email of the user to share with.
    email: String,
    /// `view` or `run`.
    access: String,
}

pub async fn list_shares(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let shares = state.services.pipelines.shares(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(List::of(shares.into_iter().map(Share::from).collect())).into_response())
}

/// Shares the pipeline with a user (or changes what they may do); answers with every share.
pub async fn put_share(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ShareBody>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body.map_err(rejection)?;
    let access = Access::parse_share(&body.access).map_err(engine(&headers))?;
    let shares =
        state.services.pipelines.share(&me.user_id, &id, &body.email, access).await.map_err(engine(&headers))?;
    Ok(Json(List::of(shares.into_iter().map(Share::from).collect())).into_response())
}

pub async fn delete_share(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult {
    state.services.pipelines.unshare(&me.user_id, &id, &user_id).await.map_err(engine(&headers))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
