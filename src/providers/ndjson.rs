//! Reading an upstream's answer as newline-delimited JSON (Ollama's streams: chat, pull): the
//! request is opened through `upstream.rs` (client, head timeout, status, content type, idle
//! timeout per read, whole-stream cap) and the body cut into lines, each capped too.

use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;

use super::upstream::{self, BodyBytes, BodyError, OpenError};

/// Longer than any line of a chat or pull stream (a line is one token or one progress report);
/// a line that grows past it is refused rather than buffered on.
pub(super) const MAX_LINE_BYTES: usize = 1 << 20;

/// Why the lines stopped.
#[derive(Debug)]
pub(super) enum LineError {
    Body(BodyError),
    /// A line passed [`MAX_LINE_BYTES`] without ending.
    TooLong,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Body(e) => write!(f, "{e}"),
            LineError::TooLong => write!(f, "a line passed {MAX_LINE_BYTES} bytes"),
        }
    }
}

/// The non-blank lines of a body, without their line ends (bytes: each is parsed as JSON).
pub(super) type Lines = BoxStream<'static, Result<Vec<u8>, LineError>>;

/// Sends `request` and returns the response body as lines. A success whose type is not in
/// `content_types` is [`OpenError::UnexpectedContentType`].
pub(super) async fn open(
    request: reqwest::RequestBuilder,
    idle_timeout: Duration,
    content_types: &[&str],
) -> Result<Lines, OpenError> {
    let body = upstream::open(request, idle_timeout, content_types).await?;
    Ok(lines(body))
}

/// Cuts `body` at `\n` (a `\r` before it is dropped too). The last line counts even without
/// its line end; blank lines are skipped.
pub(super) fn lines(mut body: BodyBytes) -> Lines {
    let lines = async_stream::stream! {
        let mut pending: Vec<u8> = Vec::new();
        loop {
            match body.next().await {
                Some(Ok(chunk)) => {
                    let mut rest: &[u8] = &chunk;
                    while let Some(end) = rest.iter().position(|b| *b == b'\n') {
                        pending.extend_from_slice(&rest[..end]);
                        rest = &rest[end + 1..];
                        if pending.len() > MAX_LINE_BYTES {
                            yield Err(LineError::TooLong);
                            return;
                        }
                        if let Some(line) = take_line(&mut pending) {
                            yield Ok(line);
                        }
                    }
                    pending.extend_from_slice(rest);
                    if pending.len() > MAX_LINE_BYTES {
                        yield Err(LineError::TooLong);
                        return;
                    }
                }
                Some(Err(e)) => {
                    yield Err(LineError::Body(e));
                    return;
                }
                None => {
                    if let Some(line) = take_line(&mut pending) {
                        yield Ok(line);
                    }
                    return;
                }
            }
        }
    };
    lines.boxed()
}

/// The line gathered in `pending` (emptied), unless it is blank.
fn take_line(pending: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut line = std::mem::take(pending);
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    (!line.iter().all(u8::is_ascii_whitespace)).then_some(line)
}

#[cfg(test)]
mod tests {
    use tokio_util::bytes::Bytes;

    use super::*;

    async fn cut(chunks: &[&[u8]]) -> Vec<Result<Vec<u8>, String>> {
        let chunks: Vec<Result<Bytes, BodyError>> = chunks.iter().map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        lines(futures::stream::iter(chunks).boxed()).map(|l| l.map_err(|e| e.to_string())).collect().await
    }

    fn ok(lines: &[&str]) -> Vec<Result<Vec<u8>, String>> {
        lines.iter().map(|l| Ok(l.as_bytes().to_vec())).collect()
    }

    #[tokio::test]
    async fn lines_split_across_reads_are_joined_and_blank_ones_skipped() {
        let got = cut(&[b"{\"a\":", b"1}\n{\"b\"", b":2}\r\n\n  \n{\"c\":3}"]).await;
        assert_eq!(got, ok(&["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]));
    }

    #[tokio::test]
    async fn a_line_that_never_ends_is_refused_once_it_passes_the_cap() {
        let long = vec![b'x'; MAX_LINE_BYTES / 2 + 1];
        let got = cut(&[b"{}\n", &long, &long]).await;
        assert_eq!(got.len(), 2, "the line before it, then the refusal");
        assert!(matches!(&got[1], Err(m) if m.contains("line passed")), "{got:?}");
    }

    #[tokio::test]
    async fn a_body_error_ends_the_lines_after_the_complete_ones() {
        let body = futures::stream::iter([Ok(Bytes::from_static(b"{}\n{\"cut")), Err(BodyError::Silent)]);
        let got: Vec<_> = lines(body.boxed()).collect().await;
        assert!(matches!(got.as_slice(), [Ok(l), Err(LineError::Body(BodyError::Silent))] if l == b"{}"), "{got:?}");
    }
}
