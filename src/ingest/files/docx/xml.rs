//! WordprocessingML reading helpers that the body and the style table share.

use std::borrow::Cow;

use quick_xml::events::{BytesRef, BytesStart};
use quick_xml::name::{Namespace, ResolveResult};

pub(super) const W_NS: &[&str] = &[
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
];

/// Whether an event's element is in the WordprocessingML namespace.
pub(super) fn is_w(ns: &ResolveResult) -> bool {
    matches!(ns, ResolveResult::Bound(Namespace(ns)) if W_NS.contains(ns))
}

/// The `w:val` (any prefix) attribute of an element.
pub(super) fn val(e: &BytesStart) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == "val").map(|a| a.value.into_owned())
}

/// An entity or character reference as text (`&amp;` → `&`, `&#x2013;` → `–`); unknown entities are
/// dropped, as XML without a DTD cannot define them.
pub(super) fn resolve_ref(r: &BytesRef) -> Cow<'static, str> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Cow::Owned(c.to_string());
    }
    Cow::Borrowed(quick_xml::escape::resolve_predefined_entity(r).unwrap_or(""))
}
