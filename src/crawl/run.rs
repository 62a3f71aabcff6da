//! The crawl loop: one task hands jobs from the frontier to at most `concurrency` fetches and
//! judges what comes back; nothing else touches the frontier, so it needs no lock.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc::Sender;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::fetch::Http;
use super::frontier::{Frontier, Job, Kind};
use super::job::{Ctx, Done, Outcome, execute};
use super::page::{content_hash, fallback_title};
use super::polite::HostGates;
use super::robots::RobotsCache;
use super::scope::{Scope, Site, normalize};
use super::sitemap::Sitemap;
use super::{CrawlConfig, CrawlEvent, CrawlSummary, CrawledPage};
use crate::net::{AddressPolicy, MAX_REDIRECTS};

/// Sitemap files fetched at most per crawl (index files can nest and fan out).
const MAX_SITEMAPS: usize = 50;

/// The crawl ended early: cancelled, or nobody listens to the events any more.
struct Stop;

struct Crawl {
    config: CrawlConfig,
    policy: Arc<AddressPolicy>,
    site: Site,
    /// The start URL: its answer (or its redirect target's) decides `start_fetched`.
    start: Url,
    frontier: Frontier,
    summary: CrawlSummary,
    events: Sender<CrawlEvent>,
    cancel: CancellationToken,
    /// Pages fetched or failed plus pages in flight: what `max_pages` bounds.
    pages_started: usize,
    sitemaps_started: usize,
    /// Sitemaps were dropped at the limit (pages left in the frontier show a page-limit cut).
    cut: bool,
}

pub(super) async fn run(
    client: reqwest::Client,
    policy: AddressPolicy,
    start: Url,
    site: Site,
    config: CrawlConfig,
    cancel: CancellationToken,
    events: Sender<CrawlEvent>,
) -> CrawlSummary {
    let policy = Arc::new(policy);
    let ctx = Arc::new(Ctx {
        http: Http { client, policy: policy.clone(), gates: HostGates::new(config.per_host_delay) },
        robots: RobotsCache::default(),
        max_page_bytes: config.max_page_bytes,
    });
    let mut crawl = Crawl {
        config,
        policy,
        site,
        start: start.clone(),
        frontier: Frontier::default(),
        summary: CrawlSummary { scope: Scope::of(&start), ..CrawlSummary::default() },
        events,
        cancel,
        pages_started: 0,
        sitemaps_started: 0,
        cut: false,
    };
    crawl.frontier.push(Job::seed(start, Kind::Page));
    let stopped = crawl.drive(&ctx).await.is_err();
    let mut summary = crawl.summary;
    summary.cancelled = stopped;
    summary.complete = !stopped && !crawl.cut && crawl.frontier.is_empty();
    summary
}

impl Crawl {
    async fn drive(&mut self, ctx: &Arc<Ctx>) -> Result<(), Stop> {
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < self.config.concurrency {
                let Some(job) = self.next_job() else { break };
                in_flight.push(execute(ctx.clone(), job));
            }
            // Dropping `in_flight` on the way out drops the requests with it.
            let done = tokio::select! {
                biased;
                () = self.cancel.cancelled() => return Err(Stop),
                done = in_flight.next() => match done {
                    Some(done) => done,
                    None => return Ok(()),
                },
            };
            self.judge(done).await?;
            let (done, queued) = (self.done(), self.frontier.len() + in_flight.len());
            self.emit(CrawlEvent::Progress { done, queued }).await?;
        }
    }

    /// The next job allowed to start, sitemaps first; `None` when nothing may start now.
    fn next_job(&mut self) -> Option<Job> {
        while let Some(job) = self.frontier.pop_sitemap() {
            if self.sitemaps_started < MAX_SITEMAPS {
                self.sitemaps_started += 1;
                return Some(job);
            }
            self.cut = true;
        }
        if self.pages_started >= self.config.max_pages {
            // Pages left in the frontier at the end make the crawl incomplete.
            return None;
        }
        let job = self.frontier.pop_page()?;
        self.pages_started += 1;
        Some(job)
    }

    fn done(&self) -> usize {
        let s = &self.summary;
        s.pages + s.failed + s.robots_disallowed + s.skipped
    }

    async fn emit(&self, event: CrawlEvent) -> Result<(), Stop> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(Stop),
            sent = self.events.send(event) => sent.map_err(|_| Stop),
        }
    }

    async fn fail(&mut self, url: &Url, reason: String) -> Result<(), Stop> {
        self.summary.failed += 1;
        self.summary.unreadable.push(url.to_string());
        self.emit(CrawlEvent::Failed { url: url.to_string(), reason }).await
    }

    async fn skip(&mut self, url: &Url, reason: String) -> Result<(), Stop> {
        self.summary.skipped += 1;
        self.emit(CrawlEvent::Skipped { url: url.to_string(), reason }).await
    }

    /// Queues a URL found on the site (a link, a sitemap entry) if it is in scope.
    fn enqueue(&mut self, url: &Url, depth: usize, kind: Kind) {
        if let Some(url) = normalize(url).filter(|u| self.site.contains(u)) {
            self.frontier.push(Job { url, depth, kind, hops: 0, redirected_from: None });
        }
    }

    async fn judge(&mut self, done: Done) -> Result<(), Stop> {
        let Done { job, outcome, robots_news } = done;
        if let Some((robots, problem, sitemaps)) = robots_news {
            if let Some(problem) = problem {
                self.fail(&robots, problem).await?;
            }
            if self.config.follow_sitemaps {
                for entry in sitemaps.iter().filter_map(|s| robots.join(s).ok()) {
                    self.enqueue(&entry, 0, Kind::Sitemap);
                }
            }
        }
        let url = &job.url;
        match outcome {
            Outcome::Disallowed => {
                // No request was sent: the page doesn't count against the limit.
                self.pages_started -= usize::from(job.kind == Kind::Page);
                self.summary.robots_disallowed += 1;
                self.emit(CrawlEvent::Skipped { url: url.to_string(), reason: "robots.txt disallows it".into() }).await
            }
            Outcome::Failed(reason) => {
                // A page that redirects to one that fails is not known to be gone either.
                if let Some(from) = &job.redirected_from {
                    self.summary.unreadable.push(from.to_string());
                }
                self.fail(url, reason).await
            }
            Outcome::Gone(reason) => {
                self.summary.failed += 1;
                self.summary.gone.push(url.to_string());
                self.emit(CrawlEvent::Failed { url: url.to_string(), reason }).await
            }
            Outcome::Redirect(to) => self.redirect(job, to).await,
            Outcome::Sitemap(found) => {
                self.note_answer(&job);
                let (urls, kind) = match found {
                    Sitemap::Pages(urls) => (urls, Kind::Page),
                    Sitemap::Index(urls) => (urls, Kind::Sitemap),
                };
                for entry in urls.iter().filter_map(|s| url.join(s).ok()) {
                    self.enqueue(&entry, job.depth, kind);
                }
                // A start URL that turned out to be a sitemap is not a page.
                self.pages_started -= usize::from(job.kind == Kind::Page);
                Ok(())
            }
            Outcome::Page { page, links, noindex } => {
                self.note_answer(&job);
                if job.depth < self.config.max_depth {
                    for link in &links {
                        self.enqueue(link, job.depth + 1, Kind::Page);
                    }
                } else if links.iter().any(|l| self.unseen_in_scope(l)) {
                    self.summary.depth_cut = true;
                }
                if noindex {
                    return self.skip(url, "the page asks not to be indexed (noindex)".into()).await;
                }
                self.summary.pages += 1;
                let title = if page.title.is_empty() { fallback_title(url) } else { page.title.clone() };
                let page = CrawledPage {
                    url: url.to_string(),
                    redirected_from: job.redirected_from.as_ref().map(Url::to_string),
                    content_hash: content_hash(&page),
                    title,
                    blocks: page.blocks,
                    depth: job.depth,
                };
                self.emit(CrawlEvent::Page(page)).await
            }
        }
    }

    /// Records that the start URL (or the page it redirected to) answered.
    fn note_answer(&mut self, job: &Job) {
        if job.url == self.start || job.redirected_from.as_ref() == Some(&self.start) {
            self.summary.start_fetched = true;
        }
    }

    /// A link this crawl would follow and has not queued yet.
    fn unseen_in_scope(&self, link: &Url) -> bool {
        normalize(link).is_some_and(|u| self.site.contains(&u) && !self.frontier.has_seen(&u))
    }

    /// A redirect target is judged like a link before it is fetched: address policy, scope, and
    /// whether that page is already crawled or queued.
    async fn redirect(&mut self, job: Job, to: Url) -> Result<(), Stop> {
        let from = &job.url;
        self.pages_started -= usize::from(job.kind == Kind::Page);
        if let Err(refusal) = self.policy.check_url(&to) {
            return self.fail(from, format!("redirects to {to}, which is refused: {refusal}")).await;
        }
        let Some(to) = normalize(&to).filter(|u| self.site.contains(u)) else {
            return self.skip(from, format!("redirects to {to}, outside the site {}", self.site.host())).await;
        };
        if job.hops >= MAX_REDIRECTS {
            return self.fail(from, format!("more than {MAX_REDIRECTS} redirects")).await;
        }
        if self.frontier.has_seen(&to) {
            return self.skip(from, format!("redirects to {to}, which this crawl already has")).await;
        }
        let redirected_from = Some(job.redirected_from.clone().unwrap_or_else(|| from.clone()));
        self.frontier.push_front(Job {
            url: to,
            depth: job.depth,
            kind: job.kind,
            hops: job.hops + 1,
            redirected_from,
        });
        Ok(())
    }
}
