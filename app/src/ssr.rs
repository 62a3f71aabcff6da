//! Server-only glue for server functions: shared state, error and row conversions. Callers are
//! authenticated by the engine's `webplus::auth::web`, as the server's own endpoints are.

pub mod convert;

use webplus::{auth::Accounts, chat::Chat, connections::Connections, pipelines::Pipelines, sitechat::SiteChat};

use crate::error::AppError;

/// What server functions reach through Leptos context (provided by the server per request).
#[derive(Clone)]
pub struct ServerState {
    pub accounts: Accounts,
    pub chat: Chat,
    pub connections: Connections,
    pub catalog: webplus::catalog::ModelCatalog,
    pub sitechat: SiteChat,
    /// The code factory's pipelines and runs.
    pub pipelines: Pipelines,
    /// Trust `X-Forwarded-*` headers (behind a reverse proxy).
    pub trust_proxy: bool,
}

/// The server state, or an internal error if the server forgot to provide it.
pub fn state() -> Result<ServerState, AppError> {
    leptos::prelude::use_context::<ServerState>().ok_or_else(|| {
        convert::to_app_error(webplus::Error::internal(std::io::Error::other(
            "ServerState missing from the Leptos context",
        )))
    })
}
