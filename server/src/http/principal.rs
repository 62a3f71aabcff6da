//! The `Authenticated` extractor: the caller, by API key, bearer JWT or session cookie.

use axum::{extract::FromRequestParts, http::request::Parts};
use webplus::auth::Principal;

use super::{ApiError, error::request_id};
use crate::state::AppState;

/// A request from a logged-in user or a live API key; 401 otherwise.
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let accounts = &state.services.accounts;
        match app::ssr::auth::principal(accounts, &parts.headers).await {
            Ok(Some(p)) => Ok(Authenticated(p)),
            Ok(None) if app::ssr::auth::bearer(&parts.headers).is_some() => {
                Err(ApiError::unauthorized("the API key or token is not valid (revoked, expired or mistyped)"))
            }
            Ok(None) if parts.headers.contains_key(axum::http::header::AUTHORIZATION) => Err(ApiError::unauthorized(
                "only `Authorization: Bearer <API key>` is accepted; cookies are not read with an Authorization header",
            )),
            Ok(None) => Err(ApiError::unauthorized(
                "authentication required: send `Authorization: Bearer <API key>` (create keys under Settings)",
            )),
            Err(e) => Err(ApiError::from_engine(e, &request_id(&parts.headers))),
        }
    }
}
