//! `/api/v1/pipelines…` and `/api/v1/runs…`: pipelines (create, read, save a version, delete,
//! validate, export, share) and their runs (start, read, list, cancel, follow as SSE), with API-key (or
//! session) auth. Parsed here; `webplus::pipelines` checks and does the rest. Documented in
//! docs/API.md; the format in docs/PIPELINES.md.

mod dto;
mod shares;

use std::{convert::Infallible, time::Duration};

use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{JsonRejection, QueryRejection},
    },
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::{Stream, StreamExt, stream};
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::broadcast::error::RecvError;
use webplus::{domain::pipeline::Definition, pipelines::RunEvent};

use super::{ApiError, Authenticated, error::request_id, kb::List, openai::request::rejection, sse_json};
use crate::state::AppState;
use app::ssr::convert::node_run;
use dto::{Ended, Pipeline, Problems, Run, Template, Token};
pub use shares::{delete_share, list_shares, put_share};

type ApiResult = Result<Response, ApiError>;

fn engine(headers: &HeaderMap) -> impl Fn(webplus::Error) -> ApiError + '_ {
    move |e| ApiError::from_engine(e, &request_id(headers))
}

fn query_rejection(r: QueryRejection) -> ApiError {
    ApiError::invalid("invalid_query", format!("{}; the parameters are `version` (a number)", r.body_text()))
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    body: Result<Json<Definition>, JsonRejection>,
) -> ApiResult {
    let Json(def) = body.map_err(rejection)?;
    let view = state.services.pipelines.create(&me, &def).await.map_err(engine(&headers))?;
    Ok((StatusCode::CREATED, Json(Pipeline::full(view))).into_response())
}

pub async fn list(State(state): State<AppState>, Authenticated(me): Authenticated, headers: HeaderMap) -> ApiResult {
    let rows = state.services.pipelines.list(&me.user_id).await.map_err(engine(&headers))?;
    Ok(Json(List::of(rows.iter().map(Pipeline::listed).collect())).into_response())
}

/// The pipelines Web+ ships as starting points (their LLM nodes on the default model).
pub async fn templates(State(state): State<AppState>, Authenticated(_): Authenticated) -> ApiResult {
    let templates = state.services.pipelines.templates();
    Ok(Json(List::of(templates.into_iter().map(Template::from).collect())).into_response())
}

/// Every problem of a definition, without saving it (200 with an empty list when it is sound).
pub async fn validate(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    body: Result<Json<Definition>, JsonRejection>,
) -> ApiResult {
    let Json(def) = body.map_err(rejection)?;
    let problems = state.services.pipelines.problems(&me, &def).await;
    Ok(Json(Problems { problems }).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    version: Option<i64>,
}

pub async fn get(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<VersionQuery>, QueryRejection>,
) -> ApiResult {
    let Query(q) = query.map_err(query_rejection)?;
    let view = state.services.pipelines.get(&me.user_id, &id, q.version).await.map_err(engine(&headers))?;
    Ok(Json(Pipeline::full(view)).into_response())
}

/// Saves the body as the pipeline's next version.
pub async fn save(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<Definition>, JsonRejection>,
) -> ApiResult {
    let Json(def) = body.map_err(rejection)?;
    let view = state.services.pipelines.save(&me, &id, &def).await.map_err(engine(&headers))?;
    Ok(Json(Pipeline::full(view)).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    state.services.pipelines.delete(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The definition as a file (what `POST /api/v1/pipelines` imports).
pub async fn export(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<VersionQuery>, QueryRejection>,
) -> ApiResult {
    let Query(q) = query.map_err(query_rejection)?;
    let view = state.services.pipelines.get(&me.user_id, &id, q.version).await.map_err(engine(&headers))?;
    let name: String = view
        .definition
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .take(60)
        .collect();
    let disposition =
        format!("attachment; filename=\"{}.pipeline.json\"", if name.is_empty() { "pipeline" } else { &name });
    let mut response = Json(view.definition).into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRun {
    #[serde(default)]
    inputs: Map<String, Value>,
    version: Option<i64>,
}

pub async fn start_run(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<StartRun>, JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(rejection)?;
    let run = state.services.pipelines.start(&me, &id, b.inputs, b.version).await.map_err(engine(&headers))?;
    Ok((StatusCode::CREATED, Json(Run::from(run))).into_response())
}

pub async fn list_runs(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let runs = state.services.pipelines.runs(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(List::of(runs.into_iter().map(Run::from).collect())).into_response())
}

pub async fn get_run(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let run = state.services.pipelines.run(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(Run::from(run)).into_response())
}

pub async fn cancel_run(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let run = state.services.pipelines.cancel(&me.user_id, &id).await.map_err(engine(&headers))?;
    Ok(Json(Run::from(run)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rerun {
    from: String,
}

/// Runs an ended run's version again from a node down (the nodes above it are reused).
pub async fn rerun(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<Rerun>, JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(rejection)?;
    let run = state.services.pipelines.rerun(&me, &id, &b.from).await.map_err(engine(&headers))?;
    Ok((StatusCode::CREATED, Json(Run::from(run))).into_response())
}

fn event(e: &RunEvent) -> Event {
    let data = match e {
        RunEvent::Node(n) => sse_json(&node_run(n.clone())),
        RunEvent::Token { node, text } => sse_json(&Token { node, text }),
        RunEvent::Finished { status, outputs, error } => {
            sse_json(&Ended { status: status.as_str(), outputs: outputs.as_ref(), error: error.as_deref() })
        }
    };
    Event::default().event(e.name()).data(data)
}

/// `snapshot` (the run as it stands), then `node`, `token` and finally `run` (its end). A run
/// that has ended gets its snapshot and its `run` event. A follower too slow to keep up gets
/// `lagged` (how many events it missed): it reads the run again with `GET /api/v1/runs/{id}`.
pub async fn run_events(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let pipelines = state.services.pipelines.clone();
    let (view, events) = pipelines.follow(&me.user_id, &id).await.map_err(engine(&headers))?;
    let ended = (view.status != webplus::pipelines::RunStatus::Running).then(|| RunEvent::Finished {
        status: view.status,
        outputs: view.outputs.clone(),
        error: view.error.clone(),
    });
    let first = stream::iter([Event::default().event("snapshot").data(sse_json(&Run::from(view)))]);
    let rest = async_stream::stream! {
        match (events, ended) {
            (Some(mut rx), _) => loop {
                match rx.recv().await {
                    Ok(e) => {
                        yield event(&e);
                        // The stream ends after the run's end.
                        if matches!(e, RunEvent::Finished { .. }) {
                            break;
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        yield Event::default().event("lagged").data(format!("{{\"missed\":{n}}}"))
                    }
                    Err(RecvError::Closed) => break,
                }
            },
            (None, Some(end)) => yield event(&end),
            (None, None) => {}
        }
    };
    Ok(Sse::new(first.chain(rest).map(Ok)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
