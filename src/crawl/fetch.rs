//! One GET request: policy-checked, polite, never following redirects, with a bounded body.
//!
//! Redirects come back to the crawler as responses so that every hop is judged like a link (site
//! scope, robots.txt, pages already seen) before anything is sent to it. Bodies are read chunk by
//! chunk up to a limit, so a huge or endless response costs at most the limit in memory.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use url::Url;

use super::polite::HostGates;
use crate::net::AddressPolicy;

/// A response as far as the crawler needs it.
#[derive(Debug)]
pub struct Fetched {
    pub status: StatusCode,
    /// The `Location` target of a redirect, resolved against the request URL.
    pub location: Option<Url>,
    /// The media type without parameters, lowercased (`text/html`); empty if the server sent none.
    pub media_type: String,
    /// `X-Robots-Tag` values, lowercased.
    pub robots_tags: Vec<String>,
    /// The body of a 2xx response (empty otherwise), at most the limit asked for.
    pub body: Vec<u8>,
    /// The body went on past the limit.
    pub truncated: bool,
}

/// What the crawler sends requests through.
pub struct Http {
    pub client: reqwest::Client,
    pub policy: Arc<AddressPolicy>,
    pub gates: HostGates,
}

impl Http {
    /// GETs `url` once. Errors are sentences for the crawl log (refusal, timeout, connection failure).
    pub async fn get(&self, url: &Url, max_bytes: usize) -> Result<Fetched, String> {
        // Literal-address URLs never reach the resolver's check: this is theirs.
        self.policy.check_url(url).map_err(|refusal| refusal.to_string())?;
        let _permit = self.gates.acquire(url.host_str().unwrap_or_default()).await;
        let response = self.client.get(url.clone()).send().await.map_err(|e| describe(&e))?;
        let status = response.status();
        let headers = response.headers();
        let location = if status.is_redirection() {
            headers.get(LOCATION).and_then(|v| v.to_str().ok()).and_then(|v| url.join(v.trim()).ok())
        } else {
            None
        };
        let media_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
            .unwrap_or_default();
        let robots_tags = headers
            .get_all("x-robots-tag")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
            .collect();
        let mut fetched = Fetched { status, location, media_type, robots_tags, body: Vec::new(), truncated: false };
        if status.is_success() {
            (fetched.body, fetched.truncated) = read_capped(response, max_bytes).await.map_err(|e| describe(&e))?;
        }
        Ok(fetched)
    }
}

/// Reads at most `max_bytes` of the body; the flag says whether there was more. A declared length
/// is not trusted either way: the read stops at the limit whatever the headers said.
pub async fn read_capped(mut response: reqwest::Response, max_bytes: usize) -> reqwest::Result<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max_bytes - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// The error with its causes: reqwest's own text ("error sending request") hides the reason (a
/// refused address, a reset connection) in the source chain.
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "the request timed out".to_owned();
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// How a 2xx body is read, by its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Html,
    PlainText,
    Markdown,
    /// Possibly a sitemap (the crawl's start URL may be one).
    Xml,
    /// Anything else: images, PDFs, archives. Not read.
    Other,
}

impl BodyKind {
    /// Judged by the media type; a missing one is sniffed from the body's start, as browsers do.
    pub fn of(media_type: &str, body: &[u8]) -> BodyKind {
        match media_type {
            "text/html" | "application/xhtml+xml" => BodyKind::Html,
            "text/plain" => BodyKind::PlainText,
            "text/markdown" | "text/x-markdown" => BodyKind::Markdown,
            "application/xml" | "text/xml" => BodyKind::Xml,
            "" => {
                let start = String::from_utf8_lossy(&body[..body.len().min(512)]).trim_start().to_ascii_lowercase();
                if start.starts_with("<!doctype html") || start.starts_with("<html") {
                    BodyKind::Html
                } else if start.starts_with("<?xml") {
                    BodyKind::Xml
                } else {
                    BodyKind::Other
                }
            }
            _ => BodyKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, routing::get};

    /// Serves `/big` (10 000 bytes, streamed without a length) and `/small` (10 bytes).
    async fn server() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let chunks = || futures::stream::iter((0..100).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 100])));
        let app = Router::new()
            .route("/big", get(move || async move { axum::body::Body::from_stream(chunks()) }))
            .route("/small", get(|| async { "0123456789" }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    async fn read(url: String, max: usize) -> (Vec<u8>, bool) {
        let response = reqwest::get(url).await.unwrap();
        read_capped(response, max).await.unwrap()
    }

    #[tokio::test]
    async fn a_streamed_body_past_the_limit_is_cut_at_the_limit() {
        let base = server().await;
        let (body, truncated) = read(format!("{base}/big"), 1234).await;
        assert!(truncated);
        assert_eq!(body.len(), 1234);
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_whole() {
        let base = server().await;
        assert_eq!(read(format!("{base}/big"), 10_000).await, (vec![b'x'; 10_000], false));
        assert_eq!(read(format!("{base}/small"), 10).await, (b"0123456789".to_vec(), false));
    }

    #[tokio::test]
    async fn a_body_with_a_declared_length_past_the_limit_is_cut_too() {
        let base = server().await;
        assert_eq!(read(format!("{base}/small"), 9).await, (b"012345678".to_vec(), true));
    }

    #[test]
    fn media_types_decide_how_a_body_is_read() {
        assert_eq!(BodyKind::of("text/html", b""), BodyKind::Html);
        assert_eq!(BodyKind::of("application/xhtml+xml", b""), BodyKind::Html);
        assert_eq!(BodyKind::of("text/plain", b"<html>"), BodyKind::PlainText);
        assert_eq!(BodyKind::of("text/markdown", b""), BodyKind::Markdown);
        assert_eq!(BodyKind::of("application/xml", b""), BodyKind::Xml);
        assert_eq!(BodyKind::of("image/png", b"<html>"), BodyKind::Other);
        assert_eq!(BodyKind::of("", b"  <!DOCTYPE html><html>"), BodyKind::Html);
        assert_eq!(BodyKind::of("", b"<?xml version=\"1.0\"?><urlset/>"), BodyKind::Xml);
        assert_eq!(BodyKind::of("", b"\x89PNG"), BodyKind::Other);
    }
}
