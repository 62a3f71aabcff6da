//! Which URLs belong to a crawl, and when two URLs name the same page.
//!
//! Dedup has to agree with how servers see URLs: a fragment never reaches the server and a default
//! port is the same connection, so both are dropped; anything else (query order, case in paths,
//! trailing slashes) can change what a server returns, so it is kept as written.

use url::Url;

/// The URL a page is known by, or `None` for schemes the crawler never fetches.
///
/// The `url` crate already lowercases the host, drops default ports and resolves `.`/`..` segments
/// when parsing; this removes the fragment and an empty `?`.
pub fn normalize(url: &Url) -> Option<Url> {
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return None;
    }
    let mut url = url.clone();
    url.set_fragment(None);
    if url.query() == Some("") {
        url.set_query(None);
    }
    Some(url)
}

/// One website: a host name (with and without `www.`) and port, over http or https.
///
/// Sites commonly serve the same pages on `www.example.com` and `example.com` and redirect one to
/// the other, and move from http to https; a crawl that stopped at those redirects would find nothing.
/// Other subdomains are other sites (`blog.` and `shop.` are often different applications).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    host: String,
    port: Option<u16>,
}

impl Site {
    /// The site `url` belongs to, or `None` for a URL without a host or of another scheme.
    pub fn of(url: &Url) -> Option<Site> {
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        let host = url.host_str().filter(|h| !h.is_empty())?;
        Some(Site { host: bare(host).to_owned(), port: url.port() })
    }

    /// Whether `url` is on this site.
    pub fn contains(&self, url: &Url) -> bool {
        Site::of(url).as_ref() == Some(self)
    }

    /// The host without `www.`, for messages.
    pub fn host(&self) -> &str {
        &self.host
    }
}

/// The part of a site one crawl answers for when it comes to removals: the site of its start URL,
/// under the start URL's directory (`https://example.com/docs/guide/intro` → `/docs/guide/`; a
/// sitemap at `/sitemap.xml` covers the whole site). Pages outside it may have been added by
/// other crawls, so their absence from this one says nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    site: Site,
    dir: String,
}

impl Scope {
    pub fn of(start: &Url) -> Option<Scope> {
        let site = Site::of(start)?;
        let path = start.path();
        let dir = &path[..=path.rfind('/')?];
        Some(Scope { site, dir: dir.to_owned() })
    }

    /// Whether `url` is on the site and under the start directory.
    pub fn contains(&self, url: &Url) -> bool {
        self.site.contains(url) && url.path().starts_with(&self.dir)
    }
}

/// The host without a leading `www.` or a trailing root dot.
fn bare(host: &str) -> &str {
    let host = host.trim_end_matches('.');
    host.strip_prefix("www.").unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn norm(s: &str) -> String {
        normalize(&url(s)).map(String::from).unwrap_or_default()
    }

    #[test]
    fn fragments_default_ports_and_empty_queries_are_dropped() {
        assert_eq!(norm("http://Example.COM:80/a#top"), "http://example.com/a");
        assert_eq!(norm("https://example.com:443/a?"), "https://example.com/a");
        assert_eq!(norm("https://example.com"), "https://example.com/");
        assert_eq!(norm("https://example.com/a/../b/./c"), "https://example.com/b/c");
    }

    #[test]
    fn queries_paths_and_other_ports_are_kept_as_written() {
        assert_eq!(norm("https://example.com:8443/A/?b=2&a=1"), "https://example.com:8443/A/?b=2&a=1");
        assert_ne!(norm("https://example.com/a/"), norm("https://example.com/a"));
    }

    #[test]
    fn only_http_and_https_urls_are_normalised() {
        assert_eq!(normalize(&url("mailto:someone@example.com")), None);
        assert_eq!(normalize(&url("ftp://example.com/file")), None);
    }

    #[test]
    fn www_and_the_bare_host_are_one_site_over_either_scheme() {
        let site = Site::of(&url("https://www.example.com/start")).unwrap();
        assert_eq!(site.host(), "example.com");
        for same in [
            "https://example.com/a",
            "http://www.example.com/b",
            "http://EXAMPLE.com./c",
            "https://www.example.com:443/",
        ] {
            assert!(site.contains(&url(same)), "{same}");
        }
    }

    #[test]
    fn a_scope_is_the_site_under_the_start_urls_directory() {
        let scope = Scope::of(&url("https://www.example.com/docs/guide/intro")).unwrap();
        for inside in ["https://example.com/docs/guide/", "http://www.example.com/docs/guide/a/b?x=1"] {
            assert!(scope.contains(&url(inside)), "{inside}");
        }
        for outside in
            ["https://example.com/docs/", "https://example.com/blog/a", "https://blog.example.com/docs/guide/a"]
        {
            assert!(!scope.contains(&url(outside)), "{outside}");
        }
        let whole = Scope::of(&url("https://example.com/sitemap.xml")).unwrap();
        assert!(whole.contains(&url("https://example.com/any/page")));
    }

    #[test]
    fn other_hosts_subdomains_ports_and_schemes_are_other_sites() {
        let site = Site::of(&url("https://example.com/")).unwrap();
        for other in [
            "https://blog.example.com/",
            "https://example.org/",
            "https://notexample.com/",
            "https://example.com:8443/",
            "ftp://example.com/",
        ] {
            assert!(!site.contains(&url(other)), "{other}");
        }
        assert_eq!(Site::of(&url("file:///etc/passwd")), None);
    }
}
