//! Sitemaps (sitemaps.org): the page list a site publishes, in XML, gzip'd XML or plain text.
//!
//! A sitemap finds pages no link reaches, and an index file points to more sitemaps. Only `<loc>` is
//! read: `lastmod` and `priority` are too often wrong to steer a crawl by.

use std::io::Read;

use flate2::read::GzDecoder;

/// The protocol's own limits: 50 000 URLs and 50 MB uncompressed per file.
pub const MAX_ENTRIES: usize = 50_000;
pub const MAX_BYTES: usize = 50 * 1024 * 1024;

/// What a sitemap file lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sitemap {
    /// A `<urlset>` (or a text sitemap): page URLs.
    Pages(Vec<String>),
    /// A `<sitemapindex>`: further sitemap URLs.
    Index(Vec<String>),
}

/// Parses a sitemap body (gzip is recognised by its magic bytes, whatever the server called it).
/// `text_allowed`: whether a body that isn't XML may be a text sitemap (one URL per line); only
/// when the URL was announced as a sitemap, or any plain page would read as one.
pub fn parse(body: &[u8], text_allowed: bool) -> Result<Sitemap, String> {
    let unzipped;
    let body = if body.starts_with(&[0x1f, 0x8b]) {
        unzipped = gunzip(body)?;
        &unzipped[..]
    } else {
        body
    };
    let text = std::str::from_utf8(body).map_err(|_| "the sitemap is not UTF-8 text".to_owned())?;
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if !text.starts_with('<') {
        if !text_allowed {
            return Err("not a sitemap".to_owned());
        }
        let urls = text.lines().map(str::trim).filter(|l| l.starts_with("http://") || l.starts_with("https://"));
        return Ok(Sitemap::Pages(urls.take(MAX_ENTRIES).map(str::to_owned).collect()));
    }
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("the sitemap is not well-formed XML ({e})"))?;
    let root = doc.root_element();
    let (entry, wrap): (&str, fn(Vec<String>) -> Sitemap) = match root.tag_name().name() {
        "urlset" => ("url", Sitemap::Pages),
        "sitemapindex" => ("sitemap", Sitemap::Index),
        other => return Err(format!("not a sitemap (the XML root is <{other}>, not <urlset> or <sitemapindex>)")),
    };
    let locs = root
        .children()
        .filter(|n| n.tag_name().name() == entry)
        .filter_map(|n| n.children().find(|c| c.tag_name().name() == "loc"))
        .filter_map(|loc| loc.text())
        .map(str::trim)
        .filter(|loc| !loc.is_empty())
        .take(MAX_ENTRIES)
        .map(str::to_owned)
        .collect();
    Ok(wrap(locs))
}

/// Decompresses at most [`MAX_BYTES`]: a small gzip file can expand to gigabytes.
fn gunzip(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    GzDecoder::new(body)
        .take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("the gzip'd sitemap could not be decompressed ({e})"))?;
    if out.len() > MAX_BYTES {
        return Err(format!("the sitemap is larger than {} MB uncompressed", MAX_BYTES / 1024 / 1024));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::{Compression, write::GzEncoder};

    use super::*;

    const URLSET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://example.com/</loc><lastmod>2024-01-01</lastmod></url>
  <url><loc>
     https://example.com/a?x=1&amp;y=2
  </loc></url>
  <url><priority>0.5</priority></url>
</urlset>"#;

    #[test]
    fn a_urlset_lists_its_page_urls_with_entities_decoded() {
        assert_eq!(
            parse(URLSET.as_bytes(), false),
            Ok(Sitemap::Pages(vec!["https://example.com/".into(), "https://example.com/a?x=1&y=2".into()]))
        );
    }

    #[test]
    fn a_sitemap_index_lists_further_sitemaps() {
        let index = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>https://example.com/s1.xml</loc></sitemap>
            <sitemap><loc>https://example.com/s2.xml.gz</loc></sitemap></sitemapindex>"#;
        assert_eq!(
            parse(index.as_bytes(), false),
            Ok(Sitemap::Index(vec!["https://example.com/s1.xml".into(), "https://example.com/s2.xml.gz".into()]))
        );
    }

    #[test]
    fn a_gzipped_sitemap_is_read() {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(URLSET.as_bytes()).unwrap();
        let Ok(Sitemap::Pages(urls)) = parse(&gz.finish().unwrap(), false) else { panic!("not parsed") };
        assert_eq!(urls.len(), 2);
    }

    #[test]
    fn a_text_sitemap_is_read_only_where_one_is_expected() {
        let text = b"https://example.com/a\n\n  https://example.com/b  \nnot a url\n";
        assert_eq!(
            parse(text, true),
            Ok(Sitemap::Pages(vec!["https://example.com/a".into(), "https://example.com/b".into()]))
        );
        assert_eq!(parse(text, false), Err("not a sitemap".to_owned()));
    }

    #[test]
    fn other_xml_and_broken_xml_are_not_sitemaps() {
        let err = parse(b"<rss><channel/></rss>", false).unwrap_err();
        assert!(err.contains("the XML root is <rss>"), "{err}");
        let err = parse(b"<urlset><url><loc>x</url>", false).unwrap_err();
        assert!(err.starts_with("the sitemap is not well-formed XML"), "{err}");
    }
}
