//! The allow-list the Markdown's HTML passes through (code blocks, ours alone, are added after it:
//! see `highlight.rs`).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.rm_tags(["img"])
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true)
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // A task list's box, shown, never a form control that does something.
            ("input", "type") => (value == "checkbox").then_some(Cow::Borrowed(value)),
            _ => Some(Cow::Borrowed(value)),
        });
    b
});

/// `html` with everything outside the allow-list removed.
pub(super) fn clean(html: &str) -> String {
    CLEANER.clean(html).to_string()
}
