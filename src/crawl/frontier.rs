//! The URLs still to fetch, breadth first, and every URL ever queued (so each page is fetched once).

use std::collections::{HashSet, VecDeque};

use url::Url;

/// What a queued URL is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Page,
    Sitemap,
}

/// One URL to fetch.
#[derive(Debug, Clone)]
pub struct Job {
    pub url: Url,
    /// Link hops from a seed (the start URL and sitemap entries are seeds).
    pub depth: usize,
    pub kind: Kind,
    /// Redirects followed to get here.
    pub hops: usize,
    /// The URL first asked for, when this one is a redirect target.
    pub redirected_from: Option<Url>,
}

impl Job {
    pub fn seed(url: Url, kind: Kind) -> Job {
        Job { url, depth: 0, kind, hops: 0, redirected_from: None }
    }
}

/// Sitemaps go first: they are few and shape the rest of the crawl. Pages go breadth first, so a
/// page limit keeps the pages nearest the start.
#[derive(Debug, Default)]
pub struct Frontier {
    sitemaps: VecDeque<Job>,
    pages: VecDeque<Job>,
    seen: HashSet<String>,
}

impl Frontier {
    /// Queues `job` unless its URL was queued before; says whether it was new.
    pub fn push(&mut self, job: Job) -> bool {
        self.insert(job, false)
    }

    /// Queues a redirect target ahead of the rest, so the page it stands for keeps its place.
    pub fn push_front(&mut self, job: Job) -> bool {
        self.insert(job, true)
    }

    fn insert(&mut self, job: Job, front: bool) -> bool {
        if !self.seen.insert(job.url.as_str().to_owned()) {
            return false;
        }
        let queue = if job.kind == Kind::Sitemap { &mut self.sitemaps } else { &mut self.pages };
        if front {
            queue.push_front(job)
        } else {
            queue.push_back(job)
        }
        true
    }

    pub fn has_seen(&self, url: &Url) -> bool {
        self.seen.contains(url.as_str())
    }

    pub fn pop_sitemap(&mut self) -> Option<Job> {
        self.sitemaps.pop_front()
    }

    pub fn pop_page(&mut self) -> Option<Job> {
        self.pages.pop_front()
    }

    pub fn len(&self) -> usize {
        self.sitemaps.len() + self.pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(path: &str, kind: Kind) -> Job {
        Job::seed(Url::parse("https://example.com").unwrap().join(path).unwrap(), kind)
    }

    #[test]
    fn a_url_is_queued_once_even_after_it_was_fetched() {
        let mut frontier = Frontier::default();
        assert!(frontier.push(job("/a", Kind::Page)));
        assert!(!frontier.push(job("/a", Kind::Page)));
        assert_eq!(frontier.pop_page().unwrap().url.path(), "/a");
        assert!(!frontier.push(job("/a", Kind::Page)));
        assert!(frontier.has_seen(&job("/a", Kind::Page).url));
        assert!(frontier.is_empty());
    }

    #[test]
    fn pages_come_out_in_order_with_redirect_targets_first_and_sitemaps_apart() {
        let mut frontier = Frontier::default();
        frontier.push(job("/1", Kind::Page));
        frontier.push(job("/2", Kind::Page));
        frontier.push(job("/sitemap.xml", Kind::Sitemap));
        frontier.push_front(job("/moved", Kind::Page));
        assert_eq!(frontier.len(), 4);
        assert_eq!(frontier.pop_sitemap().unwrap().url.path(), "/sitemap.xml");
        assert!(frontier.pop_sitemap().is_none());
        let order: Vec<String> = std::iter::from_fn(|| frontier.pop_page()).map(|j| j.url.path().to_owned()).collect();
        assert_eq!(order, ["/moved", "/1", "/2"]);
    }
}
