//! One piece of Markdown to safe HTML.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::cite::{Citations, Segment, segments};
use super::highlight::{self, CodeCache};
use super::sanitize;

/// Marks where a code block or a citation link (ours, not sanitised) goes in the HTML before the
/// sanitiser (removed from the input first).
const SLOT: char = '\u{E000}';

/// The Markdown a reply may use: CommonMark and GFM's tables, task lists and strikethrough.
pub(super) fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// `markdown` as sanitised HTML. Raw HTML in it is shown as text; images become links; code
/// blocks are highlighted.
pub fn to_html(markdown: &str) -> String {
    render(markdown, &mut CodeCache::default(), None)
}

/// [`to_html`], highlighting code blocks through `cache` (a streamed block's code grows) and
/// linking the `[n]` markers of `citations`.
pub(super) fn render(markdown: &str, cache: &mut CodeCache, citations: Option<&Citations>) -> String {
    let cleaned;
    let markdown = if markdown.contains(SLOT) {
        cleaned = markdown.replace(SLOT, "");
        cleaned.as_str()
    } else {
        markdown
    };
    let mut events = Vec::new();
    let mut blocks: Vec<String> = Vec::new();
    let mut code: Option<(String, String)> = None;
    // Text is gathered until the next other event, so a marker split across events is whole.
    let mut text = String::new();
    let flush = |text: &mut String, events: &mut Vec<Event<'_>>, blocks: &mut Vec<String>| {
        if text.is_empty() {
            return;
        }
        match citations {
            None => events.push(Event::Text(std::mem::take(text).into())),
            Some(c) => {
                for segment in segments(text, c) {
                    match segment {
                        Segment::Text(t) => events.push(Event::Text(t.to_owned().into())),
                        Segment::Cite(n) => {
                            events.push(Event::Html(format!("{SLOT}{}{SLOT}", blocks.len()).into()));
                            blocks.push(c.link(n));
                        }
                    }
                }
                text.clear();
            }
        }
    };
    for event in Parser::new_ext(markdown, options()) {
        if let (Event::Text(t), None) = (&event, &code) {
            text.push_str(t);
            continue;
        }
        flush(&mut text, &mut events, &mut blocks);
        match (event, code.as_mut()) {
            (Event::Start(Tag::CodeBlock(kind)), _) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((info, String::new()));
            }
            (Event::End(TagEnd::CodeBlock), _) => {
                if let Some((info, text)) = code.take() {
                    events.push(Event::Html(format!("{SLOT}{}{SLOT}", blocks.len()).into()));
                    blocks.push(highlight::code_block(&info, &text, cache));
                }
            }
            (Event::Text(t), Some((_, text))) => text.push_str(&t),
            (Event::Html(raw) | Event::InlineHtml(raw), _) => events.push(Event::Text(raw)),
            (Event::Start(Tag::Image { link_type, dest_url, title, id }), _) => {
                events.push(Event::Start(Tag::Link { link_type, dest_url, title, id }));
            }
            (Event::End(TagEnd::Image), _) => events.push(Event::End(TagEnd::Link)),
            (other, _) => events.push(other),
        }
    }
    flush(&mut text, &mut events, &mut blocks);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    let clean = sanitize::clean(&html);
    if blocks.is_empty() {
        return clean;
    }
    // Code blocks (ours: escaped text in highlighting spans) and citation links go in their slots.
    let mut out = String::with_capacity(clean.len() + blocks.iter().map(String::len).sum::<usize>());
    for (i, piece) in clean.split(SLOT).enumerate() {
        match (i % 2, piece.parse::<usize>().ok().and_then(|n| blocks.get(n))) {
            (1, Some(block)) => out.push_str(block),
            _ => out.push_str(piece),
        }
    }
    out
}
