//! The allow-list every rendered block passes through last.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

/// Classes we emit ourselves; syntect's all start with `hl-`.
const OWN_CLASSES: &[&str] = &["code-block", "code-head", "code-lang", "copy-code", "code"];

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.rm_tags(["img"])
        .add_tags(["input", "button", "div", "span"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("button", ["type", "class"])
        .add_tag_attributes("div", ["class"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("pre", ["class"])
        .add_tag_attributes("code", ["class"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true)
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            (_, "class") => {
                let ok = value.split_whitespace().all(|c| c.starts_with("hl-") || OWN_CLASSES.contains(&c));
                ok.then_some(Cow::Borrowed(value))
            }
            // A task list's box, shown, never a form control that does something.
            ("input", "type") => (value == "checkbox").then_some(Cow::Borrowed(value)),
            ("button", "type") => Some(Cow::Borrowed("button")),
            _ => Some(Cow::Borrowed(value)),
        });
    b
});

/// `html` with everything outside the allow-list removed.
pub(super) fn clean(html: &str) -> String {
    CLEANER.clean(html).to_string()
}
