//! For routes anyone may call from any allowed site (the widget): whatever credentials the browser
//! or a caller attaches are dropped before the handler, so no code behind them can act as a user.

use axum::{extract::Request, http::header, middleware::Next, response::Response};

pub async fn strip(mut req: Request, next: Next) -> Response {
    let h = req.headers_mut();
    h.remove(header::COOKIE);
    h.remove(header::AUTHORIZATION);
    next.run(req).await
}
