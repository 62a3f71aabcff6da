//! Main-text extraction from crawled HTML pages.
//!
//! Pages wrap their content in navigation, banners, cookie notices and footers that would pollute
//! retrieval (every chunk of a site would match "Home About Contact"). We read the `<main>` /
//! `<article>` content when the page marks it, and skip boilerplate elements by tag, role or
//! class/id wherever we read.

use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use super::chunk::{Block, collapse};

/// What a page contributes to a knowledge base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub title: String,
    pub blocks: Vec<Block>,
}

const DROPPED_TAGS: &[&str] = &[
    "nav", "header", "footer", "aside", "script", "style", "noscript", "form", "svg", "iframe", "template", "button",
    "select", "textarea", "canvas", "object", "embed", "dialog", "head",
];
const BOILERPLATE_WORDS: &[&str] =
    &["nav", "menu", "footer", "cookie", "banner", "sidebar", "breadcrumb", "share", "comment"];
const DROPPED_ROLES: &[&str] = &["navigation", "banner", "contentinfo", "complementary", "search"];

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("static selector")
}

/// Extracts the title and the main-content blocks of a parsed page.
pub fn extract(html: &Html) -> Page {
    let first_text = |css: &str| {
        html.select(&selector(css)).map(|e| collapse(&e.text().collect::<String>())).find(|t| !t.is_empty())
    };
    let title = first_text("head title").or_else(|| first_text("h1")).unwrap_or_default();
    // A page that marks its main content is trusted; else every <article>; else the whole body.
    let roots: Vec<ElementRef> = ["main", "[role=main]", "article", "body"]
        .iter()
        .map(|css| html.select(&selector(css)).collect::<Vec<_>>())
        .find(|found| !found.is_empty())
        .map(|found| if found.len() > 1 && found[0].value().name() != "article" { found[..1].to_vec() } else { found })
        .unwrap_or_else(|| vec![html.root_element()]);
    let mut blocks = Vec::new();
    for root in roots {
        let mut inline = String::new();
        walk(root, &mut blocks, &mut inline);
        flush(&mut inline, &mut blocks);
    }
    Page { title, blocks }
}

/// Parses and extracts in one step.
pub fn extract_str(html: &str) -> Page {
    extract(&Html::parse_document(html))
}

/// Whether an element is navigation, chrome or invisible, and so never read.
fn dropped(el: ElementRef) -> bool {
    let v = el.value();
    if DROPPED_TAGS.contains(&v.name()) || v.attr("hidden").is_some() || v.attr("aria-hidden") == Some("true") {
        return true;
    }
    if v.attr("role").is_some_and(|r| DROPPED_ROLES.contains(&r.to_ascii_lowercase().as_str())) {
        return true;
    }
    let names = v.attr("class").unwrap_or_default().to_owned() + " " + v.attr("id").unwrap_or_default();
    let boilerplate = names
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .map(str::to_ascii_lowercase)
        .any(|word| BOILERPLATE_WORDS.iter().any(|b| word.starts_with(b)));
    // A layout wrapper like `with-sidebar` may hold the article itself: keep what holds the content.
    boilerplate && el.select(&selector("main, article, h1, [role=main]")).next().is_none()
}

/// Reads `el`'s children in order, gathering inline text into `inline` until a block starts.
fn walk(el: ElementRef, blocks: &mut Vec<Block>, inline: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(text) => inline.push_str(text),
            Node::Element(_) => {
                let Some(child) = ElementRef::wrap(child) else { continue };
                if dropped(child) {
                    continue;
                }
                let name = child.value().name();
                match name {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                        flush(inline, blocks);
                        let text = text_of(child);
                        if !text.is_empty() {
                            blocks.push(Block::Heading { level: name.as_bytes()[1] - b'0', text });
                        }
                    }
                    "pre" => {
                        flush(inline, blocks);
                        let code: String = child.text().collect();
                        let code = code.trim_matches('\n').trim_end();
                        if !code.trim().is_empty() {
                            blocks.push(Block::Code(code.to_owned()));
                        }
                    }
                    "li" | "dt" | "dd" => {
                        flush(inline, blocks);
                        // An item's own text, then its nested lists as items of their own.
                        let mut own = String::new();
                        let mut nested = Vec::new();
                        walk(child, &mut nested, &mut own);
                        push_text(&own, true, blocks);
                        // `<li><p>text</p></li>`: the paragraph is the item.
                        if own.trim().is_empty()
                            && let Some(Block::Paragraph(text)) = nested.first_mut()
                        {
                            nested[0] = Block::ListItem(std::mem::take(text));
                        }
                        blocks.append(&mut nested);
                    }
                    "tr" => {
                        flush(inline, blocks);
                        let cells: Vec<String> = child
                            .children()
                            .filter_map(ElementRef::wrap)
                            .map(text_of)
                            .filter(|t| !t.is_empty())
                            .collect();
                        if !cells.is_empty() {
                            blocks.push(Block::TableRow(cells.join(" | ")));
                        }
                    }
                    "br" => inline.push(' '),
                    // Inline markup adds no space: `<b>un</b>done` is one word.
                    _ if is_inline(name) => walk(child, blocks, inline),
                    _ => {
                        // p, div, section, blockquote, table, ...: a block boundary on each side.
                        flush(inline, blocks);
                        walk(child, blocks, inline);
                        flush(inline, blocks);
                    }
                }
            }
            _ => {}
        }
    }
}

fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "span"
            | "em"
            | "strong"
            | "b"
            | "i"
            | "u"
            | "s"
            | "code"
            | "kbd"
            | "samp"
            | "var"
            | "small"
            | "mark"
            | "abbr"
            | "cite"
            | "q"
            | "time"
            | "sub"
            | "sup"
            | "label"
            | "del"
            | "ins"
            | "dfn"
            | "bdi"
            | "bdo"
    )
}

/// The readable text under `el`, skipping dropped descendants, whitespace collapsed.
fn text_of(el: ElementRef) -> String {
    let mut out = String::new();
    let mut sink = Vec::new();
    walk(el, &mut sink, &mut out);
    for block in sink {
        out.push(' ');
        out.push_str(block.text());
    }
    collapse(&out)
}

fn push_text(text: &str, item: bool, blocks: &mut Vec<Block>) {
    let text = collapse(text);
    if !text.is_empty() {
        blocks.push(if item { Block::ListItem(text) } else { Block::Paragraph(text) });
    }
}

fn flush(inline: &mut String, blocks: &mut Vec<Block>) {
    push_text(inline, false, blocks);
    inline.clear();
}

/// Absolute http(s) links of the page, without fragments, first occurrence first (for the crawler).
pub fn links(html: &Html, base: &Url) -> Vec<Url> {
    // `<base href>` changes what relative links mean.
    let base = html
        .select(&selector("base[href]"))
        .next()
        .and_then(|b| base.join(b.value().attr("href")?).ok())
        .unwrap_or_else(|| base.clone());
    let mut out: Vec<Url> = Vec::new();
    for a in html.select(&selector("a[href], area[href]")) {
        let Some(Ok(mut url)) = a.value().attr("href").map(|h| base.join(h.trim())) else { continue };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        url.set_fragment(None);
        if !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

#[cfg(test)]
mod tests;
