//! The `Authenticated` extractor: the caller, by API key, bearer JWT or session cookie.

use axum::{extract::FromRequestParts, http::request::Parts};
use webplus::auth::{Principal, web};

use super::{ApiError, error::request_id};
use crate::state::AppState;

/// A request from a logged-in user or a live API key; 401 otherwise.
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let accounts = &state.services.accounts;
        match web::principal(accounts, &parts.headers).await {
            Ok(Some(p)) => Ok(Authenticated(p)),
            Ok(None) => Err(ApiError::unauthorized(web::why_unauthenticated(&parts.headers))),
            Err(e) => Err(ApiError::from_engine(e, &request_id(&parts.headers))),
        }
    }
}
