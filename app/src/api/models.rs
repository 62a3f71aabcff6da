//! Administration: the model catalog (the engine's `webplus::catalog`; the same as
//! `/api/v1/admin/models` over REST) and what connections offer to add.

use leptos::prelude::*;

use crate::{dto::*, error::AppError};

#[server(prefix = "/api", endpoint = "admin/models", input = server_fn::codec::Json)]
pub async fn list_catalog() -> Result<Vec<CatalogModelDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let all = st.catalog.list(&me).await.map_err(convert::to_app_error)?;
    Ok(all.into_iter().map(convert::catalog_model).collect())
}

/// What a connection's server lists, and which of those are in the catalog.
#[server(prefix = "/api", endpoint = "admin/available-models", input = server_fn::codec::Json)]
pub async fn available_models(connection_id: String) -> Result<Vec<AvailableModelDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let listed = st.connections.available_models(&me, &connection_id).await.map_err(convert::to_app_error)?;
    Ok(listed
        .into_iter()
        .map(|m| AvailableModelDto { upstream_id: m.id, model: m.model, offered: m.offered, in_catalog: m.in_catalog })
        .collect())
}

/// Adds a connection's model to the catalog, enabled for everyone (one click).
#[server(prefix = "/api", endpoint = "admin/add-model", input = server_fn::codec::Json)]
pub async fn add_model(connection_id: String, upstream_id: String) -> Result<CatalogModelDto, AppError> {
    use webplus::catalog::ModelInput;

    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let input = ModelInput { connection_id: Some(connection_id), upstream_id: Some(upstream_id), ..Default::default() };
    st.connections.add_model(&me, input).await.map(convert::catalog_model).map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "admin/save-model", input = server_fn::codec::Json)]
pub async fn save_model(id: String, form: CatalogForm) -> Result<CatalogModelDto, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let input = form_input::parse(form).map_err(convert::to_app_error)?;
    st.catalog.update(&me, &id, input).await.map(convert::catalog_model).map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "admin/enable-model", input = server_fn::codec::Json)]
pub async fn enable_model(id: String, enabled: bool) -> Result<CatalogModelDto, AppError> {
    use webplus::catalog::ModelInput;

    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let input = ModelInput { enabled: Some(enabled), ..Default::default() };
    st.catalog.update(&me, &id, input).await.map(convert::catalog_model).map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "admin/delete-model", input = server_fn::codec::Json)]
pub async fn delete_model(id: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.catalog.delete(&me, &id).await.map_err(convert::to_app_error)
}

/// The form's text as the engine's input: blank is "not set"; what does not parse names its field.
#[cfg(feature = "ssr")]
mod form_input {
    use webplus::{
        Error,
        answer::Params,
        catalog::{Access, ModelInput},
    };

    use crate::dto::CatalogForm;

    fn blank(s: &str) -> Option<&str> {
        Some(s.trim()).filter(|s| !s.is_empty())
    }

    fn number<T: std::str::FromStr>(field: &'static str, s: &str, what: &str) -> Result<Option<T>, Error> {
        blank(s)
            .map(|v| v.parse::<T>().map_err(|_| Error::invalid(field, format!("use {what}, or leave it blank"))))
            .transpose()
    }

    fn flag(field: &'static str, s: &str) -> Result<Option<bool>, Error> {
        match s.trim() {
            "" => Ok(None),
            "yes" => Ok(Some(true)),
            "no" => Ok(Some(false)),
            _ => Err(Error::invalid(field, "pick yes, no, or as the price table says")),
        }
    }

    pub fn parse(f: CatalogForm) -> Result<ModelInput, Error> {
        let tokens = "a whole number of tokens";
        let dollars = "US dollars per million tokens (like 0.25)";
        let access = match f.access.trim() {
            "admins" => Access::Admins,
            "everyone" | "" => Access::Everyone,
            _ => return Err(Error::invalid("access", "pick everyone or administrators")),
        };
        let default_params: Params = match blank(&f.default_params) {
            None => Params::default(),
            Some(json) => serde_json::from_str(json).map_err(|e| {
                Error::invalid(
                    "default_params",
                    format!("give a JSON object like {{\"temperature\": 0.2, \"max_tokens\": 800}} ({e})"),
                )
            })?,
        };
        Ok(ModelInput {
            connection_id: None,
            upstream_id: None,
            name: Some(blank(&f.name).map(str::to_owned)),
            context_window: Some(number("context_window", &f.context_window, tokens)?),
            max_output: Some(number("max_output", &f.max_output, tokens)?),
            input_price_per_mtok: Some(number("input_price_per_mtok", &f.input_price_per_mtok, dollars)?),
            output_price_per_mtok: Some(number("output_price_per_mtok", &f.output_price_per_mtok, dollars)?),
            cached_input_price_per_mtok: Some(number(
                "cached_input_price_per_mtok",
                &f.cached_input_price_per_mtok,
                dollars,
            )?),
            vision: Some(flag("vision", &f.vision)?),
            tools: Some(flag("tools", &f.tools)?),
            json_output: Some(flag("json_output", &f.json_output)?),
            enabled: Some(f.enabled),
            access: Some(access),
            default_params: Some(default_params),
            fallbacks: Some(
                f.fallbacks.split([',', '\n']).map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned).collect(),
            ),
        })
    }
}
