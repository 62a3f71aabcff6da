//! robots.txt (RFC 9309): what a site lets us fetch, how slowly, and where its sitemaps are.
//!
//! Matching (longest rule wins, allow wins a tie, `*` and `$`) is `texting_robots`'s; this module adds
//! what the RFC says about fetching the file: a 4xx means there are no rules, a 5xx or an unreachable
//! server means the site may not be crawled at all, redirects are followed a few hops.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use texting_robots::Robot;
use tokio::sync::OnceCell;
use url::Url;

use super::fetch::Http;
use crate::net::MAX_REDIRECTS;

/// The product token our rules are looked up by (`User-agent: WebPlus-crawler`).
pub const USER_AGENT_TOKEN: &str = "WebPlus-crawler";
/// The RFC asks crawlers to read at least 500 KiB; the rest of a longer file is ignored.
const MAX_ROBOTS_BYTES: usize = 500 * 1024;
/// A `Crawl-delay` longer than this is taken as this: waiting an hour per page is a crawl that never
/// ends, and the owner can still cancel or lower the page limit.
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(120);

/// One origin's robots.txt, as it applies to us.
#[derive(Debug)]
pub struct Robots {
    rules: Rules,
    pub crawl_delay: Option<Duration>,
    pub sitemaps: Vec<String>,
    /// Why the file could not be used as written, for the crawl log.
    pub problem: Option<String>,
}

#[derive(Debug)]
enum Rules {
    AllowAll,
    DisallowAll,
    Parsed(Box<Robot>),
}

impl Robots {
    /// From a final (non-redirect) response's status and body.
    pub fn from_response(status: u16, body: &[u8]) -> Robots {
        match status {
            200..=299 => Robots::parse(body),
            400..=499 => Robots::with(Rules::AllowAll, None),
            _ => Robots::unreachable(format!("robots.txt answered HTTP {status}")),
        }
    }

    /// The file couldn't be fetched (server error, timeout, refused): RFC 9309 says crawl nothing.
    pub fn unreachable(reason: impl std::fmt::Display) -> Robots {
        let problem = format!("{reason}; the site is not crawled until its robots.txt can be read (RFC 9309)");
        Robots::with(Rules::DisallowAll, Some(problem))
    }

    fn with(rules: Rules, problem: Option<String>) -> Robots {
        Robots { rules, crawl_delay: None, sitemaps: Vec::new(), problem }
    }

    /// Parses a robots.txt body; a file the parser rejects allows nothing (we can't tell what it meant).
    pub fn parse(body: &[u8]) -> Robots {
        match Robot::new(USER_AGENT_TOKEN, body) {
            Ok(robot) => Robots {
                crawl_delay: robot
                    .delay
                    .and_then(|secs| Duration::try_from_secs_f32(secs).ok())
                    .map(|d| d.min(MAX_CRAWL_DELAY)),
                sitemaps: robot.sitemaps.clone(),
                rules: Rules::Parsed(Box::new(robot)),
                problem: None,
            },
            Err(e) => Robots::with(Rules::DisallowAll, Some(format!("robots.txt could not be parsed ({e:#})"))),
        }
    }

    pub fn allows(&self, url: &Url) -> bool {
        match &self.rules {
            Rules::AllowAll => true,
            Rules::DisallowAll => false,
            Rules::Parsed(robot) => robot.allowed(url.as_str()),
        }
    }

    /// Fetches and reads the robots.txt that governs `url`, following up to five redirects.
    pub async fn load(http: &Http, url: &Url) -> Robots {
        let mut at = robots_url(url);
        for _ in 0..=MAX_REDIRECTS {
            match http.get(&at, MAX_ROBOTS_BYTES).await {
                Err(reason) => return Robots::unreachable(format!("{at} could not be fetched: {reason}")),
                Ok(fetched) => match fetched.location {
                    Some(next) => at = next,
                    // A file cut at the limit is read up to its last whole line.
                    None if fetched.truncated => return Robots::parse(up_to_last_line(&fetched.body)),
                    None => return Robots::from_response(fetched.status.as_u16(), &fetched.body),
                },
            }
        }
        // RFC 9309 2.3.1.2: after too many redirects the file may be taken as unavailable (no rules).
        Robots::with(Rules::AllowAll, Some(format!("{} redirects more than {MAX_REDIRECTS} times", robots_url(url))))
    }
}

/// The robots.txt URL of `url`'s origin.
pub fn robots_url(url: &Url) -> Url {
    let mut robots = url.clone();
    robots.set_path("/robots.txt");
    robots.set_query(None);
    robots.set_fragment(None);
    robots
}

fn up_to_last_line(body: &[u8]) -> &[u8] {
    body.iter().rposition(|&b| b == b'\n').map_or(body, |end| &body[..=end])
}

/// Each origin's robots.txt, fetched once per crawl by whichever request needs it first.
#[derive(Default)]
pub struct RobotsCache {
    origins: Mutex<HashMap<String, Arc<OnceCell<Arc<Robots>>>>>,
}

impl RobotsCache {
    /// The robots.txt for `url`, and whether this call fetched it (so its news is reported once).
    pub async fn get(&self, http: &Http, url: &Url) -> (Arc<Robots>, bool) {
        let cell = {
            let mut origins = self.origins.lock().unwrap_or_else(PoisonError::into_inner);
            origins.entry(url.origin().ascii_serialization()).or_default().clone()
        };
        let mut fetched_here = false;
        let robots = cell
            .get_or_init(|| async {
                fetched_here = true;
                let robots = Robots::load(http, url).await;
                if let (Some(delay), Some(host)) = (robots.crawl_delay, url.host_str()) {
                    http.gates.raise_delay(host, delay);
                }
                Arc::new(robots)
            })
            .await
            .clone();
        (robots, fetched_here)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(path: &str) -> Url {
        Url::parse("https://example.com").unwrap().join(path).unwrap()
    }

    #[test]
    fn disallowed_paths_are_refused_and_the_rest_allowed() {
        let robots = Robots::parse(b"User-agent: *\nDisallow: /private/\nAllow: /private/open\n");
        assert!(!robots.allows(&url("/private/secret")));
        assert!(robots.allows(&url("/private/open")));
        assert!(robots.allows(&url("/public")));
        assert!(robots.allows(&url("/privateer")));
    }

    #[test]
    fn a_group_naming_our_crawler_takes_precedence_over_the_star_group() {
        let robots = Robots::parse(b"User-agent: *\nDisallow: /\n\nUser-agent: webplus-crawler\nDisallow: /drafts\n");
        assert!(robots.allows(&url("/docs")));
        assert!(!robots.allows(&url("/drafts/1")));
    }

    #[test]
    fn crawl_delay_and_sitemaps_are_read_and_a_huge_delay_is_capped() {
        let robots = Robots::parse(b"User-agent: *\nCrawl-delay: 2.5\nSitemap: https://example.com/sitemap.xml\n");
        assert_eq!(robots.crawl_delay, Some(Duration::from_millis(2500)));
        assert_eq!(robots.sitemaps, ["https://example.com/sitemap.xml"]);
        assert_eq!(Robots::parse(b"User-agent: *\nCrawl-delay: 86400\n").crawl_delay, Some(MAX_CRAWL_DELAY));
    }

    #[test]
    fn a_missing_robots_txt_allows_everything() {
        let robots = Robots::from_response(404, b"Not found");
        assert!(robots.allows(&url("/anything")));
        assert_eq!(robots.problem, None);
    }

    #[test]
    fn a_server_error_disallows_the_whole_site_and_says_why() {
        let robots = Robots::from_response(503, b"");
        assert!(!robots.allows(&url("/")));
        assert!(robots.problem.unwrap().starts_with("robots.txt answered HTTP 503;"));
    }

    #[test]
    fn the_robots_url_is_at_the_origin_root() {
        assert_eq!(robots_url(&url("/a/b?c=d#e")).as_str(), "https://example.com/robots.txt");
    }

    #[test]
    fn a_cut_file_is_read_to_its_last_whole_line() {
        assert_eq!(up_to_last_line(b"Disallow: /a\nDisallow: /b"), b"Disallow: /a\n");
        assert_eq!(up_to_last_line(b"no newline"), b"no newline");
    }
}
