//! Plain axum endpoints (everything that is not a page or a server function).

mod error;
mod events;
mod health;
mod metrics;
pub mod openai;
mod principal;

use axum::{
    Router,
    routing::{get, post},
};

pub use error::ApiError;
pub use principal::Authenticated;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(metrics::metrics))
        .route("/api/messages/{id}/events", get(events::message_events))
        .route("/v1/models", get(openai::list_models))
        .route("/v1/chat/completions", post(openai::chat_completions))
}
