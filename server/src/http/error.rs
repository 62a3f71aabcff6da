//! Errors of the plain HTTP endpoints, in OpenAI's error shape so SDKs show them well:
//! `{"error": {"message", "type", "param", "code"}}`; an internal error's message carries the request id.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

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
    /// their cause chain, the caller's mistakes at INFO/WARN). The status comes from the engine's
    /// one table ([`webplus::Error::status`]), the message from [`webplus::Error::public_message`].
    pub fn from_engine(e: webplus::Error, request_id: &str) -> Self {
        use webplus::Error as E;
        e.log(request_id);
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (kind, code) = match &e {
            E::NotFound(_) => ("invalid_request_error", "not_found"),
            E::UnknownModel(_) => ("invalid_request_error", "model_not_found"),
            E::Unauthorized(_) => ("authentication_error", "invalid_api_key"),
            E::Forbidden(_) => ("permission_error", "forbidden"),
            E::Invalid(_) => ("invalid_request_error", "invalid_value"),
            E::Conflict(_) => ("invalid_request_error", "conflict"),
            E::RateLimited { .. } => ("rate_limit_error", "rate_limited"),
            E::Unavailable(_) => ("server_error", "unavailable"),
            E::ModelMissing { .. } => ("server_error", "model_not_installed"),
            E::ProviderKeyRefused { .. } => ("server_error", "provider_key_refused"),
            E::Internal(_) => ("server_error", "internal_error"),
        };
        let message = match &e {
            E::Invalid(v) => format!("{}: {}", v.field, v.reason),
            E::RateLimited { retry_after_secs } => format!("too many requests; try again in {retry_after_secs} s"),
            E::UnknownModel(m) => format!("the model {m:?} does not exist; GET /v1/models lists the available ones"),
            other => other.public_message(request_id),
        };
        let retry_after = match e {
            E::RateLimited { retry_after_secs } => Some(retry_after_secs),
            _ => None,
        };
        Self { status, kind, code, message, retry_after }
    }

    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody { error: ErrorDetail { message: &self.message, kind: self.kind, param: None, code: self.code } }
    }
}

/// `{"error": {"message", "type", "param", "code"}}`, as OpenAI answers errors.
#[derive(Serialize)]
pub struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    param: Option<&'static str>,
    code: &'static str,
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
