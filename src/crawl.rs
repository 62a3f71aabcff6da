//! The website crawler behind SiteChat: from a start page or sitemap, fetch a site's pages politely
//! and hand each one over as it arrives.
//!
//! ```no_run
//! # async fn demo() -> Result<(), webplus::crawl::CrawlError> {
//! use webplus::crawl::{CrawlConfig, CrawlEvent, crawl};
//! use webplus::net::AddressPolicy;
//! let (tx, mut rx) = tokio::sync::mpsc::channel(16);
//! let start = url::Url::parse("https://docs.example.com/").unwrap();
//! let cancel = tokio_util::sync::CancellationToken::new();
//! let job = tokio::spawn(crawl(AddressPolicy::default(), CrawlConfig::new(start), cancel, tx));
//! while let Some(event) = rx.recv().await {
//!     if let CrawlEvent::Page(page) = event { /* chunk, embed, store */ }
//! }
//! let summary = job.await.unwrap()?;
//! # Ok(()) }
//! ```
//!
//! Every URL the crawl sends a request to (start, links, sitemap entries, each redirect hop) is
//! checked against the SSRF [`AddressPolicy`], the site scope ([`scope`]) and the site's robots.txt
//! before it is sent. A page that fails is reported and skipped; only a start URL that can't be
//! crawled at all is an error.

mod fetch;
mod frontier;
mod job;
mod page;
mod polite;
mod robots;
mod run;
pub mod scope;
mod sitemap;

use std::time::Duration;

use tokio::sync::mpsc::Sender;
use tokio_util::sync::CancellationToken;
use url::{Host, Url};

use crate::ingest::Block;
use crate::net::{AddressPolicy, PolicyResolver, Refusal};
pub use robots::USER_AGENT_TOKEN;

/// What to crawl and how hard. [`CrawlConfig::new`] gives polite defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlConfig {
    /// A page of the site, or its sitemap (a `<urlset>` or `<sitemapindex>`, gzip'd or not).
    pub start: Url,
    /// Pages fetched at most (sitemaps, robots.txt and redirect hops don't count).
    pub max_pages: usize,
    /// Link hops from the start page; 0 fetches only the start page (or the sitemap's pages).
    pub max_depth: usize,
    /// Requests in flight at most, over all hosts (1–16).
    pub concurrency: usize,
    /// Pause between the end of one response and the next request to the same host; a robots.txt
    /// `Crawl-delay` can only lengthen it.
    pub per_host_delay: Duration,
    /// Larger pages are skipped (reported as failed).
    pub max_page_bytes: usize,
    /// Also crawl the sitemaps robots.txt announces, their pages taken as seeds (depth 0).
    pub follow_sitemaps: bool,
}

impl CrawlConfig {
    pub fn new(start: Url) -> Self {
        Self {
            start,
            max_pages: 500,
            max_depth: 10,
            concurrency: 4,
            per_host_delay: Duration::from_millis(250),
            max_page_bytes: 5 * 1024 * 1024,
            follow_sitemaps: true,
        }
    }

    fn validate(&self) -> Result<(), CrawlError> {
        let invalid = |field, reason: &str| Err(CrawlError::InvalidConfig { field, reason: reason.to_owned() });
        match self {
            Self { max_pages: 0, .. } => invalid("max_pages", "must be at least 1"),
            Self { concurrency: 0 | 17.., .. } => invalid("concurrency", "must be between 1 and 16"),
            Self { max_page_bytes: 0, .. } => invalid("max_page_bytes", "must be at least 1"),
            _ => Ok(()),
        }
    }
}

/// One page of the site, ready for chunking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawledPage {
    /// The URL the page was served from (after redirects), normalised: the page's identity.
    pub url: String,
    /// The URL that was asked for, when a redirect led here.
    pub redirected_from: Option<String>,
    pub title: String,
    pub blocks: Vec<Block>,
    /// SHA-256 hex of the title and text: equal hashes on a re-crawl mean nothing to re-index.
    pub content_hash: String,
    pub depth: usize,
}

/// What the crawl reports as it goes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrawlEvent {
    Page(CrawledPage),
    /// The URL could not be crawled (HTTP error, timeout, refused address, too big, not a page).
    Failed {
        url: String,
        reason: String,
    },
    /// The URL was deliberately not crawled (robots.txt, `noindex`, a redirect off the site or to a
    /// page already crawled).
    Skipped {
        url: String,
        reason: String,
    },
    /// After each URL: how many are done and how many are queued or in flight.
    Progress {
        done: usize,
        queued: usize,
    },
}

/// How a crawl ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrawlSummary {
    pub pages: usize,
    pub failed: usize,
    pub robots_disallowed: usize,
    /// Skipped for other reasons (noindex, off-site or duplicate redirects).
    pub skipped: usize,
    pub cancelled: bool,
    /// Every URL in scope within `max_depth` was tried: not cancelled and not cut by `max_pages` (or
    /// the sitemap limit). [`CrawlSummary::proves_gone`] says what that allows a re-crawl to delete.
    pub complete: bool,
    /// The start URL (after its redirects) answered with a page or a sitemap.
    pub start_fetched: bool,
    /// Links were left unfollowed at `max_depth`: whatever lies behind them was not looked at.
    pub depth_cut: bool,
    /// Where removals may happen: the site under the start URL's directory.
    pub scope: Option<scope::Scope>,
    /// URLs that answered 404 Not Found or 410 Gone (also reported as `Failed`).
    pub gone: Vec<String>,
    /// URLs that could not be read for any other reason (an error status, a network failure, a
    /// refused redirect, too big…).
    pub unreadable: Vec<String>,
}

impl CrawlSummary {
    /// Whether a stored page that this crawl did not deliver is known to be gone from the site.
    ///
    /// - It answered 404 or 410 to this crawl: gone, whatever else happened.
    /// - It could not be read for another reason (5xx, a network error…): kept; the next crawl that
    ///   reads it or sees it 404 decides.
    /// - Otherwise it is gone only if this crawl looked at everything it would have been found in:
    ///   the start URL answered, the crawl was complete (not cancelled, not cut by `max_pages`) and
    ///   did not stop following links at `max_depth`, and the page is in [`scope::Scope`] (same site,
    ///   under the start directory). Pages of other sites or paths in the same knowledge base, and
    ///   pages that may lie deeper than the crawl went, are kept.
    pub fn proves_gone(&self, url: &str) -> bool {
        if self.gone.iter().any(|g| g == url) {
            return true;
        }
        if self.cancelled || !self.complete || !self.start_fetched || self.depth_cut {
            return false;
        }
        if self.unreadable.iter().any(|u| u == url) {
            return false;
        }
        let parsed = Url::parse(url).ok().and_then(|u| scope::normalize(&u));
        matches!((&self.scope, parsed), (Some(scope), Some(u)) if scope.contains(&u))
    }
}

/// Why a crawl could not start. The text tells the owner what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrawlError {
    #[error("the crawl setting {field} {reason}")]
    InvalidConfig { field: &'static str, reason: String },
    #[error("cannot crawl {url}: {refusal}")]
    StartRefused { url: String, refusal: Refusal },
    #[error("cannot crawl {url}: the host {host} was not found ({reason}); check the address")]
    HostNotFound { url: String, host: String, reason: String },
    #[error("the HTTP client could not be set up: {0}")]
    Client(String),
}

/// Crawls the site of `config.start`, sending events as pages arrive, until done or `cancel`led
/// (in-flight requests are dropped at once). Stops early, as cancelled, if `events` is closed.
pub async fn crawl(
    policy: AddressPolicy,
    config: CrawlConfig,
    cancel: CancellationToken,
    events: Sender<CrawlEvent>,
) -> Result<CrawlSummary, CrawlError> {
    config.validate()?;
    let (start, site) = check_start(&policy, &config.start).await?;
    let client = crate::net::client_without_redirects(policy.clone()).map_err(|e| CrawlError::Client(e.to_string()))?;
    Ok(run::run(client, policy, start, site, config, cancel, events).await)
}

/// The start URL, normalised, and its site, if it may be crawled at all: scheme, credentials and
/// address are checked up front so a mistyped or forbidden start fails loudly, not as a failed page.
async fn check_start(policy: &AddressPolicy, start: &Url) -> Result<(Url, scope::Site), CrawlError> {
    let refused = |refusal| CrawlError::StartRefused { url: start.to_string(), refusal };
    policy.check_url(start).map_err(refused)?;
    let no_host = || refused(Refusal::NoHost { url: start.to_string() });
    let url = scope::normalize(start).ok_or_else(no_host)?;
    let site = scope::Site::of(&url).ok_or_else(no_host)?;
    if let Some(Host::Domain(host)) = url.host() {
        let resolver = PolicyResolver::new(std::sync::Arc::new(policy.clone()));
        if let Err(e) = resolver.resolve_allowed(host).await {
            return Err(match e.downcast_ref::<Refusal>() {
                Some(refusal) => refused(refusal.clone()),
                None => {
                    CrawlError::HostNotFound { url: start.to_string(), host: host.to_owned(), reason: e.to_string() }
                }
            });
        }
    }
    Ok((url, site))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn settings_that_cannot_work_are_named() {
        let config = CrawlConfig { max_pages: 0, ..CrawlConfig::new(url("https://example.com/")) };
        assert_eq!(config.validate().unwrap_err().to_string(), "the crawl setting max_pages must be at least 1");
        let config = CrawlConfig { concurrency: 64, ..CrawlConfig::new(url("https://example.com/")) };
        assert!(config.validate().unwrap_err().to_string().contains("concurrency must be between 1 and 16"));
        assert_eq!(CrawlConfig::new(url("https://example.com/")).validate(), Ok(()));
    }

    #[tokio::test]
    async fn a_start_url_of_another_scheme_or_a_private_address_is_refused_with_the_setting_to_change() {
        let policy = AddressPolicy::default();
        let err = check_start(&policy, &url("ftp://example.com/")).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot crawl ftp://example.com/: ftp://example.com/: only http and https URLs are fetched, not ftp"
        );
        let err = check_start(&policy, &url("http://10.1.2.3/wiki")).await.unwrap_err();
        assert!(err.to_string().contains("10.1.2.3 is a private address"), "{err}");
        assert!(err.to_string().contains("WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS"), "{err}");
        let err = check_start(&policy, &url("http://localhost:8080/")).await.unwrap_err();
        assert!(err.to_string().contains("localhost resolves to"), "{err}");
    }

    #[tokio::test]
    async fn an_allowed_start_url_is_normalised() {
        let policy = AddressPolicy::new(["127.0.0.1"]);
        assert_eq!(
            check_start(&policy, &url("http://127.0.0.1:80/a#b")).await.unwrap().0.as_str(),
            "http://127.0.0.1/a"
        );
    }
}
