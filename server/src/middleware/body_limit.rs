//! Refuses bodies over the limit up front, with a message that says the limit.

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::http::ApiError;

pub async fn check_content_length(State(max): State<usize>, req: Request, next: Next) -> Response {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            "body_too_large",
            format!("the request body is larger than the limit of {max} bytes; send less (WEBPLUS_MAX_BODY_BYTES sets the limit)"),
        )
        .into_response();
    }
    next.run(req).await
}
