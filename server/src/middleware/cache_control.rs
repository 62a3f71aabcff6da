//! `Cache-Control: no-store` on everything but the static bundle: pages, server functions and APIs
//! carry user data, which must not stay in shared caches or the browser's disk cache (a shared
//! computer, a caching proxy). Static files keep whatever caching they were served with.

use axum::{
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// Paths that only ever serve the same public bytes to everyone.
pub fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/widget.js"
}

pub async fn no_store(req: Request, next: Next) -> Response {
    let keep = is_static(req.uri().path());
    let mut res = next.run(req).await;
    if !keep {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
