//! Timing a streamed HTTP answer: from the request sent to the first piece of text read. Works for
//! SSE and JSON lines alike, by looking for a non-empty JSON string field (`"content":"…"`), so
//! role-only chunks and empty starting blocks do not count.

use std::time::{Duration, Instant};

use futures::StreamExt;

/// Sends `request`, reads the answer to its end (so the keep-alive connection is reused by the
/// next call) and returns how long after sending the first non-empty `field` arrived.
pub async fn time_first_text(request: reqwest::RequestBuilder, field: &str) -> anyhow::Result<Duration> {
    let needle = format!("\"{field}\":\"");
    let started = Instant::now();
    let res = request.send().await?;
    let url = res.url().to_string();
    let status = res.status();
    if !status.is_success() {
        let body = res.text().await.unwrap_or_default();
        anyhow::bail!("{url}: {status}: {body}");
    }
    let mut stream = res.bytes_stream();
    let mut buf = Vec::new();
    let mut first = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if first.is_none() {
            buf.extend_from_slice(&chunk);
            if has_text(&buf, needle.as_bytes()) {
                first = Some(started.elapsed());
            }
        }
    }
    first.ok_or_else(|| anyhow::anyhow!("no {field} text from {url}: {}", String::from_utf8_lossy(&buf)))
}

/// Whether `needle` (`"field":"`) occurs followed by something other than the closing quote.
fn has_text(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .enumerate()
        .any(|(at, w)| w == needle && hay.get(at + needle.len()).is_some_and(|&b| b != b'"'))
}
