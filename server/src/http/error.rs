//! Errors of the plain HTTP endpoints, in OpenAI's error shape so SDKs show them well:
//! `{"error": {"message", "type", "code", "request_id"}}`.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

/// An error response. Internal errors were logged (with their cause) where they were created.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, code, message: message.into(), retry_after: None }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "authentication_error", "invalid_api_key", message)
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", code, message)
    }

    /// Maps an engine error, logged by kind ([`webplus::Error::log`]: internal ones at ERROR with
    /// their cause chain, the caller's mistakes at INFO/WARN).
    pub fn from_engine(e: webplus::Error, request_id: &str) -> Self {
        use webplus::Error as E;
        e.log(request_id);
        match e {
            E::NotFound(what) => {
                Self::new(StatusCode::NOT_FOUND, "invalid_request_error", "not_found", format!("{what} not found"))
            }
            E::Unauthorized(m) => Self::unauthorized(m),
            E::Forbidden(m) => Self::new(StatusCode::FORBIDDEN, "permission_error", "forbidden", m),
            E::Invalid(v) => Self::invalid("invalid_value", format!("{}: {}", v.field, v.reason)),
            E::Conflict(m) => Self::new(StatusCode::CONFLICT, "invalid_request_error", "conflict", m),
            E::RateLimited { retry_after_secs } => Self {
                retry_after: Some(retry_after_secs),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "rate_limited",
                    format!("too many requests; try again in {retry_after_secs} s"),
                )
            },
            E::Unavailable(m) => Self::new(StatusCode::SERVICE_UNAVAILABLE, "server_error", "unavailable", m),
            E::Internal(_) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal_error",
                format!("internal error (request id {request_id})"),
            ),
        }
    }

    pub fn body(&self) -> serde_json::Value {
        json!({ "error": { "message": self.message, "type": self.kind, "param": null, "code": self.code } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(self.body())).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// The request id set by the request-id middleware.
pub fn request_id(headers: &axum::http::HeaderMap) -> String {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_string()
}
