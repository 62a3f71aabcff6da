//! A fetched body becomes what the crawl reports: title, text blocks, links to follow, and the
//! page's own robots directives.

use scraper::{Html, Selector};
use sha2::{Digest, Sha256};
use url::Url;

use super::robots::USER_AGENT_TOKEN;
use crate::ingest::html::{Page, extract, links};
use crate::ingest::{Block, markdown_to_blocks, text_to_blocks};

/// An HTML page, read.
#[derive(Debug)]
pub struct Read {
    pub page: Page,
    /// Links to follow (empty when the page says `nofollow`).
    pub links: Vec<Url>,
    /// The page asked not to be indexed (`noindex`): its links may still be followed.
    pub noindex: bool,
}

/// Reads an HTML body; `header_tags` are the response's `X-Robots-Tag` values.
pub fn read_html(body: &[u8], url: &Url, header_tags: &[String]) -> Read {
    let html = Html::parse_document(&String::from_utf8_lossy(body));
    let selector = Selector::parse("meta[name][content]").expect("static selector");
    let mut directives: Vec<String> = header_tags.iter().flat_map(|tag| split_directives(tag)).collect();
    for meta in html.select(&selector) {
        let name = meta.value().attr("name").unwrap_or_default();
        if name.eq_ignore_ascii_case("robots") || name.eq_ignore_ascii_case(USER_AGENT_TOKEN) {
            directives.extend(split_directives(meta.value().attr("content").unwrap_or_default()));
        }
    }
    let has = |word: &str| directives.iter().any(|d| d == word || d == "none");
    let page = extract(&html);
    let links = if has("nofollow") { Vec::new() } else { links(&html, url) };
    Read { page, links, noindex: has("noindex") }
}

/// Whether the `X-Robots-Tag` values say `word` (or `none`) to us.
pub fn header_says(tags: &[String], word: &str) -> bool {
    tags.iter().flat_map(|tag| split_directives(tag)).any(|d| d == word || d == "none")
}

/// `"NoIndex, nofollow"` → `["noindex", "nofollow"]`. A header value may name a user agent first
/// (`otherbot: noindex`); those for other agents are dropped.
fn split_directives(value: &str) -> Vec<String> {
    let value = value.trim();
    let value = match value.split_once(':') {
        Some((agent, rest)) if !agent.contains(',') && !agent.trim().contains(' ') => {
            if !agent.trim().eq_ignore_ascii_case(USER_AGENT_TOKEN) {
                return Vec::new();
            }
            rest
        }
        _ => value,
    };
    value.split(',').map(|d| d.trim().to_ascii_lowercase()).filter(|d| !d.is_empty()).collect()
}

/// Reads a plain-text or Markdown body. The title is the first heading, else the last path segment.
pub fn read_text(body: &[u8], url: &Url, markdown: bool) -> Page {
    let text = String::from_utf8_lossy(body);
    let blocks = if markdown { markdown_to_blocks(&text) } else { text_to_blocks(&text) };
    let heading = blocks.iter().find_map(|b| match b {
        Block::Heading { text, .. } => Some(text.clone()),
        _ => None,
    });
    let title = heading.unwrap_or_else(|| fallback_title(url));
    Page { title, blocks }
}

/// The last non-empty path segment, or the host: something to show for a page without a title.
pub fn fallback_title(url: &Url) -> String {
    url.path_segments()
        .and_then(|mut segments| segments.rfind(|s| !s.is_empty()))
        .map(str::to_owned)
        .or_else(|| url.host_str().map(str::to_owned))
        .unwrap_or_default()
}

/// SHA-256 (hex) of the title and block texts, so a re-crawl can tell a changed page from an unchanged
/// one without re-embedding it. Markup changes that leave the text alone don't change it.
pub fn content_hash(page: &Page) -> String {
    let mut hasher = Sha256::new();
    hasher.update(page.title.as_bytes());
    for block in &page.blocks {
        let (kind, text) = match block {
            Block::Heading { level, text } => (format!("h{level}"), text),
            Block::Paragraph(text) => ("p".to_owned(), text),
            Block::ListItem(text) => ("li".to_owned(), text),
            Block::Code(text) => ("pre".to_owned(), text),
            Block::TableRow(text) => ("tr".to_owned(), text),
        };
        // Separators that can't occur in text keep "a" + "bc" apart from "ab" + "c".
        hasher.update(b"\0");
        hasher.update(kind.as_bytes());
        hasher.update(b"\0");
        hasher.update(text.as_bytes());
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    const PAGE: &str = r#"<html><head><title>Plans</title>META</head><body>
        <nav><a href="/">Home</a></nav><main><h1>Plans</h1><p>Costs 42 euros.</p>
        <a href="/a#x">A</a> <a href="https://other.example/b">B</a></main></body></html>"#;

    fn page_with(meta: &str) -> Read {
        read_html(PAGE.replace("META", meta).as_bytes(), &url("https://example.com/plans"), &[])
    }

    #[test]
    fn a_plain_page_gives_its_text_and_all_its_links() {
        let read = page_with("");
        assert_eq!(read.page.title, "Plans");
        assert!(read.page.blocks.contains(&Block::Paragraph("Costs 42 euros.".into())));
        let links: Vec<&str> = read.links.iter().map(Url::as_str).collect();
        assert_eq!(links, ["https://example.com/", "https://example.com/a", "https://other.example/b"]);
        assert!(!read.noindex);
    }

    #[test]
    fn meta_robots_noindex_and_nofollow_are_honoured() {
        let read = page_with(r#"<meta name="ROBOTS" content="NoIndex">"#);
        assert!(read.noindex);
        assert_eq!(read.links.len(), 3);
        let read = page_with(r#"<meta name="robots" content="index, nofollow">"#);
        assert!(!read.noindex);
        assert!(read.links.is_empty());
        let read = page_with(r#"<meta name="webplus-crawler" content="none">"#);
        assert!(read.noindex && read.links.is_empty());
        assert!(!page_with(r#"<meta name="otherbot" content="noindex">"#).noindex);
    }

    #[test]
    fn x_robots_tag_headers_count_for_us_but_not_for_other_agents() {
        let body = PAGE.replace("META", "");
        let read = read_html(body.as_bytes(), &url("https://example.com/"), &["noindex".into()]);
        assert!(read.noindex);
        let read = read_html(body.as_bytes(), &url("https://example.com/"), &["googlebot: noindex".into()]);
        assert!(!read.noindex);
        let read = read_html(body.as_bytes(), &url("https://example.com/"), &["webplus-crawler: nofollow".into()]);
        assert!(read.links.is_empty());
    }

    #[test]
    fn text_pages_are_titled_by_their_first_heading_or_their_file_name() {
        let page = read_text(b"# Setup\n\nRun it.", &url("https://example.com/docs/setup.md"), true);
        assert_eq!(page.title, "Setup");
        let page = read_text(b"Just text.", &url("https://example.com/docs/notes.txt"), false);
        assert_eq!(page.title, "notes.txt");
        assert_eq!(page.blocks, [Block::Paragraph("Just text.".into())]);
    }

    #[test]
    fn the_content_hash_follows_the_text_and_not_the_markup() {
        let a = read_html(b"<title>T</title><p>One <b>two</b></p>", &url("https://e.com/"), &[]).page;
        let b = read_html(b"<title>T</title><div><p>One two</p></div>", &url("https://e.com/"), &[]).page;
        let c = read_html(b"<title>T</title><p>One three</p>", &url("https://e.com/"), &[]).page;
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&a), content_hash(&c));
        assert_eq!(content_hash(&a).len(), 64);
    }
}
