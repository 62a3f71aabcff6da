//! A reply as its top-level blocks (paragraphs, lists, tables, code blocks, …), each rendered on
//! its own. While a reply streams only its last block can still change, so [`LiveBlocks`] keeps
//! the finished ones and re-renders the last: the work per token is the size of that block, not of
//! the reply.

use std::ops::Range;

use pulldown_cmark::{Event, Parser};

use super::cite::Citations;
use super::highlight::CodeCache;
use super::markdown::{options, render};

/// The byte ranges of `text`'s top-level blocks, in order.
fn top_level(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        match event {
            Event::Start(_) => {
                if depth == 0 {
                    start = range.start;
                }
                depth += 1;
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.push(start..range.end);
                }
            }
            // A leaf at the top (a thematic break).
            _ if depth == 0 => out.push(range),
            _ => {}
        }
    }
    out
}

/// What changed: the blocks from index `from` on are now `html` (the ones before stay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockUpdate {
    pub from: usize,
    pub html: Vec<String>,
}

/// A streaming reply's rendered blocks.
#[derive(Default)]
pub struct LiveBlocks {
    /// Where the block that may still change starts.
    open_at: usize,
    /// Blocks that can no longer change (another block began after each).
    finished: usize,
    /// The open block's code highlighting so far (a code block only grows).
    code: CodeCache,
    citations: Option<Citations>,
}

impl LiveBlocks {
    pub fn new() -> Self {
        Self::default()
    }

    /// A grounded reply's: its `[n]` markers link to its sources.
    pub fn with_citations(citations: Option<Citations>) -> Self {
        Self { citations, ..Self::default() }
    }

    /// The reply so far is `text` (it only grows): the blocks that changed. Only whole lines
    /// decide where a block ends (a half-written line such as `|` may still become a table row),
    /// so a block is final once a whole line of another follows it; the last one is rendered as
    /// it stands (an open code fence shows the code so far).
    pub fn update(&mut self, text: &str) -> BlockUpdate {
        let tail = text.get(self.open_at..).unwrap_or_default();
        let whole_lines = tail.rfind('\n').map_or(0, |i| i + 1);
        self.render(text, whole_lines)
    }

    /// The reply ended as `text`: its last blocks, split as a saved reply's are ([`blocks`]).
    pub fn finish(&mut self, text: &str) -> BlockUpdate {
        let tail_len = text.len().saturating_sub(self.open_at);
        self.render(text, tail_len)
    }

    /// Finalises the blocks that end within the first `decided` bytes after `open_at`, and
    /// renders the rest as the open block.
    fn render(&mut self, text: &str, decided: usize) -> BlockUpdate {
        let from = self.finished;
        let tail = text.get(self.open_at..).unwrap_or_default();
        let ranges = top_level(&tail[..decided]);
        let mut html = Vec::with_capacity(ranges.len().max(1));
        if let Some(last) = ranges.last() {
            for (i, pair) in ranges.windows(2).enumerate() {
                let block = &tail[pair[0].start..pair[1].start];
                // The first finished block was the open one: its code is highlighted already.
                let fresh = &mut CodeCache::default();
                let cache = if i == 0 { &mut self.code } else { fresh };
                html.push(render(block, cache, self.citations.as_ref()));
            }
            if ranges.len() > 1 {
                self.code = CodeCache::default();
            }
            self.finished += ranges.len() - 1;
            self.open_at += last.start;
        }
        let open = &text[self.open_at.min(text.len())..];
        if !open.trim().is_empty() {
            html.push(render(open, &mut self.code, self.citations.as_ref()));
        }
        BlockUpdate { from, html }
    }
}

/// A whole reply's blocks, split and rendered exactly as [`LiveBlocks`] ends up with them.
pub fn blocks(text: &str, citations: Option<Citations>) -> Vec<String> {
    LiveBlocks::with_citations(citations).finish(text).html
}
