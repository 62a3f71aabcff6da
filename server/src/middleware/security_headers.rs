//! Security headers on every response; a strict default CSP where the page set none.

use std::any::Any;

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderValue, Response as HttpResponse, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::http::ApiError;

pub async fn add(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"));
    // Pages set their own CSP with a per-response nonce; everything else (JSON, assets) gets none.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    res
}

/// A panic in a handler: log it, answer 500 without its text.
pub fn panic_response(err: Box<dyn Any + Send + 'static>) -> HttpResponse<Body> {
    let detail = err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()));
    tracing::error!(panic = detail.as_deref().unwrap_or("(non-string panic)"), "a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal_error", "internal error").into_response()
}
