//! The handbook of Fjordlight, a fictional company: the project's shared test website.
//!
//! Each fact sits on exactly one page and nowhere else (not in navigation, titles of other pages or
//! the sitemap), so a test can ask about it and know which page a correct answer cites.
//!
//! Layout (links in the main content; every page also has the same header navigation and footer):
//! - `/` links to the five main pages, `/private/secret` (disallowed by robots.txt), `/broken`
//!   (HTTP 500) and `/logo.png` (not a page);
//! - `/careers` links to `/history`, the only page two links away from `/`;
//! - `/support` links to `/old-pricing`, a 301 redirect to `/pricing`;
//! - `/robots.txt` disallows `/private/` and names `/sitemap.xml`, which lists `/` and the six pages.

use super::{FakeSite, Resource};

/// A handbook page and the one fact only it states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandbookPage {
    pub path: &'static str,
    pub title: &'static str,
    pub fact: &'static str,
}

/// The six fact pages, in the order the index links them (`/history` last: it's linked from `/careers`).
pub const HANDBOOK: [HandbookPage; 6] = [
    HandbookPage { path: "/pricing", title: "Pricing", fact: "The Team plan costs 42 euros per seat per month." },
    HandbookPage { path: "/support", title: "Support", fact: "Support is available from 7:00 to 19:00 Lisbon time." },
    HandbookPage {
        path: "/security",
        title: "Security",
        fact: "Backups are encrypted with AES-256 and kept for 35 days.",
    },
    HandbookPage { path: "/api", title: "API", fact: "The API rate limit is 600 requests per minute." },
    HandbookPage {
        path: "/careers",
        title: "Careers",
        fact: "Every new employee gets a yearly learning budget of 1800 euros.",
    },
    HandbookPage { path: "/history", title: "History", fact: "The company was founded in 2011 in Tartu." },
];

/// On `/private/secret` only, which robots.txt disallows: a crawler that finds it is broken.
pub const HANDBOOK_SECRET: &str = "The vault code is 9931.";

const NAV: &str = r#"<header class="site-header"><a href="/" class="brand">Fjordlight</a>
<nav><ul><li><a href="/">Home</a></li><li><a href="/pricing">Pricing</a></li><li><a href="/support">Support</a></li>
<li><a href="/security">Security</a></li><li><a href="/api">API</a></li><li><a href="/careers">Careers</a></li></ul></nav>
</header>"#;

const FOOTER: &str = r#"<footer><p>© Fjordlight OÜ · <a href="/">Home</a> · Imprint · Privacy notice</p>
<p>Questions about this handbook? Write to handbook@fjordlight.example.</p></footer>"#;

fn page(title: &str, main: &str) -> Resource {
    Resource::html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · Fjordlight Handbook</title>\
         </head>\n<body>{NAV}\n<main>\n<h1>{title}</h1>\n{main}\n</main>\n{FOOTER}</body></html>"
    ))
}

/// Text around each fact, so pages read like pages; none of it is a fact a test asks about.
fn body_of(fact: &HandbookPage) -> String {
    let (intro, extra) = match fact.path {
        "/pricing" => ("What Fjordlight plans cost and how billing works.", "Invoices are sent by email."),
        "/support" => (
            "How to reach the support team.",
            r#"Looking for old prices? See <a href="/old-pricing">the old pricing page</a>."#,
        ),
        "/security" => ("How customer data is protected.", "Security reviews happen before every release."),
        "/api" => ("How programs talk to Fjordlight.", "Requests over the limit get HTTP status 429."),
        "/careers" => {
            ("Working at Fjordlight.", r#"Curious where we come from? Read <a href="/history">our history</a>."#)
        }
        _ => ("Where Fjordlight comes from.", "The first product was a lighthouse logbook app."),
    };
    format!("<p>{intro}</p>\n<h2>Key facts</h2>\n<p>{}</p>\n<p>{extra}</p>", fact.fact)
}

/// Serves the handbook on `site`.
pub(super) fn install(site: &FakeSite) {
    let mut index = String::from("<p>Welcome to the Fjordlight handbook.</p>\n<ul>\n");
    for fact in HANDBOOK.iter().filter(|f| f.path != "/history") {
        index.push_str(&format!("<li><a href=\"{}\">{}</a></li>\n", fact.path, fact.title));
    }
    index.push_str(
        "</ul>\n<p>Staff only: <a href=\"/private/secret\">the vault</a>. \
         System status: <a href=\"/broken\">status page</a>. \
         Our <a href=\"/logo.png\">logo</a> for the press.</p>",
    );
    site.set("/", page("Fjordlight Handbook", &index));
    for fact in &HANDBOOK {
        site.set(fact.path, page(fact.title, &body_of(fact)));
    }
    site.set("/private/secret", page("Vault", &format!("<p>{HANDBOOK_SECRET}</p>")));
    site.set("/old-pricing", Resource::redirect("/pricing"));
    site.set("/broken", Resource::status(500));
    site.set("/logo.png", Resource::typed("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()));
    let sitemap_url = site.url("/sitemap.xml");
    site.set(
        "/robots.txt",
        Resource::typed("text/plain", format!("User-agent: *\nDisallow: /private/\n\nSitemap: {sitemap_url}\n")),
    );
    let mut sitemap = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in std::iter::once("/").chain(HANDBOOK.iter().map(|f| f.path)) {
        sitemap.push_str(&format!("  <url><loc>{}</loc></url>\n", site.url(path)));
    }
    sitemap.push_str("</urlset>\n");
    site.set("/sitemap.xml", Resource::typed("application/xml", sitemap));
}
