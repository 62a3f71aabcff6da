//! Crawl jobs: pages stream from the crawler into the knowledge base as they arrive; a re-crawl
//! removes the stored pages it proves gone (`CrawlSummary::proves_gone`: 404/410, or missing from a
//! crawl that really covered their part of the site), never pages of other sites or paths.

use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::mpsc;
use url::Url;

use super::{JobKind, SiteChat, ingest::Incoming, jobs::JobCtx};
use crate::{
    Error, Result,
    crawl::{CrawlConfig, CrawlEvent, crawl},
    storage::{JobRow, KnowledgeBaseRow},
};

pub const DEFAULT_MAX_PAGES: usize = 200;
pub const MAX_PAGES: usize = 10_000;
pub const DEFAULT_MAX_DEPTH: usize = 5;
pub const MAX_DEPTH: usize = 20;

/// What the owner asks for: a start page or a sitemap.xml, and how far to go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlRequest {
    pub url: String,
    pub max_pages: Option<usize>,
    pub max_depth: Option<usize>,
}

impl SiteChat {
    /// Checks the request and queues the crawl.
    pub async fn start_crawl(&self, user_id: &str, kb_id: &str, req: CrawlRequest) -> Result<JobRow> {
        let kb = self.owned_kb(user_id, kb_id).await?;
        let url = Url::parse(req.url.trim())
            .map_err(|_| Error::invalid("url", "give a full address like https://www.example.com/ or …/sitemap.xml"))?;
        self.config().crawl_policy.check_url(&url).map_err(|refusal| Error::invalid("url", refusal.to_string()))?;
        let max_pages = req.max_pages.unwrap_or(DEFAULT_MAX_PAGES);
        if !(1..=MAX_PAGES).contains(&max_pages) {
            return Err(Error::invalid("max_pages", format!("must be from 1 to {MAX_PAGES}")));
        }
        let max_depth = req.max_depth.unwrap_or(DEFAULT_MAX_DEPTH);
        if max_depth > MAX_DEPTH {
            return Err(Error::invalid("max_depth", format!("must be from 0 to {MAX_DEPTH}")));
        }
        let mut config = CrawlConfig::new(url.clone());
        config.max_pages = max_pages;
        config.max_depth = max_depth;
        let params =
            serde_json::json!({ "url": url.as_str(), "max_pages": max_pages, "max_depth": max_depth }).to_string();
        self.spawn_job(kb_id, user_id, JobKind::Crawl, &params, move |sc, ctx| sc.run_crawl(ctx, kb, config)).await
    }

    async fn run_crawl(self, ctx: Arc<JobCtx>, kb: KnowledgeBaseRow, config: CrawlConfig) -> Result<Option<String>> {
        let (tx, mut rx) = mpsc::channel(16);
        let crawler = crawl(self.config().crawl_policy.clone(), config, ctx.cancel.clone(), tx);
        let store = async {
            let (mut stored, mut unchanged) = (0usize, 0usize);
            while let Some(event) = rx.recv().await {
                match event {
                    CrawlEvent::Page(page) => {
                        let url = page.url.clone();
                        let doc = Incoming {
                            source: "web",
                            bytes: page.blocks.iter().map(block_len).sum(),
                            url: Some(page.url),
                            file_name: None,
                            kind: "html".into(),
                            title: page.title,
                            blocks: page.blocks,
                        };
                        match self.store_document(&kb, &ctx.id, doc, None).await {
                            Ok(s) => {
                                if s == super::ingest::Stored::Unchanged {
                                    unchanged += 1;
                                } else {
                                    stored += 1;
                                }
                                ctx.item_done(s.chunks());
                            }
                            Err(Error::Internal(e)) => return Err(Error::Internal(e)),
                            Err(Error::Unavailable(m)) => return Err(Error::Unavailable(m)),
                            Err(e) => ctx.item_failed(&url, &e.to_string()),
                        }
                    }
                    CrawlEvent::Failed { url, reason } => ctx.item_failed(&url, &reason),
                    CrawlEvent::Skipped { url, reason } => {
                        tracing::debug!(job = %ctx.id, %url, %reason, "page skipped")
                    }
                    CrawlEvent::Progress { queued, .. } => ctx.set_remaining(queued),
                }
            }
            Ok((stored, unchanged))
        };
        let (summary, counts) = tokio::join!(crawler, store);
        let (stored, unchanged) = counts?;
        let summary = summary.map_err(|e| Error::invalid("url", e.to_string()))?;
        let mut removed = 0;
        if !ctx.cancel.is_cancelled() {
            let unseen = self.db().unseen_web_documents(&kb.id, &ctx.id).await?;
            let gone = unseen.into_iter().filter(|d| d.url.as_deref().is_some_and(|u| summary.proves_gone(u)));
            for gone in gone {
                if let Some(ids) = self.db().delete_document(&kb.id, &gone.id).await? {
                    self.index_chunks(&kb.id, &ids, Vec::new()).await?;
                    removed += 1;
                }
            }
        }
        ctx.set_remaining(0);
        Ok(Some(format!(
            "{stored} pages added or updated, {unchanged} unchanged, {removed} removed, {} failed, {} disallowed by robots.txt",
            ctx.errors(),
            summary.robots_disallowed
        )))
    }
}

fn block_len(b: &crate::ingest::Block) -> usize {
    b.text().len()
}
