//! The middleware stack, outermost first: request id, tracing, panic catcher, metrics, security
//! headers, `Cache-Control`, allowed hosts, CORS, compression, body limit, CSRF origin check, session
//! refresh, server-fn statuses. The Leptos routes alone also render each page on one thread
//! (`page_threads`, applied in `startup`) and keep each render's reactive owner (`reactive_owner`).
//!
//! The widget's routes share the outer layers but not CORS (they answer it per knowledge base) nor
//! the cookie layers: their requests lose `Cookie` and `Authorization` instead.

mod allowed_hosts;
mod body_limit;
mod cache_control;
mod csrf;
mod http_metrics;
mod no_credentials;
pub mod page_threads;
mod reactive_owner;
mod security_headers;
mod server_fn_status;
mod session_refresh;

use axum::{Router, http::HeaderName, middleware::from_fn, middleware::from_fn_with_state};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    cors::{AllowOrigin, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    sensitive_headers::SetSensitiveHeadersLayer,
    trace::TraceLayer,
};

use crate::state::AppState;

pub fn apply(router: Router, uploads: Router, widget: Router, state: &AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let max_body = state.settings.max_body_bytes;
    let limits = body_limit::Limits { general: max_body, upload: body_limit::upload_request_limit(&state.settings) };
    let inner = ServiceBuilder::new()
        .layer(from_fn_with_state(limits, body_limit::check_content_length))
        .layer(from_fn(csrf::same_origin_for_cookie_writes))
        .layer(from_fn_with_state(state.clone(), session_refresh::refresh_expired_session))
        .layer(from_fn(server_fn_status::fix_status));
    let outer = ServiceBuilder::new()
        .layer(SetSensitiveHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
            axum::http::header::COOKIE,
            axum::http::header::SET_COOKIE,
        ]))
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let rid = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %rid)
        }))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(CatchPanicLayer::custom(security_headers::panic_response))
        .layer(from_fn(http_metrics::record))
        .layer(from_fn(security_headers::add))
        .layer(from_fn(cache_control::no_store))
        .layer(from_fn_with_state(allowed_hosts::AllowedHosts::from_settings(&state.settings), allowed_hosts::check));
    // The body limit wraps the routes directly: it changes the body type the layers above would see.
    let uploads = uploads
        .layer(axum::extract::DefaultBodyLimit::max(limits.upload))
        .layer(RequestBodyLimitLayer::new(limits.upload));
    let app = router
        .layer(RequestBodyLimitLayer::new(max_body))
        .merge(uploads)
        .layer(inner)
        .layer(cors(&state.settings.cors_origins))
        .layer(CompressionLayer::new());
    let widget_body = crate::http::WIDGET_MAX_BODY_BYTES;
    let widget = widget
        .layer(axum::extract::DefaultBodyLimit::max(widget_body))
        .layer(RequestBodyLimitLayer::new(widget_body))
        .layer(from_fn(no_credentials::strip))
        .layer(CompressionLayer::new());
    app.merge(widget).layer(outer)
}

fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<axum::http::HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST, axum::http::Method::OPTIONS])
        .allow_headers([axum::http::header::AUTHORIZATION, axum::http::header::CONTENT_TYPE])
}

#[cfg(test)]
mod tests {
    /// Every response's body is boxed once with the compression layer's body inside it, used or
    /// not, so its size is memory each open stream holds for as long as it streams. It stays small
    /// while only gzip (whose encoder is boxed) is compiled in; brotli's encoder state made it
    /// 5,824 bytes (see the workspace Cargo.toml).
    #[test]
    fn the_compression_body_each_stream_holds_stays_small() {
        let size = std::mem::size_of::<tower_http::compression::CompressionBody<axum::body::Body>>();
        assert!(size <= 1024, "the compression layer's body is {size} bytes: an encoder's state is held inline");
    }
}
