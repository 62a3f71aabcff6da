//! Ingestion jobs: start a crawl, follow a job (the progress bar polls `kb/job`), cancel it.

use leptos::prelude::*;

use crate::{dto::*, error::AppError};

/// Queues a crawl of `url` (a start page or a sitemap.xml) into the knowledge base.
#[server(prefix = "/api", endpoint = "kb/crawl", input = server_fn::codec::Json)]
pub async fn start_crawl(
    kb_id: String,
    url: String,
    max_pages: Option<usize>,
    max_depth: Option<usize>,
) -> Result<JobDto, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    use webplus::sitechat::CrawlRequest;
    let (st, me) = require_user().await?;
    let sc = &st.sitechat;
    let row = sc
        .start_crawl(&me.user_id, &kb_id, CrawlRequest { url, max_pages, max_depth })
        .await
        .map_err(convert::to_app_error)?;
    let job = sc.job(&me.user_id, &row.id).await.map_err(convert::to_app_error)?;
    Ok(convert::job(&job))
}

#[server(prefix = "/api", endpoint = "kb/job", input = server_fn::codec::Json)]
pub async fn get_job(id: String) -> Result<JobDto, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let job = st.sitechat.job(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    Ok(convert::job(&job))
}

/// Asks a queued or running job to stop; the answer is its state right after asking.
#[server(prefix = "/api", endpoint = "kb/cancel_job", input = server_fn::codec::Json)]
pub async fn cancel_job(id: String) -> Result<JobDto, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.sitechat.cancel_job(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    let job = st.sitechat.job(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    Ok(convert::job(&job))
}
