//! Administration: provider connections (the engine's `webplus::connections`; the same as
//! `/api/v1/admin/connections` over REST).

use leptos::prelude::*;

use crate::{dto::*, error::AppError};

#[server(prefix = "/api", endpoint = "admin/connections", input = server_fn::codec::Json)]
pub async fn list_connections() -> Result<Vec<ConnectionDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let all = st.connections.list(&me).await.map_err(convert::to_app_error)?;
    Ok(all.iter().map(convert::connection).collect())
}

/// Adds a connection (`id` None) or changes one; on a change a blank key keeps the saved one.
#[server(prefix = "/api", endpoint = "admin/save-connection", input = server_fn::codec::Json)]
pub async fn save_connection(id: Option<String>, form: ConnectionForm) -> Result<ConnectionDto, AppError> {
    use webplus::{
        connections::{ConnectionKind, ConnectionPatch, ConnectionSpec},
        settings::Secret,
    };

    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let models: Vec<String> =
        form.models.split([',', '\n']).map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned).collect();
    let key = text(&form.api_key).map(Secret::new);
    let saved = match id {
        None => {
            let kind = ConnectionKind::parse(form.kind.trim()).ok_or_else(|| {
                convert::to_app_error(webplus::Error::invalid("kind", "pick openai, anthropic, bedrock or ollama"))
            })?;
            let spec = ConnectionSpec {
                kind,
                name: form.name,
                base_url: text(&form.base_url),
                region: text(&form.region),
                api_key: key,
                models,
            };
            st.connections.create(&me, spec).await
        }
        Some(id) => {
            let patch = ConnectionPatch {
                name: Some(form.name),
                base_url: Some(text(&form.base_url)),
                region: Some(text(&form.region)),
                api_key: key.map(Some),
                models: Some(models),
            };
            st.connections.update(&me, &id, patch).await
        }
    };
    saved.map(|c| convert::connection(&c)).map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "admin/delete-connection", input = server_fn::codec::Json)]
pub async fn delete_connection(id: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.connections.delete(&me, &id).await.map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "admin/test-connection", input = server_fn::codec::Json)]
pub async fn test_connection(id: String) -> Result<ConnectionTestDto, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let r = st.connections.test(&me, &id).await.map_err(convert::to_app_error)?;
    Ok(ConnectionTestDto { ok: r.ok, models: r.models.map(|n| n as u64), latency_ms: r.latency_ms, error: r.error })
}
