//! Liveness and readiness.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde::Serialize;

use crate::state::AppState;

/// `GET /health`.
#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

/// `GET /ready`.
#[derive(Serialize)]
struct Ready {
    status: &'static str,
    database: &'static str,
}

/// The process is up.
pub async fn health() -> impl IntoResponse {
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

/// The database answers and every migration is applied.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if state.services.db.ready().await {
        (StatusCode::OK, Json(Ready { status: "ready", database: "ok" }))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(Ready { status: "not ready", database: "unreachable or not migrated" }))
    }
}
