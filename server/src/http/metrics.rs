//! Prometheus metrics in text format.
//!
//! With `WEBPLUS_METRICS_TOKEN` set, only callers with `Authorization: Bearer <token>` get them.
//! Without it anyone who can reach the server can read them (route names, request counts, model
//! usage): set the token, or serve them on a private address with `WEBPLUS_METRICS_ADDR`.

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};

use crate::{http::ApiError, state::AppState};

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.settings.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if !given.is_some_and(|g| webplus::auth::secrets_match(g, expected.expose())) {
            let mut res =
                ApiError::unauthorized("the metrics need the token set in WEBPLUS_METRICS_TOKEN, as a bearer token")
                    .into_response();
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return res;
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render()).into_response()
}
