use super::*;

const PAGE: &str = r#"<!doctype html>
<html><head><title> Rust &amp; Retrieval — Example Blog </title>
<style>body { color: red }</style><script>var tracking = "SECRET";</script></head>
<body>
  <header><a href="/">Home</a><nav><ul><li><a href="/about">About</a></li><li><a href="/blog/">Blog</a></li></ul></nav></header>
  <div class="cookie-banner">We use cookies. <button>Accept</button></div>
  <main>
    <nav class="breadcrumb"><a href="/blog/">Blog</a> › Post</nav>
    <article>
      <h1>Chunking   for   search</h1>
      <p>Good chunks <em>res</em>pect headings &mdash; and   paragraphs.</p>
      <div>Loose text in a div <a href="notes.html#part2">with a link</a>.</div>
      <h2>Code</h2>
      <pre><code>fn main() {
    println!("hi");
}</code></pre>
      <ul><li>First <strong>point</strong><ul><li>Nested point</li></ul></li><li><p>Second point</p></li></ul>
      <table><tr><th>Key</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table>
      <div class="share-buttons"><a href="https://twitter.com/share">Share</a></div>
      <section id="comments"><h3>Comments</h3><p>Spam comment</p></section>
      <noscript>Enable JavaScript</noscript>
      <p hidden>Hidden text</p>
    </article>
    <aside>Related posts</aside>
  </main>
  <footer><p>© 2026 Example</p><a href="mailto:me@example.com">Mail</a></footer>
  <script>document.write("late")</script>
</body></html>"#;

#[test]
fn the_main_content_is_kept_and_chrome_scripts_and_boilerplate_are_dropped() {
    let page = extract_str(PAGE);
    assert_eq!(page.title, "Rust & Retrieval — Example Blog");
    assert_eq!(
        page.blocks,
        vec![
            Block::Heading { level: 1, text: "Chunking for search".into() },
            Block::Paragraph("Good chunks respect headings — and paragraphs.".into()),
            Block::Paragraph("Loose text in a div with a link.".into()),
            Block::Heading { level: 2, text: "Code".into() },
            Block::Code("fn main() {\n    println!(\"hi\");\n}".into()),
            Block::ListItem("First point".into()),
            Block::ListItem("Nested point".into()),
            Block::ListItem("Second point".into()),
            Block::TableRow("Key | Value".into()),
            Block::TableRow("a | 1".into()),
        ]
    );
}

#[test]
fn a_page_without_main_or_article_is_read_from_the_body_minus_boilerplate() {
    let html = r#"<html><body>
        <div id="top-menu"><a href="/">Home</a></div>
        <div class="layout with-sidebar"><div class="sidebar">Links</div>
          <div class="content"><h1>Title in h1</h1><p>Body text.</p></div></div>
        <div class="site-footer">Footer</div></body></html>"#;
    let page = extract_str(html);
    assert_eq!(page.title, "Title in h1", "no <title>: the first h1");
    assert_eq!(
        page.blocks,
        vec![Block::Heading { level: 1, text: "Title in h1".into() }, Block::Paragraph("Body text.".into())]
    );
}

#[test]
fn several_articles_are_all_read_when_there_is_no_main() {
    let html = "<body><nav>x</nav><article><p>One.</p></article><article><p>Two.</p></article></body>";
    let page = extract_str(html);
    assert_eq!(page.blocks, vec![Block::Paragraph("One.".into()), Block::Paragraph("Two.".into())]);
    assert_eq!(page.title, "");
}

#[test]
fn links_are_absolute_http_without_fragments_and_deduplicated() {
    let html = Html::parse_document(PAGE);
    let base = Url::parse("https://blog.example.com/blog/post/").unwrap();
    let got: Vec<String> = links(&html, &base).into_iter().map(String::from).collect();
    assert_eq!(
        got,
        vec![
            "https://blog.example.com/",
            "https://blog.example.com/about",
            "https://blog.example.com/blog/",
            "https://blog.example.com/blog/post/notes.html",
            "https://twitter.com/share",
        ]
    );
}

#[test]
fn a_base_element_changes_what_relative_links_mean() {
    let html = Html::parse_document(
        r#"<head><base href="https://cdn.example.org/docs/"></head><body><a href="a.html">a</a>
           <a href="javascript:alert(1)">js</a><a href="//other.example/x#y">x</a><a href="ftp://f/">f</a></body>"#,
    );
    let base = Url::parse("https://example.com/").unwrap();
    let got: Vec<String> = links(&html, &base).into_iter().map(String::from).collect();
    assert_eq!(got, vec!["https://cdn.example.org/docs/a.html", "https://other.example/x"]);
}
