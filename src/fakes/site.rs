//! A fake website over real HTTP, for crawler tests: pages can be changed and removed while it runs
//! (re-crawls), and every request is logged with its arrival time (robots.txt and politeness checks).
//!
//! ```no_run
//! # async fn demo() {
//! use webplus::fakes::{FakeSite, HANDBOOK};
//! let site = FakeSite::handbook().await;
//! let start = site.url("/"); // http://127.0.0.1:PORT/
//! // ... crawl it, then:
//! assert!(!site.was_requested("/private/secret"));
//! site.set("/pricing", webplus::fakes::Resource::html("<title>Pricing</title><p>Now free.</p>"));
//! # }
//! ```

mod handbook;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::serving::Serving;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use url::Url;

pub use handbook::{HANDBOOK, HANDBOOK_SECRET, HandbookPage};

/// What the site answers at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// A `Location` header (for redirects).
    pub location: Option<String>,
    /// Extra response headers, e.g. `X-Robots-Tag`.
    pub headers: Vec<(String, String)>,
    /// Wait this long before answering (a slow page).
    pub delay: Duration,
    /// The connection breaks after the first bytes of the body (a network failure mid-page).
    pub broken: bool,
}

impl Resource {
    pub fn new(status: u16, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Self {
        let content_type = content_type.map(str::to_owned);
        let body = body.into();
        Self { status, content_type, body, location: None, headers: Vec::new(), delay: Duration::ZERO, broken: false }
    }

    /// A 200 `text/html; charset=utf-8` page.
    pub fn html(body: impl Into<String>) -> Self {
        Self::new(200, Some("text/html; charset=utf-8"), body.into())
    }

    /// A 200 response of any type.
    pub fn typed(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::new(200, Some(content_type), body)
    }

    /// A 301 to `location` (relative or absolute).
    pub fn redirect(location: &str) -> Self {
        Self { location: Some(location.to_owned()), ..Self::new(301, Some("text/plain"), "Moved") }
    }

    /// An error page with this status.
    pub fn status(status: u16) -> Self {
        Self::new(status, Some("text/plain"), format!("Error {status}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A 200 HTML page whose connection breaks after its first bytes.
    pub fn broken() -> Self {
        Self { broken: true, ..Self::html("<html><head><title>Cut short</title></head><body><p>The start of") }
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// One request the site received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// Path and query, as requested.
    pub path: String,
    /// When the request arrived (before any `delay`).
    pub at: Instant,
}

#[derive(Default)]
struct Shared {
    resources: Mutex<HashMap<String, Resource>>,
    log: Mutex<Vec<LoggedRequest>>,
}

/// Poisoning is ignored: a panicking test thread leaves plain values, never half-updated ones.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake website on `127.0.0.1`. Shuts down when dropped.
pub struct FakeSite {
    serving: Serving,
    shared: Arc<Shared>,
}

impl FakeSite {
    /// An empty site (every path 404) on a free port. Panics if no port can be bound.
    pub async fn start() -> FakeSite {
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(serve).with_state(shared.clone());
        match Serving::start(app, "website").await {
            Ok(serving) => FakeSite { serving, shared },
            Err(e) => panic!("the fake website could not bind 127.0.0.1:0: {e}"),
        }
    }

    /// The handbook of a fictional company, described at [`HANDBOOK`].
    pub async fn handbook() -> FakeSite {
        let site = FakeSite::start().await;
        handbook::install(&site);
        site
    }

    pub fn addr(&self) -> SocketAddr {
        self.serving.addr
    }

    /// The absolute URL of `path` on this site (`/pricing` → `http://127.0.0.1:PORT/pricing`).
    pub fn url(&self, path: &str) -> Url {
        let base = Url::parse(&format!("http://{}/", self.serving.addr)).expect("a socket address makes a valid URL");
        base.join(path).expect("a path joins onto the base URL")
    }

    /// Serves `resource` at `path` (path and query, e.g. `/a?b=1`) from now on.
    pub fn set(&self, path: &str, resource: Resource) {
        lock(&self.shared.resources).insert(path.to_owned(), resource);
    }

    /// Makes `path` a 404 from now on.
    pub fn remove(&self, path: &str) {
        lock(&self.shared.resources).remove(path);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).clone()
    }

    pub fn was_requested(&self, path: &str) -> bool {
        lock(&self.shared.log).iter().any(|r| r.path == path)
    }

    pub fn request_count(&self, path: &str) -> usize {
        lock(&self.shared.log).iter().filter(|r| r.path == path).count()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }
}

async fn serve(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
    lock(&shared.log).push(LoggedRequest { path: path.clone(), at: Instant::now() });
    let found = {
        let resources = lock(&shared.resources);
        resources.get(&path).or_else(|| resources.get(uri.path())).cloned()
    };
    let Some(resource) = found else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain")], "Not found").into_response();
    };
    if !resource.delay.is_zero() {
        tokio::time::sleep(resource.delay).await;
    }
    let body = if resource.broken {
        let cut = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "the fake site broke the connection");
        axum::body::Body::from_stream(futures::stream::iter([Ok(resource.body), Err(cut)]))
    } else {
        axum::body::Body::from(resource.body)
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(resource.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    let named = [("content-type", resource.content_type), ("location", resource.location)];
    let extra = resource.headers.into_iter().map(|(k, v)| (k, Some(v)));
    for (name, value) in named.into_iter().map(|(k, v)| (k.to_owned(), v)).chain(extra) {
        if let (Ok(name), Some(Ok(value))) =
            (header::HeaderName::try_from(name), value.as_deref().map(HeaderValue::from_str))
        {
            headers.append(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pages_can_be_changed_and_removed_and_requests_are_logged() {
        let site = FakeSite::start().await;
        site.set("/a", Resource::html("<p>one</p>"));
        let get = |path: &str| reqwest::get(site.url(path));
        assert_eq!(get("/a").await.unwrap().text().await.unwrap(), "<p>one</p>");
        site.set("/a", Resource::html("<p>two</p>"));
        assert_eq!(get("/a").await.unwrap().text().await.unwrap(), "<p>two</p>");
        site.remove("/a");
        assert_eq!(get("/a?x=1").await.unwrap().status(), 404);
        let paths: Vec<String> = site.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/a", "/a", "/a?x=1"]);
        assert_eq!(site.request_count("/a"), 2);
    }

    #[tokio::test]
    async fn redirects_and_extra_headers_are_sent_as_given() {
        let site = FakeSite::start().await;
        site.set("/old", Resource::redirect("/new").header("X-Robots-Tag", "noindex"));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let response = client.get(site.url("/old")).send().await.unwrap();
        assert_eq!(response.status(), 301);
        assert_eq!(response.headers()["location"], "/new");
        assert_eq!(response.headers()["x-robots-tag"], "noindex");
    }
}
