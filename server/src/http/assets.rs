//! Stylesheets the server makes: `GET /highlight.css`, the code-highlighting classes of rendered
//! replies (`webplus::render::stylesheet`: a light theme, and a dark one for dark mode).

use axum::{
    http::header::{CACHE_CONTROL, CONTENT_TYPE},
    response::IntoResponse,
};

pub async fn highlight_css() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")],
        webplus::render::stylesheet(),
    )
}
