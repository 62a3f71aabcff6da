//! One piece of Markdown to safe HTML.

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

use super::{highlight, sanitize};

/// The Markdown a reply may use: CommonMark and GFM's tables, task lists and strikethrough.
pub(super) fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// `markdown` as sanitised HTML. Raw HTML in it is shown as text; images become links; code
/// blocks are highlighted.
pub fn to_html(markdown: &str) -> String {
    let mut events = Vec::new();
    let mut code: Option<(String, String)> = None;
    for event in Parser::new_ext(markdown, options()) {
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
                    events.push(Event::Html(highlight::code_block(&info, &text).into()));
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
    // A fence still open (a reply being written) shows what it has so far.
    if let Some((info, text)) = code {
        events.push(Event::Html(CowStr::from(highlight::code_block(&info, &text))));
    }
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitize::clean(&html)
}
