//! CSRF defence in depth (cookies are already SameSite=Lax): a state-changing request that carries
//! cookies must come from our own origin. Only requests with an `Authorization: Bearer` token skip
//! the check: such a request is authenticated by that token alone (`webplus::auth::web` never reads its
//! cookies), and a page on another origin cannot make the browser send one without our CORS consent.
//! Any other `Authorization` header (Basic, empty bearer…) does not exempt the request.

use axum::{
    extract::Request,
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::http::ApiError;

pub async fn same_origin_for_cookie_writes(req: Request, next: Next) -> Response {
    let h = req.headers();
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && h.contains_key(header::COOKIE) && webplus::auth::web::bearer(h).is_none() {
        let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let origin_ok = match h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            Some(origin) => origin.split_once("://").map(|(_, rest)| rest) == Some(host),
            // No Origin (older browsers on same-origin requests): fall back to Fetch Metadata.
            None => h.get("sec-fetch-site").and_then(|v| v.to_str().ok()).is_none_or(|s| s != "cross-site"),
        };
        if !origin_ok {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "permission_error",
                "cross_origin",
                "cross-site requests with cookies are refused; use an API key in the Authorization header",
            )
            .into_response();
        }
    }
    next.run(req).await
}
