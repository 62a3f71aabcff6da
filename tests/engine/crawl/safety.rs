//! What the crawler must not fetch: private addresses, other sites, what robots rules forbid, and
//! pages that ask not to be indexed.

use super::*;
use webplus::fakes::Resource;

#[tokio::test]
async fn a_start_url_on_loopback_is_refused_unless_an_admin_allowed_it() {
    let site = FakeSite::handbook().await;
    let Err(err) = try_run(AddressPolicy::default(), config(&site, "/")).await else {
        panic!("a loopback start URL was crawled without the allowance");
    };
    assert!(matches!(err, CrawlError::StartRefused { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("127.0.0.1 is a loopback address"), "{message}");
    assert!(message.contains("WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS"), "{message}");
    assert!(site.requests().is_empty());

    let run = try_run(AddressPolicy::new(["127.0.0.1"]), config(&site, "/")).await.expect("allowed now");
    assert_eq!(run.summary.pages, 7);
}

#[tokio::test]
async fn redirects_off_the_site_are_not_followed_and_one_to_a_private_address_is_refused() {
    let site = FakeSite::start().await;
    site.set("/", Resource::html(r#"<p>Links</p><a href="/intranet">intranet</a> <a href="/elsewhere">elsewhere</a>"#));
    site.set("/intranet", Resource::redirect("http://10.0.0.1/admin"));
    site.set("/elsewhere", Resource::redirect("https://example.com/"));
    let run = run(config(&site, "/")).await;

    let refused = run.failure("/intranet").expect("the private redirect is reported");
    assert!(refused.contains("redirects to http://10.0.0.1/admin, which is refused"), "{refused}");
    assert!(refused.contains("10.0.0.1 is a private address"), "{refused}");
    let skipped = run.skip("/elsewhere").expect("the off-site redirect is reported");
    assert!(skipped.contains("https://example.com/, outside the site 127.0.0.1"), "{skipped}");
    assert_eq!(run.page_paths(), ["/"]);
}

#[tokio::test]
async fn links_to_other_sites_and_schemes_are_not_followed() {
    let site = FakeSite::start().await;
    site.set(
        "/",
        Resource::html(
            r#"<a href="http://localhost:1/">other host</a> <a href="mailto:a@b.c">mail</a>
            <a href="/a#part">a</a> <a href="/a">a again</a> <a href="/a#other">a once more</a>"#,
        ),
    );
    site.set("/a", Resource::html("<p>A</p>"));
    let run = run(config(&site, "/")).await;

    assert_eq!(run.page_paths(), ["/", "/a"]);
    assert_eq!(site.request_count("/a"), 1, "fragments name the same page");
}

#[tokio::test]
async fn a_robots_txt_server_error_keeps_the_whole_site_uncrawled() {
    let site = FakeSite::start().await;
    site.set("/robots.txt", Resource::status(503));
    site.set("/", Resource::html("<p>Home</p>"));
    let run = run(config(&site, "/")).await;

    let paths: Vec<String> = site.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/robots.txt"]);
    let problem = run.failure("/robots.txt").expect("the robots.txt problem is reported");
    assert!(problem.starts_with("robots.txt answered HTTP 503"), "{problem}");
    assert_eq!(run.skip("/"), Some("robots.txt disallows it"));
    assert_eq!(run.summary.pages, 0);
}

#[tokio::test]
async fn a_missing_robots_txt_allows_everything() {
    let site = FakeSite::start().await;
    site.set("/", Resource::html(r#"<a href="/private/x">x</a>"#));
    site.set("/private/x", Resource::html("<p>X</p>"));
    let run = run(config(&site, "/")).await;
    assert_eq!(run.page_paths(), ["/", "/private/x"]);
    assert!(run.failure("/robots.txt").is_none());
}

#[tokio::test]
async fn noindex_pages_are_followed_but_not_kept_and_nofollow_pages_are_kept_but_not_followed() {
    let site = FakeSite::start().await;
    site.set("/", Resource::html(r#"<a href="/hub">hub</a> <a href="/leaf">leaf</a>"#));
    site.set(
        "/hub",
        Resource::html(r#"<head><meta name="robots" content="noindex"></head><a href="/via-hub">next</a>"#),
    );
    site.set("/via-hub", Resource::html("<p>Found through a noindex page.</p>"));
    site.set(
        "/leaf",
        Resource::html(r#"<head><meta name="robots" content="nofollow"></head><a href="/never">never</a><p>Leaf.</p>"#),
    );
    site.set("/never", Resource::html("<p>Never.</p>"));
    site.set("/header", Resource::html("<p>Header says no.</p>").header("X-Robots-Tag", "noindex"));
    let links = run(config(&site, "/")).await;

    assert_eq!(links.page_paths(), ["/", "/leaf", "/via-hub"]);
    assert!(links.skip("/hub").unwrap().contains("noindex"));
    assert!(!site.was_requested("/never"));

    let header = run(config(&site, "/header")).await;
    assert!(header.pages().is_empty());
    assert!(header.skip("/header").unwrap().contains("noindex"));
}
