//! The one error type server functions return: variants a user can act on.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{reason}")]
    Invalid { field: String, reason: String },
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    Unavailable(String),
    /// Details are in the server log under this request id.
    #[error("internal error (request id {request_id})")]
    Internal { request_id: String },
    /// The request did not reach the server or its answer could not be read.
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        AppError::Invalid { field: field.into(), reason: reason.into() }
    }

    /// The field a validation error is about, to show the message beside it.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<webplus::domain::ValidationError> for AppError {
    fn from(e: webplus::domain::ValidationError) -> Self {
        AppError::Invalid { field: e.field.into(), reason: e.reason }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(e: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match e {
            // The request body did not match the function's arguments: the caller's mistake.
            E::Args(m) | E::Deserialization(m) => AppError::invalid("request", format!("malformed request: {m}")),
            E::Request(m) => AppError::Transport(format!("could not reach the server: {m}")),
            E::Response(m) => AppError::Transport(format!("unreadable answer from the server: {m}")),
            E::MissingArg(m) => AppError::invalid("request", format!("missing argument {m}")),
            other => AppError::Transport(other.to_string()),
        }
    }
}
