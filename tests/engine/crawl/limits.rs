//! Page and depth limits, politeness, size cap and cancellation.

use super::*;
use webplus::fakes::{Resource, wait_until};

/// Paths requested, robots.txt left out.
fn page_requests(site: &FakeSite) -> Vec<String> {
    site.requests().into_iter().map(|r| r.path).filter(|p| p != "/robots.txt").collect()
}

#[tokio::test]
async fn max_pages_bounds_the_fetches_and_leaves_the_crawl_incomplete() {
    let site = FakeSite::handbook().await;
    let run = run(CrawlConfig { max_pages: 3, follow_sitemaps: false, ..config(&site, "/") }).await;

    assert_eq!(run.summary.pages, 3);
    assert_eq!(page_requests(&site).len(), 3, "{:?}", page_requests(&site));
    assert!(!run.summary.complete);
    assert!(!run.summary.cancelled);
}

#[tokio::test]
async fn max_depth_bounds_the_link_hops_from_the_start() {
    let site = FakeSite::handbook().await;
    let run1 = run(CrawlConfig { max_depth: 1, follow_sitemaps: false, ..config(&site, "/") }).await;
    assert_eq!(run1.page_paths(), sorted(&["/", "/pricing", "/support", "/security", "/api", "/careers"]));
    assert!(!site.was_requested("/history"));
    assert!(run1.summary.complete, "pages beyond the depth are not part of the crawl");

    let run2 = run(CrawlConfig { max_depth: 2, follow_sitemaps: false, ..config(&site, "/") }).await;
    assert_eq!(run2.page("/history").map(|p| p.depth), Some(2));

    site.clear_requests();
    let run0 = run(CrawlConfig { max_depth: 0, follow_sitemaps: false, ..config(&site, "/") }).await;
    assert_eq!(run0.page_paths(), ["/"]);
    assert_eq!(page_requests(&site), ["/"]);
}

#[tokio::test]
async fn consecutive_requests_to_the_site_keep_the_per_host_delay() {
    let site = FakeSite::handbook().await;
    let delay = Duration::from_millis(100);
    let config = CrawlConfig { per_host_delay: delay, concurrency: 4, ..config(&site, "/") };
    let run = run(config).await;
    assert_eq!(run.summary.pages, 7);

    let requests = site.requests();
    assert!(requests.len() > 10, "{requests:?}");
    for pair in requests.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        // A minimum gap is the property; how long the whole crawl took is not asserted.
        assert!(gap >= delay, "{} came {gap:?} after {}", pair[1].path, pair[0].path);
    }
}

#[tokio::test]
async fn a_crawl_delay_in_robots_txt_lengthens_the_pause() {
    let site = FakeSite::start().await;
    site.set("/robots.txt", Resource::typed("text/plain", "User-agent: *\nCrawl-delay: 0.3\n"));
    site.set("/", Resource::html(r#"<p>Home</p><a href="/a">a</a> <a href="/b">b</a>"#));
    site.set("/a", Resource::html("<p>A</p>"));
    site.set("/b", Resource::html("<p>B</p>"));
    let run = run(config(&site, "/")).await;
    assert_eq!(run.summary.pages, 3);

    let requests = site.requests();
    assert_eq!(requests.len(), 4);
    for pair in requests.windows(2) {
        assert!(pair[1].at.duration_since(pair[0].at) >= Duration::from_millis(300), "{requests:?}");
    }
}

#[tokio::test]
async fn a_page_over_the_size_cap_is_reported_and_skipped() {
    let site = FakeSite::start().await;
    site.set("/", Resource::html(format!(r#"<a href="/big">big</a><p>{}</p>"#, "small ".repeat(10))));
    site.set("/big", Resource::html(format!("<p>{}</p>", "x".repeat(20_000))));
    let run = run(CrawlConfig { max_page_bytes: 10_000, ..config(&site, "/") }).await;

    assert_eq!(run.page_paths(), ["/"]);
    let reason = run.failure("/big").expect("the big page is reported");
    assert!(reason.starts_with("larger than the"), "{reason}");
    assert!(run.summary.complete);
}

#[tokio::test]
async fn cancelling_drops_the_request_in_flight_and_ends_the_crawl() {
    let site = FakeSite::handbook().await;
    // The request for /pricing would hang for an hour.
    site.set("/pricing", Resource::html("<p>slow</p>").delayed(Duration::from_secs(3600)));
    let cancel = CancellationToken::new();
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let config = CrawlConfig { concurrency: 1, follow_sitemaps: false, ..config(&site, "/") };
    let crawl = tokio::spawn(crawl(local(), config, cancel.clone(), tx));

    wait_until("the crawl to get to the slow page", Duration::from_secs(10), || async {
        if site.was_requested("/pricing") { Ok(()) } else { Err(site.requests().len()) }
    })
    .await;
    cancel.cancel();
    let requests_at_cancel = site.requests().len();
    // A liveness guard, not a speed target: a crawl that ignores the cancel would hang here.
    let summary = tokio::time::timeout(Duration::from_secs(30), crawl).await.expect("the crawl ends").unwrap().unwrap();

    assert!(summary.cancelled && !summary.complete, "{summary:?}");
    assert_eq!(summary.pages, 1);
    assert_eq!(site.requests().len(), requests_at_cancel, "nothing is requested after the cancel");
    let mut events = Vec::new();
    while let Some(event) = rx.recv().await {
        events.push(event);
    }
    assert!(events.iter().all(|e| !matches!(e, CrawlEvent::Page(p) if p.url.ends_with("/pricing"))));
}
