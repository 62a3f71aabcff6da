//! Fetching and reading one queued URL. Runs concurrently with others; the crawl loop judges the
//! outcome (scope, limits, dedup), so this never touches the frontier.

use std::sync::Arc;

use reqwest::StatusCode;
use url::Url;

use super::fetch::{BodyKind, Http};
use super::frontier::{Job, Kind};
use super::page::{header_says, read_html, read_text};
use super::robots::{RobotsCache, robots_url};
use super::sitemap::{self, Sitemap};
use crate::ingest::html::Page;

/// What the fetches share.
pub struct Ctx {
    pub http: Http,
    pub robots: RobotsCache,
    pub max_page_bytes: usize,
}

/// What one fetch found.
pub enum Outcome {
    /// robots.txt forbids the URL; nothing was sent.
    Disallowed,
    Redirect(Url),
    Page {
        page: Page,
        links: Vec<Url>,
        noindex: bool,
    },
    Sitemap(Sitemap),
    /// 404 Not Found or 410 Gone: the page is not there any more.
    Gone(String),
    Failed(String),
}

pub struct Done {
    pub job: Job,
    pub outcome: Outcome,
    /// The origin's robots.txt URL, its problem and its sitemaps, when this job was the one that
    /// read it (so they are reported once).
    pub robots_news: Option<(Url, Option<String>, Vec<String>)>,
}

pub async fn execute(ctx: Arc<Ctx>, job: Job) -> Done {
    let (robots, fetched_here) = ctx.robots.get(&ctx.http, &job.url).await;
    let robots_news = fetched_here.then(|| (robots_url(&job.url), robots.problem.clone(), robots.sitemaps.clone()));
    let outcome = if robots.allows(&job.url) { fetch(&ctx, &job).await } else { Outcome::Disallowed };
    Done { job, outcome, robots_news }
}

async fn fetch(ctx: &Ctx, job: &Job) -> Outcome {
    let limit = match job.kind {
        Kind::Page => ctx.max_page_bytes,
        Kind::Sitemap => sitemap::MAX_BYTES,
    };
    let fetched = match ctx.http.get(&job.url, limit).await {
        Ok(fetched) => fetched,
        Err(reason) => return Outcome::Failed(reason),
    };
    let status = fetched.status;
    if status.is_redirection() {
        return match fetched.location {
            Some(to) => Outcome::Redirect(to),
            None => Outcome::Failed(format!("the server answered {status} without a Location to follow")),
        };
    }
    if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
        return Outcome::Gone(format!("the server answered {status}"));
    }
    if !status.is_success() {
        return Outcome::Failed(format!("the server answered {status}"));
    }
    if fetched.truncated {
        let mb = limit as f64 / (1024.0 * 1024.0);
        return Outcome::Failed(format!("larger than the {mb:.1} MB limit (max_page_bytes)"));
    }
    let kind = BodyKind::of(&fetched.media_type, &fetched.body);
    if job.kind == Kind::Sitemap || kind == BodyKind::Xml {
        let announced = job.kind == Kind::Sitemap;
        return match parse_off_thread(move || sitemap::parse(&fetched.body, announced)).await {
            Ok(Ok(found)) => Outcome::Sitemap(found),
            Ok(Err(reason)) => Outcome::Failed(reason),
            Err(reason) => Outcome::Failed(reason),
        };
    }
    if matches!(kind, BodyKind::Xml | BodyKind::Other) {
        let media = if fetched.media_type.is_empty() { "of no declared type" } else { &fetched.media_type };
        return Outcome::Failed(format!("not a web page ({media}); only HTML, text and Markdown are read"));
    }
    let (url, body, tags) = (job.url.clone(), fetched.body, fetched.robots_tags);
    parse_off_thread(move || match kind {
        BodyKind::Html => {
            let read = read_html(&body, &url, &tags);
            Outcome::Page { page: read.page, links: read.links, noindex: read.noindex }
        }
        _ => {
            let page = read_text(&body, &url, kind == BodyKind::Markdown);
            Outcome::Page { page, links: Vec::new(), noindex: header_says(&tags, "noindex") }
        }
    })
    .await
    .unwrap_or_else(Outcome::Failed)
}

/// Parsing a few megabytes of HTML takes long enough to stall other tasks: it runs on the blocking
/// pool. (A cancelled crawl lets a parse that already started finish; it is bounded by the size cap.)
async fn parse_off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(work).await.map_err(|e| format!("reading the page failed: {e}"))
}
