//! Plain axum endpoints (everything that is not a page or a server function).

mod assets;
mod attachments;
mod connections;
mod conversations;
mod error;
mod events;
mod health;
mod kb;
mod metrics;
mod models;
mod ollama;
pub mod openai;
mod pipelines;
mod principal;
mod usage;
mod widget;

use axum::{
    Router,
    routing::{delete, get, post},
};

pub use error::ApiError;
pub use principal::Authenticated;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/highlight.css", get(assets::highlight_css))
        .route("/api/messages/{id}/events", get(events::message_events))
        .route("/api/v1/knowledge-bases", post(kb::create_kb).get(kb::list_kbs))
        .route("/api/v1/knowledge-bases/{id}", get(kb::get_kb).patch(kb::update_kb).delete(kb::delete_kb))
        .route("/api/v1/knowledge-bases/{id}/documents/{doc}", delete(kb::delete_document))
        .route("/api/v1/knowledge-bases/{id}/crawl", post(kb::crawl))
        .route("/api/v1/knowledge-bases/{id}/jobs", get(kb::list_jobs))
        .route("/api/v1/knowledge-bases/{id}/search", post(kb::search))
        .route("/api/v1/knowledge-bases/{id}/shares", get(kb::list_shares).post(kb::share).delete(kb::unshare))
        .route("/api/v1/knowledge-bases/{id}/publication", axum::routing::put(kb::publish))
        .route("/api/v1/jobs/{id}", get(kb::get_job))
        .route("/api/v1/jobs/{id}/cancel", post(kb::cancel_job))
        .route("/api/v1/pipelines", post(pipelines::create).get(pipelines::list))
        .route("/api/v1/pipelines/validate", post(pipelines::validate))
        .route("/api/v1/pipelines/templates", get(pipelines::templates))
        .route("/api/v1/pipelines/{id}", get(pipelines::get).put(pipelines::save).delete(pipelines::delete))
        .route("/api/v1/pipelines/{id}/export", get(pipelines::export))
        .route("/api/v1/pipelines/{id}/shares", get(pipelines::list_shares).put(pipelines::put_share))
        .route("/api/v1/pipelines/{id}/shares/{user_id}", delete(pipelines::delete_share))
        .route("/api/v1/pipelines/{id}/runs", post(pipelines::start_run).get(pipelines::list_runs))
        .route("/api/v1/runs/{id}", get(pipelines::get_run))
        .route("/api/v1/runs/{id}/cancel", post(pipelines::cancel_run))
        .route("/api/v1/runs/{id}/rerun", post(pipelines::rerun))
        .route("/api/v1/runs/{id}/events", get(pipelines::run_events))
        .route("/api/v1/usage", get(usage::usage))
        .route("/api/v1/conversations/{id}/export", get(conversations::export))
        .route("/api/v1/attachments/{id}", get(attachments::download))
        .route("/api/v1/admin/connections", get(connections::list).post(connections::create))
        .route("/api/v1/admin/models", get(models::list).post(models::create))
        .route("/api/v1/admin/models/{id}", get(models::get).patch(models::update).delete(models::delete))
        .route(
            "/api/v1/admin/connections/{id}",
            get(connections::get).patch(connections::update).delete(connections::delete),
        )
        .route("/api/v1/admin/connections/{id}/test", post(connections::test))
        .route("/api/v1/admin/connections/{id}/available-models", get(connections::available_models))
        .route("/api/v1/admin/connections/{id}/ollama/models", get(ollama::models))
        .route("/api/v1/admin/connections/{id}/ollama/pull", post(ollama::pull))
        .route("/api/v1/admin/connections/{id}/ollama/pulls/{job}", get(ollama::pull_job))
        .route("/api/v1/admin/connections/{id}/ollama/start", post(ollama::start))
        .route("/api/v1/admin/connections/{id}/ollama/stop", post(ollama::stop))
        .route("/api/v1/admin/connections/{id}/ollama/delete", post(ollama::delete))
        .route("/api/v1/admin/connections/{id}/ollama/show", get(ollama::show))
        .route("/api/v1/admin/connections/{id}/ollama/events", get(ollama::events))
        .route("/v1/models", get(openai::list_models))
        .route("/v1/chat/completions", post(openai::chat_completions))
        .route("/v1/embeddings", post(openai::embeddings))
}

/// `/metrics`: on the main listener, or alone on `WEBPLUS_METRICS_ADDR` when that is set.
pub fn metrics_routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics::metrics))
}

/// The widget's routes: outside the global CORS layer (they answer CORS per knowledge base), with
/// no cookies or API keys reaching them.
pub fn widget_routes() -> Router<AppState> {
    Router::new()
        .route("/widget.js", get(widget::script))
        .route("/api/widget/{public_id}/chat", post(widget::chat).options(widget::preflight))
}

pub use widget::MAX_BODY_BYTES as WIDGET_MAX_BODY_BYTES;

/// Routes that take file uploads: they get the upload body limit instead of the general one.
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route(UPLOAD_ROUTE, get(kb::list_documents).post(kb::upload_documents))
        .route(IMPORT_ROUTE, post(conversations::import))
        .route(ATTACHMENTS_ROUTE, post(attachments::upload))
}

/// Attaching a file to a message: the upload body limit.
pub const ATTACHMENTS_ROUTE: &str = "/api/v1/attachments";

/// Importing conversations (a whole ChatGPT history is one file): the upload body limit.
pub const IMPORT_ROUTE: &str = "/api/v1/conversations/import";

pub const UPLOAD_ROUTE: &str = "/api/v1/knowledge-bases/{id}/documents";

/// A typed event body as JSON text, for the SSE streams (chat replies, the widget, `/v1`). Their
/// bodies are plain structs with string keys, which always serialise; an empty string is never sent.
pub(crate) fn sse_json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Whether a request path is an upload route (for the body-limit middleware).
pub fn is_upload_path(path: &str) -> bool {
    path == IMPORT_ROUTE
        || path == ATTACHMENTS_ROUTE
        || path
            .strip_prefix("/api/v1/knowledge-bases/")
            .and_then(|rest| rest.strip_suffix("/documents"))
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}
