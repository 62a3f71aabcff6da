//! `/api/v1/knowledge-bases…` and `/api/v1/jobs…`: every knowledge-base action over HTTP, with
//! API-key (or session) auth. Documented in docs/API.md.

mod dto;
mod upload;

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use webplus::{answer::Caller, sitechat::CrawlRequest};

/// `{"object": "list", "data": […]}`: the pipeline API lists the same way.
pub(super) use dto::List;
pub use upload::upload_documents;

use super::{ApiError, Authenticated, error::request_id, openai::request::rejection};
use crate::state::AppState;
use dto::{
    Document, Job, JobStarted, KnowledgeBase, PublicationBody, SearchHit, SearchResults, SharedWith,
    UpdatedKnowledgeBase,
};
use webplus::domain::JobStatus;

type ApiResult = Result<Response, ApiError>;

fn engine(headers: &HeaderMap) -> impl Fn(webplus::Error) -> ApiError + '_ {
    move |e| ApiError::from_engine(e, &request_id(headers))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKb {
    name: String,
    embedding_model: Option<String>,
}

pub async fn create_kb(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    body: Result<Json<CreateKb>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body.map_err(rejection)?;
    let sc = &state.services.sitechat;
    let kb = sc.create_kb(&me.user_id, &body.name, body.embedding_model.as_deref()).await.map_err(engine(&headers))?;
    let view = sc.kb_view(&me.user_id, &kb.id).await.map_err(engine(&headers))?;
    Ok((StatusCode::CREATED, Json(KnowledgeBase::from(&view))).into_response())
}

pub async fn list_kbs(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
) -> ApiResult {
    let kbs = state.services.sitechat.list_kbs(&me.user_id).await.map_err(engine(&headers))?;
    Ok(Json(List::of(kbs.iter().map(KnowledgeBase::from).collect())).into_response())
}

pub async fn get_kb(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let view = state.services.sitechat.kb_view(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(KnowledgeBase::from(&view)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateKb {
    name: Option<String>,
    embedding_model: Option<String>,
}

/// Renames, and/or switches the embedding model (which re-embeds: the answer carries the job).
pub async fn update_kb(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<UpdateKb>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body.map_err(rejection)?;
    let sc = &state.services.sitechat;
    if let Some(name) = &body.name {
        sc.rename_kb(&me.user_id, &id, name).await.map_err(engine(&headers))?;
    }
    let job = match &body.embedding_model {
        Some(model) => sc.change_embedding_model(&me.user_id, &id, model).await.map_err(engine(&headers))?,
        None => None,
    };
    let view = sc.kb_view(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(UpdatedKnowledgeBase { kb: KnowledgeBase::from(&view), job_id: job.map(|j| j.id) }).into_response())
}

pub async fn delete_kb(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    state.services.sitechat.delete_kb(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_documents(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let docs = state.services.sitechat.list_documents(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(List::of(docs.iter().map(Document::from).collect())).into_response())
}

pub async fn delete_document(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path((id, doc)): Path<(String, String)>,
) -> ApiResult {
    state.services.sitechat.delete_document(&me.user_id, &id, &doc).await.map_err(engine(&headers))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn crawl(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<CrawlRequest>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body.map_err(rejection)?;
    let job = state.services.sitechat.start_crawl(&me.user_id, &id, body).await.map_err(engine(&headers))?;
    Ok((StatusCode::ACCEPTED, Json(JobStarted { status: JobStatus::parse(&job.status), job_id: job.id }))
        .into_response())
}

pub async fn list_jobs(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let jobs = state.services.sitechat.list_jobs(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(List::of(jobs.iter().map(Job::from).collect())).into_response())
}

pub async fn get_job(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let job = state.services.sitechat.job(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(Job::from(&job)).into_response())
}

pub async fn cancel_job(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let sc = &state.services.sitechat;
    sc.cancel_job(&me.user_id, &id).await.map_err(engine(&headers))?;
    // Cancellation is cooperative: report the state right after asking.
    let job = sc.job(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok((StatusCode::ACCEPTED, Json(Job::from(&job))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    query: String,
    k: Option<usize>,
}

pub async fn search(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<SearchRequest>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body.map_err(rejection)?;
    let k = body.k.unwrap_or(5);
    if k == 0 || k > 50 {
        return Err(ApiError::invalid("invalid_value", "k: ask for 1 to 50 results"));
    }
    let hits =
        state.services.sitechat.search(&Caller::of(&me), &[id], &body.query, k).await.map_err(engine(&headers))?;
    Ok(Json(SearchResults { results: hits.iter().map(SearchHit::from).collect() }).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    email: String,
}

pub async fn list_shares(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let emails = state.services.sitechat.kb_shares(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(SharedWith { shared_with: emails }).into_response())
}

pub async fn share(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ShareRequest>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body.map_err(rejection)?;
    let sc = &state.services.sitechat;
    sc.share_kb(&me.user_id, &id, &body.email).await.map_err(engine(&headers))?;
    let emails = sc.kb_shares(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(SharedWith { shared_with: emails }).into_response())
}

pub async fn unshare(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ShareRequest>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body.map_err(rejection)?;
    let sc = &state.services.sitechat;
    sc.unshare_kb(&me.user_id, &id, &body.email).await.map_err(engine(&headers))?;
    let emails = sc.kb_shares(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(SharedWith { shared_with: emails }).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    published: bool,
    #[serde(default)]
    allowed_origins: Vec<String>,
}

pub async fn publish(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<PublishRequest>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body.map_err(rejection)?;
    let p = state
        .services
        .sitechat
        .publish_kb(&me.user_id, &id, body.published, &body.allowed_origins)
        .await
        .map_err(engine(&headers))?;
    Ok(Json(PublicationBody { public_id: p.public_id, allowed_origins: p.allowed_origins }).into_response())
}
