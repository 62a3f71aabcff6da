//! Knowledge bases: list, create, read, rename, delete, and their documents. Ingestion jobs are in
//! `kb::jobs`, sharing, publishing and attaching to conversations in `kb::access`. Uploads are
//! multipart, so the browser posts them to `/api/v1/knowledge-bases/{id}/documents` directly.

pub mod access;
pub mod jobs;

use leptos::prelude::*;

use crate::{dto::*, error::AppError};

#[server(prefix = "/api", endpoint = "kb/list", input = server_fn::codec::Json)]
pub async fn list_kbs() -> Result<Vec<KbDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let kbs = st.sitechat.list_kbs(&me.user_id).await.map_err(convert::to_app_error)?;
    Ok(kbs.iter().map(convert::kb).collect())
}

#[server(prefix = "/api", endpoint = "kb/create", input = server_fn::codec::Json)]
pub async fn create_kb(name: String) -> Result<KbDto, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let row = st.sitechat.create_kb(&me.user_id, &name, None).await.map_err(convert::to_app_error)?;
    let view = st.sitechat.kb_view(&me.user_id, &row.id).await.map_err(convert::to_app_error)?;
    Ok(convert::kb(&view))
}

/// The knowledge base, its documents and (for its owner) the latest jobs and its shares.
#[server(prefix = "/api", endpoint = "kb/get", input = server_fn::codec::Json)]
pub async fn get_kb(id: String) -> Result<KbDetail, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let sc = &st.sitechat;
    let view = sc.kb_view(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    let documents = sc.list_documents(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    let (jobs, shares) = if view.owned {
        let jobs = sc.list_jobs(&me.user_id, &id).await.map_err(convert::to_app_error)?;
        (jobs, sc.kb_shares(&me.user_id, &id).await.map_err(convert::to_app_error)?)
    } else {
        (vec![], vec![])
    };
    Ok(KbDetail {
        kb: convert::kb(&view),
        documents: documents.iter().map(convert::document).collect(),
        jobs: jobs.iter().map(convert::job).collect(),
        shares,
    })
}

#[server(prefix = "/api", endpoint = "kb/documents", input = server_fn::codec::Json)]
pub async fn list_documents(id: String) -> Result<Vec<DocumentDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let docs = st.sitechat.list_documents(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    Ok(docs.iter().map(convert::document).collect())
}

#[server(prefix = "/api", endpoint = "kb/rename", input = server_fn::codec::Json)]
pub async fn rename_kb(id: String, name: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.sitechat.rename_kb(&me.user_id, &id, &name).await.map_err(convert::to_app_error)
}

/// Deletes the knowledge base with its documents, jobs, files and index.
#[server(prefix = "/api", endpoint = "kb/delete", input = server_fn::codec::Json)]
pub async fn delete_kb(id: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.sitechat.delete_kb(&me.user_id, &id).await.map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "kb/delete_document", input = server_fn::codec::Json)]
pub async fn delete_document(kb_id: String, document_id: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.sitechat.delete_document(&me.user_id, &kb_id, &document_id).await.map_err(convert::to_app_error)
}
