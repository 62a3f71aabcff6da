//! Refuses bodies over the limit up front, with a message that says the limit.

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::http::ApiError;

/// Body limits: one for everything, a larger one for file uploads.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub general: usize,
    pub upload: usize,
}

/// An upload request carries up to 20 files of `max_upload_bytes` each, but is capped at 64 MB
/// (or one file's limit, if larger): bigger batches go in several requests.
pub fn upload_request_limit(settings: &webplus::settings::Settings) -> usize {
    let per_file = settings.sitechat.max_upload_bytes;
    per_file.max(64 * 1024 * 1024).min(per_file.saturating_mul(20)).max(settings.max_body_bytes) + 64 * 1024
}

pub async fn check_content_length(State(limits): State<Limits>, req: Request, next: Next) -> Response {
    let upload = crate::http::is_upload_path(req.uri().path());
    let max = if upload { limits.upload } else { limits.general };
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            "body_too_large",
            if req.uri().path() == crate::http::IMPORT_ROUTE {
                format!("the file is larger than the limit of {max} bytes; split its conversations into several files")
            } else if upload {
                format!("the upload is larger than the limit of {max} bytes; send the files in several uploads")
            } else {
                format!("the request body is larger than the limit of {max} bytes; send less (WEBPLUS_MAX_BODY_BYTES sets the limit)")
            },
        )
        .into_response();
    }
    next.run(req).await
}
