//! The crawler against the in-process handbook website (`FakeSite::handbook`).

mod limits;
mod recrawl;
mod safety;

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use url::Url;
use webplus::crawl::{CrawlConfig, CrawlError, CrawlEvent, CrawlSummary, CrawledPage, crawl};
use webplus::fakes::{FakeSite, HANDBOOK, HANDBOOK_SECRET};
use webplus::ingest::Block;
use webplus::net::AddressPolicy;

/// The fake site binds 127.0.0.1, which only an allowance lets the crawler reach.
fn local() -> AddressPolicy {
    AddressPolicy::new(["127.0.0.1"])
}

/// No pause between requests: these tests are about what is crawled, not how fast.
fn config(site: &FakeSite, path: &str) -> CrawlConfig {
    CrawlConfig { per_host_delay: Duration::ZERO, ..CrawlConfig::new(site.url(path)) }
}

/// A finished crawl: its summary and every event, in order.
struct Run {
    summary: CrawlSummary,
    events: Vec<CrawlEvent>,
}

async fn try_run(policy: AddressPolicy, config: CrawlConfig) -> Result<Run, CrawlError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let collect = async {
        let mut events = Vec::new();
        while let Some(event) = rx.recv().await {
            events.push(event);
        }
        events
    };
    let (summary, events) = tokio::join!(crawl(policy, config, CancellationToken::new(), tx), collect);
    Ok(Run { summary: summary?, events })
}

async fn run(config: CrawlConfig) -> Run {
    try_run(local(), config).await.expect("the crawl starts")
}

fn path_of(url: &str) -> String {
    Url::parse(url).map(|u| u.path().to_owned()).unwrap_or_default()
}

impl Run {
    fn pages(&self) -> Vec<&CrawledPage> {
        self.events
            .iter()
            .filter_map(|e| match e {
                CrawlEvent::Page(page) => Some(page),
                _ => None,
            })
            .collect()
    }

    fn page_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self.pages().iter().map(|p| path_of(&p.url)).collect();
        paths.sort();
        paths
    }

    fn page(&self, path: &str) -> Option<&CrawledPage> {
        self.pages().into_iter().find(|p| path_of(&p.url) == path)
    }

    /// The reason `path` failed, if it did.
    fn failure(&self, path: &str) -> Option<&str> {
        self.events.iter().find_map(|e| match e {
            CrawlEvent::Failed { url, reason } if path_of(url) == path => Some(reason.as_str()),
            _ => None,
        })
    }

    /// The reason `path` was skipped, if it was.
    fn skip(&self, path: &str) -> Option<&str> {
        self.events.iter().find_map(|e| match e {
            CrawlEvent::Skipped { url, reason } if path_of(url) == path => Some(reason.as_str()),
            _ => None,
        })
    }
}

fn text_of(page: &CrawledPage) -> String {
    page.blocks.iter().map(Block::text).collect::<Vec<_>>().join("\n")
}

fn sorted(paths: &[&str]) -> Vec<String> {
    let mut paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    paths.sort();
    paths
}

const ALL_PAGES: [&str; 7] = ["/", "/pricing", "/support", "/security", "/api", "/careers", "/history"];

#[tokio::test]
async fn every_handbook_page_is_found_with_its_title_and_its_fact_on_it_alone() {
    let site = FakeSite::handbook().await;
    let run = run(config(&site, "/")).await;

    assert_eq!(run.page_paths(), sorted(&ALL_PAGES));
    for fact in HANDBOOK {
        let page = run.page(fact.path).unwrap_or_else(|| panic!("{} was not crawled", fact.path));
        assert_eq!(page.title, format!("{} · Fjordlight Handbook", fact.title));
        for other in run.pages() {
            assert_eq!(text_of(other).contains(fact.fact), other.url == page.url, "{} on {}", fact.fact, other.url);
        }
        assert_eq!(page.content_hash.len(), 64);
    }
    // Navigation and footer are not page text.
    assert!(!text_of(run.page("/pricing").unwrap()).contains("Imprint"));
    assert!(run.pages().iter().all(|p| !text_of(p).contains(HANDBOOK_SECRET)));
    assert!(run.summary.complete, "{:?}", run.summary);
    assert_eq!(run.summary.pages, 7);
}

#[tokio::test]
async fn the_page_robots_txt_disallows_is_never_requested() {
    let site = FakeSite::handbook().await;
    let run = run(config(&site, "/")).await;

    assert!(!site.was_requested("/private/secret"));
    assert_eq!(run.skip("/private/secret"), Some("robots.txt disallows it"));
    assert_eq!(run.summary.robots_disallowed, 1);
    assert_eq!(site.request_count("/robots.txt"), 1, "robots.txt is read once per crawl");
}

#[tokio::test]
async fn the_broken_page_and_the_image_are_reported_and_the_crawl_still_completes() {
    let site = FakeSite::handbook().await;
    let run = run(config(&site, "/")).await;

    assert_eq!(run.failure("/broken"), Some("the server answered 500 Internal Server Error"));
    let image = run.failure("/logo.png").expect("the image is reported");
    assert!(image.contains("not a web page (image/png)"), "{image}");
    assert_eq!(run.summary.failed, 2);
    assert!(run.summary.complete);
}

#[tokio::test]
async fn a_redirect_to_a_page_already_crawled_is_not_fetched_twice() {
    let site = FakeSite::handbook().await;
    let run = run(config(&site, "/")).await;

    assert_eq!(run.pages().iter().filter(|p| path_of(&p.url) == "/pricing").count(), 1);
    assert_eq!(site.request_count("/pricing"), 1);
    assert_eq!(site.request_count("/old-pricing"), 1);
    let skip = run.skip("/old-pricing").expect("the redirect is reported");
    assert!(skip.contains("/pricing, which this crawl already has"), "{skip}");
}

#[tokio::test]
async fn a_redirected_page_is_recorded_under_its_final_url() {
    let site = FakeSite::handbook().await;
    let run = run(CrawlConfig { max_depth: 0, follow_sitemaps: false, ..config(&site, "/old-pricing") }).await;

    let page = run.page("/pricing").expect("the redirect target is crawled");
    assert_eq!(page.url, site.url("/pricing").as_str());
    assert_eq!(page.redirected_from.as_deref(), Some(site.url("/old-pricing").as_str()));
    assert!(text_of(page).contains(HANDBOOK[0].fact));
    assert_eq!(run.page_paths(), ["/pricing"]);
}

#[tokio::test]
async fn a_sitemap_as_the_start_url_gives_the_pages_it_lists() {
    let site = FakeSite::handbook().await;
    let run = run(CrawlConfig { max_depth: 0, follow_sitemaps: false, ..config(&site, "/sitemap.xml") }).await;

    assert_eq!(run.page_paths(), sorted(&ALL_PAGES));
    assert!(run.pages().iter().all(|p| p.depth == 0));
    assert!(!site.was_requested("/broken"), "sitemap pages are seeds; depth 0 follows none of their links");
    assert!(run.summary.complete);
}

#[tokio::test]
async fn sitemaps_named_in_robots_txt_seed_pages_beyond_the_depth_limit() {
    let site = FakeSite::handbook().await;
    let run = run(CrawlConfig { max_depth: 0, ..config(&site, "/") }).await;

    assert_eq!(run.page_paths(), sorted(&ALL_PAGES));
    assert_eq!(site.request_count("/sitemap.xml"), 1);
}
