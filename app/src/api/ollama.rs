//! Administration: an Ollama connection's models (`webplus::connections::Ollama`; the same as
//! `/api/v1/admin/connections/{id}/ollama/…` over REST). Live changes come from that REST path's
//! `events` stream, which the page follows with an `EventSource`.

use leptos::prelude::*;

use crate::{dto::*, error::AppError};

#[server(prefix = "/api", endpoint = "admin/ollama-models", input = server_fn::codec::Json)]
pub async fn ollama_models(id: String, refresh: bool) -> Result<Vec<OllamaModelDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let ollama = st.connections.ollama(&me, &id).await.map_err(convert::to_app_error)?;
    let models = ollama.models(refresh).await.map_err(convert::to_app_error)?;
    Ok(models.iter().map(convert::ollama_model).collect())
}

/// `action`: `start` (with `keep_alive`), `stop` or `delete`. Answers the models after it.
#[server(prefix = "/api", endpoint = "admin/ollama-act", input = server_fn::codec::Json)]
pub async fn ollama_act(
    id: String,
    action: String,
    model: String,
    keep_alive: Option<String>,
) -> Result<Vec<OllamaModelDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let ollama = st.connections.ollama(&me, &id).await.map_err(convert::to_app_error)?;
    let keep_alive = keep_alive.as_deref().map(str::trim).filter(|k| !k.is_empty());
    let models = match action.as_str() {
        "start" => ollama.start(&model, keep_alive).await,
        "stop" => ollama.stop(&model).await,
        "delete" => ollama.delete(&model).await,
        _ => Err(webplus::Error::invalid("action", "use start, stop or delete")),
    };
    Ok(models.map_err(convert::to_app_error)?.iter().map(convert::ollama_model).collect())
}

#[server(prefix = "/api", endpoint = "admin/ollama-pull", input = server_fn::codec::Json)]
pub async fn ollama_pull(id: String, model: String) -> Result<PullJobDto, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let ollama = st.connections.ollama(&me, &id).await.map_err(convert::to_app_error)?;
    let job = ollama.pull(&model).await.map_err(convert::to_app_error)?;
    Ok(convert::pull_job(&job))
}
