//! A minimal server-sent events decoder: only `data:` fields matter for Chat Completions.

/// A longer line is not something any chat server sends; refusing it bounds memory against a
/// broken or hostile upstream.
const MAX_LINE: usize = 1 << 20;

#[derive(Debug, PartialEq, Eq)]
pub(super) struct LineTooLong;

/// Feed bytes in with [`SseDecoder::push`], take whole events out with [`SseDecoder::next_event`].
#[derive(Default)]
pub(super) struct SseDecoder {
    buf: Vec<u8>,
    /// How far `buf` has been searched for a newline, so a long line is not rescanned per push.
    scanned: usize,
    /// The `data:` lines of the event being read, joined by `\n` as the SSE spec says.
    data: Option<String>,
}

impl SseDecoder {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The data of the next complete event, if one has fully arrived. Events without data (comments
    /// used as keep-alives, lone `event:` or `id:` fields) are skipped.
    pub fn next_event(&mut self) -> Result<Option<String>, LineTooLong> {
        loop {
            let Some(offset) = self.buf[self.scanned..].iter().position(|b| *b == b'\n') else {
                self.scanned = self.buf.len();
                if self.buf.len() > MAX_LINE {
                    return Err(LineTooLong);
                }
                return Ok(None);
            };
            let end = self.scanned + offset;
            let line = String::from_utf8_lossy(&self.buf[..end]);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            let finished = take_line(&mut self.data, line);
            self.buf.drain(..=end);
            self.scanned = 0;
            if let Some(data) = finished {
                return Ok(Some(data));
            }
        }
    }
}

/// Applies one line to the event being read; returns the event's data when the line ends it.
fn take_line(data: &mut Option<String>, line: &str) -> Option<String> {
    if line.is_empty() {
        return data.take();
    }
    let (field, value) = match line.split_once(':') {
        Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
        None => (line, ""),
    };
    if field == "data" {
        match data {
            Some(data) => {
                data.push('\n');
                data.push_str(value);
            }
            None => *data = Some(value.to_owned()),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(input: &[&[u8]]) -> Vec<String> {
        let mut decoder = SseDecoder::default();
        let mut out = Vec::new();
        for part in input {
            decoder.push(part);
            while let Ok(Some(event)) = decoder.next_event() {
                out.push(event);
            }
        }
        out
    }

    #[test]
    fn events_split_across_reads_are_put_back_together() {
        assert_eq!(events(&[b"data: {\"a\"", b":1}\n", b"\ndata: [DONE]\n\n"]), ["{\"a\":1}", "[DONE]"]);
    }

    #[test]
    fn crlf_line_ends_comments_and_other_fields_are_handled() {
        assert_eq!(events(&[b": keep-alive\r\n\r\nevent: x\r\nid: 7\r\ndata:one\r\n\r\n"]), ["one"]);
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines() {
        assert_eq!(events(&[b"data: a\ndata: b\n\n"]), ["a\nb"]);
    }

    #[test]
    fn an_unfinished_event_is_not_returned() {
        assert!(events(&[b"data: half"]).is_empty());
    }

    #[test]
    fn a_line_without_end_is_refused_once_too_long() {
        let mut decoder = SseDecoder::default();
        decoder.push(&vec![b'x'; MAX_LINE + 1]);
        assert_eq!(decoder.next_event(), Err(LineTooLong));
    }
}
