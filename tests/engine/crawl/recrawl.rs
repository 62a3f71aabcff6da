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
