//! Rendering: GFM features, highlighting, and what a hostile model may write.

use super::*;

/// Model output meant to run script in the reader's browser, every way we know of.
pub const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div onmouseover=\"alert(1)\">hover</div>",
    "![x](https://evil.example/pixel.png)",
    "```\" onmouseover=\"alert(1)\nbody\n```",
    "```rust\"><script>alert(1)</script>\nfn main() {}\n```",
    "<style>body{display:none}</style>",
    "<form action=https://evil.example><input name=q></form>",
];

/// Why `html` could run something or load something from elsewhere, if it could.
fn executable(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_fragment(html);
    let banned = ["script", "svg", "iframe", "img", "style", "form", "object", "embed", "link", "meta", "base"];
    for el in doc.root_element().descendants().filter_map(scraper::ElementRef::wrap) {
        let name = el.value().name();
        if banned.contains(&name) {
            return Some(format!("a <{name}> element"));
        }
        for (attr, value) in el.value().attrs() {
            let url = matches!(attr, "href" | "src" | "action" | "formaction" | "xlink:href");
            let safe_url = ["http://", "https://", "mailto:"].iter().any(|s| value.to_ascii_lowercase().starts_with(s));
            if attr.starts_with("on") || attr == "style" || (url && !safe_url) {
                return Some(format!("{attr}={value:?} on <{name}>"));
            }
        }
    }
    None
}

#[test]
fn hostile_markdown_renders_as_text_or_inert_markup() {
    // The check itself sees what it looks for.
    for bad in ["<p onclick=\"x()\">a</p>", "<a href=\"javascript:x()\">a</a>", "<img src=\"https://a.example/i.png\">"]
    {
        assert!(executable(bad).is_some(), "{bad}");
    }
    for payload in HOSTILE {
        let html = to_html(payload);
        assert_eq!(executable(&html), None, "{payload:?} gave {html}");
    }
    // Raw HTML is shown as text, not dropped.
    assert!(to_html("<script>alert(1)</script>").contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // An image is a link to it, with the reader's rel.
    let image = to_html("![the chart](https://example.com/chart.png)");
    assert!(
        image.contains("<a href=\"https://example.com/chart.png\" rel=\"noopener noreferrer nofollow\">the chart</a>"),
        "{image}"
    );
}

#[test]
fn gfm_tables_task_lists_strikethrough_and_links_render() {
    let html =
        to_html("| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\n~~old~~ [site](https://example.com)");
    for part in ["<table>", "<th>a</th>", "<td>2</td>", "type=\"checkbox\"", "checked", "<del>old</del>"] {
        assert!(html.contains(part), "{part} missing from {html}");
    }
    assert!(html.contains("<a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">site</a>"), "{html}");
}

#[test]
fn code_is_highlighted_with_classes_and_a_copy_button_and_no_inline_style() {
    let html = to_html("```rust\nfn main() { let x = 1; }\n```");
    assert!(html.contains("<span class=\"hl-storage hl-type hl-function hl-rust\">fn</span>"), "{html}");
    assert!(html.contains("<span class=\"code-lang\">rust</span>"), "{html}");
    assert!(html.contains("<button type=\"button\" class=\"copy-code\">Copy</button>"), "{html}");
    assert!(!html.contains("style="));
    // An unknown language is shown escaped, unhighlighted.
    let plain = to_html("```nosuchlang\na < b\n```");
    assert!(plain.contains("<code>a &lt; b\n</code>"), "{plain}");
    assert!(stylesheet().contains(".hl-keyword") && stylesheet().contains("prefers-color-scheme: dark"));
    // The dark rules apply when the page picks dark, or follows a dark system.
    assert!(stylesheet().contains(":root[data-theme=\"dark\"] .hl-code {"), "{}", stylesheet());
    assert!(stylesheet().contains(":root:not([data-theme=\"light\"]) .hl-code {"));
    assert!(
        !stylesheet().lines().any(|l| l.starts_with(":root") && l.contains(", .")),
        "every selector of a rule is scoped"
    );
}

#[test]
fn a_streamed_reply_re_renders_only_its_last_block_and_ends_as_a_saved_one_renders() {
    let reply =
        "# Title\n\nSome *text*.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('hi')\nx = 2\n```\n\nThe end.";
    let mut live = LiveBlocks::new();
    let mut shown: Vec<String> = Vec::new();
    let mut longest_update = 0;
    let mut end = 0;
    while end < reply.len() {
        end = (end + 3).min(reply.len());
        while !reply.is_char_boundary(end) {
            end += 1;
        }
        let update = if end == reply.len() { live.finish(reply) } else { live.update(&reply[..end]) };
        assert!(update.from <= shown.len(), "blocks are replaced from the end only");
        longest_update = longest_update.max(update.html.len());
        shown.truncate(update.from);
        shown.extend(update.html);
    }
    assert_eq!(shown, blocks(reply, None), "live and saved agree");
    assert_eq!(shown.len(), 5);
    assert!(longest_update <= 2, "at most a finished block and the open one per update");
    // Half-written syntax renders sensibly: an open fence is code, a header row is text so far.
    assert!(blocks("```rust\nfn main() {", None)[0].contains("<pre class=\"code\">"));
    assert!(blocks("| a | b |", None)[0].starts_with("<p>"));
    let mut live = LiveBlocks::new();
    let row_begun = live.update("| a | b |\n|---|---|\n|");
    assert_eq!(row_begun.html.len(), 1, "a half-written row does not end the table: {row_begun:?}");
}

#[test]
fn model_text_cannot_place_a_code_block_slot_of_its_own() {
    let html = to_html("a \u{E000}0\u{E000} b \u{E000}7\u{E000}\n\n```\nx\n```");
    assert_eq!(html.matches("class=\"code-block\"").count(), 1, "{html}");
    assert!(html.starts_with("<p>a 0 b 7</p>"), "{html}");
}

#[test]
fn a_grounded_replys_markers_link_to_its_sources_outside_code_only() {
    let cites = Citations::new("0193-ab", vec![1, 2]);
    let html = blocks("Refunds take **14 days** [1][2]. Not [3].\n\n```\nlet a = b[1];\n```", cites).concat();
    assert!(html.contains("<strong>14 days</strong> <a class=\"cite\" href=\"#src-0193-ab-1\" data-testid=\"cite\">[1]</a><a class=\"cite\" href=\"#src-0193-ab-2\""), "{html}");
    assert!(html.contains("Not [3].") && html.contains("b[1];"), "{html}");
    assert_eq!(html.matches("class=\"cite\"").count(), 2);
}
