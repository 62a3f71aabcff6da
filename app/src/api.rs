//! Server functions: the browser's API. Each takes and returns JSON at `/api/<endpoint>`.

pub mod admin;
pub mod auth;
pub mod chat;
pub mod chat_settings;
pub mod connections;
pub mod kb;
pub mod keys;
pub mod models;
pub mod ollama;
pub mod pipelines;
pub mod signups;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use http::HeaderMap;
    use webplus::auth::Principal;

    use crate::{
        error::AppError,
        ssr::{ServerState, convert::to_app_error, state},
    };

    use webplus::auth::web as auth;

    pub async fn headers() -> Result<HeaderMap, AppError> {
        leptos_axum::extract::<HeaderMap>().await.map_err(|e| AppError::Transport(e.to_string()))
    }

    /// The state and the logged-in user, or 401.
    pub async fn require_user() -> Result<(ServerState, Principal), AppError> {
        let st = state()?;
        let h = headers().await?;
        match auth::principal(&st.accounts, &h).await.map_err(to_app_error)? {
            Some(p) => Ok((st, p)),
            None => Err(to_app_error(webplus::Error::Unauthorized("log in to continue".into()))),
        }
    }
}
