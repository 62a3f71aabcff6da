//! Keeps browser sessions alive: when a request carries a refresh cookie but no valid access
//! token, rotate the refresh token, let the request through with the new access token, and set the
//! new cookies on the response. Pages and server functions then never see an expired session.

use axum::{
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::Response,
};

use webplus::auth::web as auth;

use crate::state::AppState;

pub async fn refresh_expired_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let skip = path.starts_with("/pkg/")
        || path.starts_with("/v1/")
        || path == "/health"
        || path == "/metrics"
        || path == "/ready";
    let headers = req.headers();
    if skip || headers.contains_key(header::AUTHORIZATION) {
        return next.run(req).await;
    }
    let Some(refresh) = auth::read_cookie(headers, auth::REFRESH) else { return next.run(req).await };
    let accounts = &state.services.accounts;
    // Only the signature and expiry decide whether to refresh; the handler does the full
    // (database) check, so checking the session here too would cost every request a second query.
    if let Some(access) = auth::read_cookie(headers, auth::ACCESS)
        && accounts.access_token_is_fresh(&access)
    {
        return next.run(req).await;
    }
    let secure = auth::secure_context(headers, state.settings.trust_proxy);
    match accounts.refresh(&refresh).await {
        Ok(tokens) => {
            // Downstream handlers read the access cookie: hand them the new one.
            auth::use_access_cookie(req.headers_mut(), &tokens.access_token, secure);
            let mut res = next.run(req).await;
            for c in auth::session_cookies(&tokens, accounts, secure) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        Err(_) => {
            let mut res = next.run(req).await;
            for c in auth::clear_cookies() {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
    }
}
