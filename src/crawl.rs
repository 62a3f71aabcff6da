//! STAND-IN crawler for the UI branch (the real one comes from the `crawl` branch and replaces this
//! file at integration): breadth-first over one host, robots.txt `Disallow` for `*`, sitemap.xml
//! as a start, depth and page limits, every fetch through the SSRF-checked client.

use std::collections::{HashSet, VecDeque};

use scraper::Html;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::{
    ingest::{Block, html},
    net::{self, AddressPolicy},
};

#[derive(Debug, Clone)]
pub struct CrawlConfig {
    pub start: Url,
    pub max_pages: usize,
    pub max_depth: usize,
}

impl CrawlConfig {
    pub fn new(start: Url) -> Self {
        Self { start, max_pages: 200, max_depth: 5 }
    }
}

#[derive(Debug, Clone)]
pub struct CrawledPage {
    pub url: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum CrawlEvent {
    Page(CrawledPage),
    Failed { url: String, reason: String },
    Skipped { url: String, reason: String },
    Progress { done: usize, queued: usize },
}

#[derive(Debug, Clone, Default)]
pub struct CrawlSummary {
    /// Every reachable page was visited (not cut by a limit or cancelled).
    pub complete: bool,
    pub robots_disallowed: usize,
}

pub async fn crawl(
    policy: AddressPolicy,
    config: CrawlConfig,
    cancel: CancellationToken,
    tx: mpsc::Sender<CrawlEvent>,
) -> Result<CrawlSummary, String> {
    policy.check_url(&config.start).map_err(|e| e.to_string())?;
    let client = net::client(policy.clone()).map_err(|e| e.to_string())?;
    let host = config.start.host_str().unwrap_or_default().to_owned();
    let disallowed = robots(&client, &config.start).await;
    let mut queue: VecDeque<(Url, usize)> = VecDeque::new();
    if config.start.path().ends_with(".xml") {
        let body = fetch_text(&client, &config.start).await.map_err(|e| format!("the sitemap: {e}"))?.1;
        for loc in body.split("<loc>").skip(1).filter_map(|s| s.split("</loc>").next()) {
            if let Ok(u) = Url::parse(loc.trim()) {
                queue.push_back((u, 0));
            }
        }
    } else {
        queue.push_back((config.start.clone(), 0));
    }
    let mut seen: HashSet<String> = queue.iter().map(|(u, _)| u.to_string()).collect();
    let mut summary = CrawlSummary::default();
    let mut fetched = 0;
    while let Some((url, depth)) = queue.pop_front() {
        if cancel.is_cancelled() {
            return Ok(summary);
        }
        if fetched >= config.max_pages {
            return Ok(summary);
        }
        if disallowed.iter().any(|p| url.path().starts_with(p.as_str())) {
            summary.robots_disallowed += 1;
            let _ =
                tx.send(CrawlEvent::Skipped { url: url.to_string(), reason: "disallowed by robots.txt".into() }).await;
            continue;
        }
        fetched += 1;
        match fetch_text(&client, &url).await {
            Err(reason) => {
                let _ = tx.send(CrawlEvent::Failed { url: url.to_string(), reason }).await;
            }
            Ok((final_url, body)) => {
                let (page, links) = {
                    let doc = Html::parse_document(&body);
                    (html::extract(&doc), html::links(&doc, &final_url))
                };
                seen.insert(final_url.to_string());
                for link in links {
                    if link.host_str() == Some(host.as_str())
                        && depth < config.max_depth
                        && seen.insert(link.to_string())
                    {
                        queue.push_back((link, depth + 1));
                    }
                }
                let page = CrawledPage { url: final_url.to_string(), title: page.title, blocks: page.blocks };
                let _ = tx.send(CrawlEvent::Page(page)).await;
            }
        }
        let queued = queue.len().min(config.max_pages.saturating_sub(fetched));
        let _ = tx.send(CrawlEvent::Progress { done: fetched, queued }).await;
    }
    summary.complete = !cancel.is_cancelled();
    Ok(summary)
}

/// The final URL (after redirects) and the body of an HTML or XML page.
async fn fetch_text(client: &reqwest::Client, url: &Url) -> Result<(Url, String), String> {
    let resp = client.get(url.clone()).send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status().as_u16()));
    }
    let final_url = resp.url().clone();
    let body = resp.text().await.map_err(|e| e.to_string())?;
    Ok((final_url, body))
}

/// `Disallow` prefixes of the `User-agent: *` group (none when robots.txt is missing).
async fn robots(client: &reqwest::Client, start: &Url) -> Vec<String> {
    let Ok(url) = start.join("/robots.txt") else { return Vec::new() };
    let Ok((_, body)) = fetch_text(client, &url).await else { return Vec::new() };
    let mut applies = false;
    let mut out = Vec::new();
    for line in body.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some((key, value)) = line.split_once(':') else { continue };
        match key.trim().to_ascii_lowercase().as_str() {
            "user-agent" => applies = value.trim() == "*",
            "disallow" if applies && !value.trim().is_empty() => out.push(value.trim().to_owned()),
            _ => {}
        }
    }
    out
}
