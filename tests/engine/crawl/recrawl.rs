//! Crawling a site again after it changed: what a re-index needs to tell apart.

use super::*;
use webplus::fakes::Resource;

fn hashes(run: &Run) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        run.pages().iter().map(|p| (path_of(&p.url), p.content_hash.clone())).collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_second_crawl_shows_changed_pages_by_their_hash_and_removed_pages_as_failures() {
    let site = FakeSite::handbook().await;
    let before = run(config(&site, "/")).await;
    assert_eq!(hashes(&before), hashes(&run(config(&site, "/")).await), "an unchanged site hashes the same");

    site.set("/pricing", Resource::html("<title>Pricing</title><main><p>The Team plan is now free.</p></main>"));
    site.remove("/security");
    let after = run(config(&site, "/")).await;

    let before_hashes = hashes(&before);
    let changed: Vec<&str> = before_hashes
        .iter()
        .filter(|(path, hash)| after.page(path).is_some_and(|p| &p.content_hash != hash))
        .map(|(path, _)| path.as_str())
        .collect();
    assert_eq!(changed, ["/pricing"]);
    assert_eq!(after.failure("/security"), Some("the server answered 404 Not Found"));
    assert!(after.page("/security").is_none());
    assert!(after.summary.complete, "a complete crawl lets the caller drop what it no longer saw");
}

/// What a re-crawl may delete: `CrawlSummary::proves_gone` for a stored page's URL.
fn proves_gone(run: &Run, site: &FakeSite, path: &str) -> bool {
    run.summary.proves_gone(site.url(path).as_str())
}

#[tokio::test]
async fn a_page_that_answers_404_is_gone_and_one_that_fails_otherwise_is_kept() {
    let site = FakeSite::handbook().await;
    site.set("/pricing", Resource::status(500));
    site.set("/support", Resource::status(503));
    site.remove("/security");
    site.set("/api", Resource::status(410));
    let run = run(config(&site, "/")).await;

    assert!(run.summary.complete && run.summary.start_fetched && !run.summary.depth_cut, "{:?}", run.summary);
    assert!(proves_gone(&run, &site, "/security"), "404");
    assert!(proves_gone(&run, &site, "/api"), "410");
    assert!(!proves_gone(&run, &site, "/pricing"), "a 500 says nothing about the page");
    assert!(!proves_gone(&run, &site, "/support"), "a 503 says nothing about the page");
    assert!(proves_gone(&run, &site, "/retired"), "a page no link leads to any more, in a complete crawl");
    assert!(!run.summary.proves_gone("https://example.com/retired"), "another site's page");
}

#[tokio::test]
async fn a_page_whose_connection_breaks_is_kept() {
    let site = FakeSite::start().await;
    site.set("/", Resource::html(r#"<p>Home</p><a href="/cut">cut</a>"#));
    site.set("/cut", Resource::broken());
    let run = run(config(&site, "/")).await;

    let reason = run.failure("/cut").expect("the broken page is reported");
    assert!(!reason.contains("answered"), "a network failure, not a status: {reason}");
    assert!(!proves_gone(&run, &site, "/cut"));
    assert!(proves_gone(&run, &site, "/retired"));
}

#[tokio::test]
async fn a_start_url_that_redirects_to_a_refused_address_proves_nothing_gone() {
    let site = FakeSite::start().await;
    site.set("/", Resource::redirect("http://10.0.0.1/"));
    let run = run(config(&site, "/")).await;

    assert!(run.failure("/").is_some_and(|r| r.contains("refused")), "{:?}", run.events);
    assert!(!run.summary.start_fetched);
    assert!(!proves_gone(&run, &site, "/pricing"));
}

#[tokio::test]
async fn a_crawl_of_a_sub_path_proves_nothing_gone_outside_it() {
    let site = FakeSite::start().await;
    site.set("/guide/", Resource::html(r#"<p>Guide</p><a href="/guide/a">a</a> <a href="/">home</a>"#));
    site.set("/guide/a", Resource::html("<p>A</p>"));
    site.set("/", Resource::html("<p>Home</p>"));
    let run = run(config(&site, "/guide/")).await;

    assert_eq!(run.page_paths(), ["/", "/guide/", "/guide/a"]);
    assert!(proves_gone(&run, &site, "/guide/retired"));
    assert!(!proves_gone(&run, &site, "/blog/post"), "outside the start directory");
    assert!(!proves_gone(&run, &site, "/guide"), "the directory's own parent path");
}

#[tokio::test]
async fn a_crawl_that_stopped_at_max_depth_proves_only_404s_gone() {
    let site = FakeSite::start().await;
    site.set("/", Resource::html(r#"<p>Home</p><a href="/a">a</a> <a href="/gone">gone</a>"#));
    site.set("/a", Resource::html(r#"<p>A</p><a href="/b">b</a> <a href="/">home</a>"#));
    site.set("/b", Resource::html("<p>B</p>"));
    let deep_enough = run(CrawlConfig { max_depth: 2, ..config(&site, "/") }).await;
    assert!(!deep_enough.summary.depth_cut, "{:?}", deep_enough.summary);
    assert!(proves_gone(&deep_enough, &site, "/retired"));

    let cut = run(CrawlConfig { max_depth: 1, ..config(&site, "/") }).await;
    assert!(cut.summary.complete && cut.summary.depth_cut, "{:?}", cut.summary);
    assert!(!proves_gone(&cut, &site, "/retired"), "it may be linked from /b, which was not fetched");
    assert!(proves_gone(&cut, &site, "/gone"), "it answered 404");
}
