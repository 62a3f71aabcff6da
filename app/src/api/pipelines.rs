//! The code factory in the browser: pipelines (list, create from a template or an export, read,
//! save a version, delete, share) and their runs (start, read, list, cancel, re-run from a node). The same
//! as `/api/v1/pipelines…` and `/api/v1/runs…` over REST; the run view follows a run with an
//! `EventSource` on that REST path's `events` stream.

use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::{dto::*, error::AppError};

#[server(prefix = "/api", endpoint = "pipelines/list", input = server_fn::codec::Json)]
pub async fn list_pipelines() -> Result<Vec<PipelineSummaryDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let rows = st.pipelines.list(&me.user_id).await.map_err(convert::to_app_error)?;
    Ok(rows.into_iter().map(convert::pipeline_summary).collect())
}

#[server(prefix = "/api", endpoint = "pipelines/templates", input = server_fn::codec::Json)]
pub async fn pipeline_templates() -> Result<Vec<PipelineTemplateDto>, AppError> {
    use crate::api::ssr::require_user;
    let (st, _) = require_user().await?;
    Ok(st
        .pipelines
        .templates()
        .into_iter()
        .map(|t| PipelineTemplateDto {
            id: t.id.to_owned(),
            name: t.definition.name,
            description: t.definition.description,
        })
        .collect())
}

/// A new pipeline: from the template `template`, else from `import` (an export's JSON, as
/// `GET /api/v1/pipelines/{id}/export` gives it), else a blank one. Answers its id.
#[server(prefix = "/api", endpoint = "pipelines/create", input = server_fn::codec::Json)]
pub async fn create_pipeline(template: Option<String>, import: Option<String>) -> Result<String, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let def = match import {
        Some(text) => serde_json::from_str::<Definition>(&text).map_err(|e| {
            convert::to_app_error(webplus::Error::invalid(
                "import",
                format!("this is not a pipeline export ({e}); pick a .json file exported from a pipeline"),
            ))
        })?,
        None => st.pipelines.starting_point(template.as_deref()).map_err(convert::to_app_error)?,
    };
    let view = st.pipelines.create(&me, &def).await.map_err(convert::to_app_error)?;
    Ok(view.row.id)
}

#[server(prefix = "/api", endpoint = "pipelines/get", input = server_fn::codec::Json)]
pub async fn get_pipeline(id: String) -> Result<PipelineEditDto, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let view = st.pipelines.get(&me.user_id, &id, None).await.map_err(convert::to_app_error)?;
    let models = st.catalog.offered(me.is_admin()).await.into_iter().map(|m| m.id).collect();
    let kbs = st.sitechat.list_kbs(&me.user_id).await.map_err(convert::to_app_error)?;
    Ok(PipelineEditDto {
        id: view.row.id,
        version: view.row.version,
        access: view.access.as_str().to_owned(),
        definition: view.definition,
        models,
        knowledge_bases: kbs.into_iter().map(|k| (k.row.id, k.row.name)).collect(),
        default_model: st.pipelines.default_model().to_owned(),
        http_hosts: st.pipelines.http_hosts().await.map_err(convert::to_app_error)?.hosts().to_vec(),
        pipelines: st.pipelines.runnable_interfaces(&me.user_id, &id).await.map_err(convert::to_app_error)?,
    })
}

/// Saves `definition` as the next version; answers its number. A definition with problems is
/// refused with all of them.
#[server(prefix = "/api", endpoint = "pipelines/save", input = server_fn::codec::Json)]
pub async fn save_pipeline(id: String, definition: Definition) -> Result<i64, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let view = st.pipelines.save(&me, &id, &definition).await.map_err(convert::to_app_error)?;
    Ok(view.row.version)
}

#[server(prefix = "/api", endpoint = "pipelines/delete", input = server_fn::codec::Json)]
pub async fn delete_pipeline(id: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.pipelines.delete(&me.user_id, &id).await.map_err(convert::to_app_error)
}

/// Starts a run of the latest version with `inputs` (the run form's values); answers its id.
#[server(prefix = "/api", endpoint = "pipelines/start", input = server_fn::codec::Json)]
pub async fn start_run(id: String, inputs: Map<String, Value>) -> Result<String, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let run = st.pipelines.start(&me, &id, inputs, None).await.map_err(convert::to_app_error)?;
    Ok(run.id)
}

/// A pipeline's runs, newest first (without their nodes).
#[server(prefix = "/api", endpoint = "pipelines/runs", input = server_fn::codec::Json)]
pub async fn list_runs(id: String) -> Result<Vec<RunDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let runs = st.pipelines.runs(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    Ok(runs.into_iter().map(convert::run).collect())
}

/// A run as it stands, with the version of the pipeline it ran.
#[server(prefix = "/api", endpoint = "runs/get", input = server_fn::codec::Json)]
pub async fn get_run(id: String) -> Result<RunPageDto, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let run = st.pipelines.run(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    let view =
        st.pipelines.get(&me.user_id, &run.pipeline_id, Some(run.version)).await.map_err(convert::to_app_error)?;
    let outputs_html = convert::outputs_html(run.outputs.as_ref());
    Ok(RunPageDto { run: convert::run(run), definition: view.definition, outputs_html })
}

#[server(prefix = "/api", endpoint = "runs/cancel", input = server_fn::codec::Json)]
pub async fn cancel_run(id: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.pipelines.cancel(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    Ok(())
}

/// Runs an ended run again from `node` down; answers the new run's id.
#[server(prefix = "/api", endpoint = "runs/rerun", input = server_fn::codec::Json)]
pub async fn rerun_from(id: String, node: String) -> Result<String, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let run = st.pipelines.rerun(&me, &id, &node).await.map_err(convert::to_app_error)?;
    Ok(run.id)
}

/// The users a pipeline is shared with (its owner only).
#[server(prefix = "/api", endpoint = "pipelines/shares", input = server_fn::codec::Json)]
pub async fn pipeline_shares(id: String) -> Result<Vec<PipelineShareDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let shares = st.pipelines.shares(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    Ok(shares.into_iter().map(convert::pipeline_share).collect())
}

/// Shares a pipeline with the user who has `email`, to `access` ("view" or "run"); answers every
/// share as it is then.
#[server(prefix = "/api", endpoint = "pipelines/share", input = server_fn::codec::Json)]
pub async fn share_pipeline(id: String, email: String, access: String) -> Result<Vec<PipelineShareDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let access = webplus::pipelines::Access::parse_share(&access).map_err(convert::to_app_error)?;
    let shares = st.pipelines.share(&me.user_id, &id, &email, access).await.map_err(convert::to_app_error)?;
    Ok(shares.into_iter().map(convert::pipeline_share).collect())
}

#[server(prefix = "/api", endpoint = "pipelines/unshare", input = server_fn::codec::Json)]
pub async fn unshare_pipeline(id: String, user_id: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.pipelines.unshare(&me.user_id, &id, &user_id).await.map_err(convert::to_app_error)
}

/// The hosts HTTP request nodes may reach (any user may read them: the builder checks URLs
/// against them).
#[server(prefix = "/api", endpoint = "pipelines/http-hosts", input = server_fn::codec::Json)]
pub async fn pipeline_http_hosts() -> Result<Vec<String>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, _) = require_user().await?;
    Ok(st.pipelines.http_hosts().await.map_err(convert::to_app_error)?.hosts().to_vec())
}

/// Sets them (admins only): one a line, `*.example.com` for every name under a domain. Answers
/// the list as stored.
#[server(prefix = "/api", endpoint = "admin/set-pipeline-http-hosts", input = server_fn::codec::Json)]
pub async fn set_pipeline_http_hosts(hosts: String) -> Result<Vec<String>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    Ok(st.pipelines.set_http_hosts(&me, &hosts).await.map_err(convert::to_app_error)?.hosts().to_vec())
}
