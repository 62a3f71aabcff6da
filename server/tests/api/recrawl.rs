//! What a re-crawl removes from a knowledge base: only pages it proves gone (404/410, or missing
//! from a crawl that covered their site and path); never another site's or path's pages, and never
//! pages that failed for another reason.

use reqwest::StatusCode;
use serde_json::{Value, json};
use webplus::fakes::{FakeSite, Resource};

use crate::knowledge_bases::{Api, crawl_app};

fn page(title: &str, links: &[&str]) -> Resource {
    let links: String = links.iter().map(|l| format!(r#"<li><a href="{l}">{l}</a></li>"#)).collect();
    Resource::html(format!(
        "<html><head><title>{title}</title></head><body><main><h1>{title}</h1>\
         <p>This page is about {title} and nothing else.</p><ul>{links}</ul></main></body></html>"
    ))
}

/// A small site: a home page linking a guide section (two pages) and a blog post.
async fn small_site() -> FakeSite {
    let site = FakeSite::start().await;
    site.set("/", page("Home", &["/guide/", "/blog/post"]));
    site.set("/guide/", page("Guide", &["/guide/install", "/guide/usage"]));
    site.set("/guide/install", page("Installing", &["/guide/"]));
    site.set("/guide/usage", page("Usage", &["/guide/"]));
    site.set("/blog/post", page("Blog post", &["/"]));
    site
}

impl Api<'_> {
    async fn crawl_at(&self, kb: &str, url: &str) -> Value {
        let (s, v) =
            self.post(&format!("/api/v1/knowledge-bases/{kb}/crawl"), json!({ "url": url, "max_pages": 50 })).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        let job = self.wait_job(v["job_id"].as_str().unwrap()).await;
        assert_eq!(job["status"], "done", "{job}");
        job
    }

    async fn urls(&self, kb: &str) -> Vec<String> {
        let (s, docs) = self.get(&format!("/api/v1/knowledge-bases/{kb}/documents")).await;
        assert_eq!(s, StatusCode::OK, "{docs}");
        let mut urls: Vec<String> =
            docs["data"].as_array().unwrap().iter().map(|d| d["url"].as_str().unwrap().to_owned()).collect();
        urls.sort();
        urls
    }
}

fn message(job: &Value) -> &str {
    job["message"].as_str().unwrap()
}

fn urls_of(site: &FakeSite, paths: &[&str]) -> Vec<String> {
    let mut urls: Vec<String> = paths.iter().map(|p| site.url(p).to_string()).collect();
    urls.sort();
    urls
}

#[tokio::test]
async fn crawling_a_second_site_into_the_same_knowledge_base_keeps_the_first_sites_pages() {
    let app = crawl_app().await;
    let api = Api::new(&app, "owner@example.com").await;
    let (a, b) = (small_site().await, FakeSite::start().await);
    b.set("/", page("Other site", &[]));
    let kb = api.create_kb("Two sites").await;
    api.crawl_at(&kb, a.url("/").as_str()).await;

    let job = api.crawl_at(&kb, b.url("/").as_str()).await;
    assert!(message(&job).contains(" 0 removed"), "{job}");
    let mut expected = urls_of(&a, &["/", "/guide/", "/guide/install", "/guide/usage", "/blog/post"]);
    expected.extend(urls_of(&b, &["/"]));
    expected.sort();
    assert_eq!(api.urls(&kb).await, expected);
}

#[tokio::test]
async fn a_re_crawl_whose_start_url_redirects_to_a_refused_address_removes_nothing() {
    let app = crawl_app().await;
    let api = Api::new(&app, "owner@example.com").await;
    let site = small_site().await;
    let kb = api.create_kb("Redirected").await;
    api.crawl_at(&kb, site.url("/").as_str()).await;
    let before = api.urls(&kb).await;

    site.set("/", Resource::redirect("http://169.254.169.254/latest/meta-data/"));
    let job = api.crawl_at(&kb, site.url("/").as_str()).await;
    assert!(message(&job).contains(" 0 removed"), "{job}");
    assert_eq!(api.urls(&kb).await, before);
}

#[tokio::test]
async fn a_re_crawl_keeps_pages_that_fail_and_removes_pages_that_answer_404() {
    let app = crawl_app().await;
    let api = Api::new(&app, "owner@example.com").await;
    let site = small_site().await;
    let kb = api.create_kb("Failing pages").await;
    api.crawl_at(&kb, site.url("/").as_str()).await;

    site.set("/guide/install", Resource::status(500));
    site.set("/guide/usage", Resource::broken());
    site.remove("/blog/post");
    let job = api.crawl_at(&kb, site.url("/").as_str()).await;
    assert!(message(&job).contains(" 1 removed, 3 failed"), "{job}");
    assert_eq!(api.urls(&kb).await, urls_of(&site, &["/", "/guide/", "/guide/install", "/guide/usage"]));
}

#[tokio::test]
async fn re_crawling_a_sub_path_keeps_the_pages_outside_it() {
    let app = crawl_app().await;
    let api = Api::new(&app, "owner@example.com").await;
    let site = small_site().await;
    let kb = api.create_kb("Sub path").await;
    api.crawl_at(&kb, site.url("/").as_str()).await;
    let before = api.urls(&kb).await;

    // The guide links only its own pages: the re-crawl of /guide/ sees neither / nor the blog.
    let job = api.crawl_at(&kb, site.url("/guide/").as_str()).await;
    assert!(message(&job).contains(" 0 removed"), "{job}");
    assert_eq!(api.urls(&kb).await, before);

    // Under /guide/ a page that is no longer linked is removed.
    site.set("/guide/", page("Guide", &["/guide/install"]));
    let job = api.crawl_at(&kb, site.url("/guide/").as_str()).await;
    assert!(message(&job).contains(" 1 removed"), "{job}");
    assert_eq!(api.urls(&kb).await, urls_of(&site, &["/", "/guide/", "/guide/install", "/blog/post"]));
}
