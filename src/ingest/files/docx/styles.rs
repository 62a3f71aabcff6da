//! The style table and core properties of a docx.
//!
//! A paragraph names its style by id, and ids are localised ("berschrift1" in a German Word), so
//! headings are recognised by the style's built-in name ("heading 1", "Title") or its outline
//! level, following `basedOn` for custom styles derived from a heading.

use std::collections::HashMap;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};

use super::xml::{is_w, resolve_ref, val};

const DC_NS: &str = "http://purl.org/dc/elements/1.1/";

/// What a paragraph style means for structure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Style {
    name: String,
    based_on: Option<String>,
    outline: Option<u8>,
    numbered: bool,
}

/// Paragraph styles by id.
#[derive(Debug, Default)]
pub(crate) struct Styles(HashMap<String, Style>);

impl Styles {
    /// The heading level (1–6) of a style, if it is a heading or a title.
    pub(super) fn heading(&self, id: &str) -> Option<u8> {
        self.walk(id, |style| {
            let name = style.name.to_ascii_lowercase();
            if name == "title" {
                return Some(1);
            }
            let level = name.strip_prefix("heading ").and_then(|n| n.trim().parse::<u8>().ok());
            level.or(style.outline).map(|l| l.clamp(1, 6))
        })
        .or_else(|| by_id(id))
    }

    /// Whether a style makes its paragraphs list items (numbering in the style, or a List style).
    pub(super) fn list(&self, id: &str) -> bool {
        self.walk(id, |s| (s.numbered || s.name.to_ascii_lowercase().starts_with("list ")).then_some(())).is_some()
            || id.starts_with("List")
    }

    /// The first answer along the `basedOn` chain (bounded: the chain may loop).
    fn walk<T>(&self, id: &str, answer: impl Fn(&Style) -> Option<T>) -> Option<T> {
        let mut current = self.0.get(id);
        for _ in 0..10 {
            let style = current?;
            if let Some(found) = answer(style) {
                return Some(found);
            }
            current = self.0.get(style.based_on.as_deref()?);
        }
        None
    }
}

/// Built-in ids, for documents without a style table.
fn by_id(id: &str) -> Option<u8> {
    if id == "Title" {
        return Some(1);
    }
    id.strip_prefix("Heading")?.parse::<u8>().ok().map(|l| l.clamp(1, 6))
}

/// Parses `word/styles.xml`; a damaged style table only costs heading detection.
pub(crate) fn parse(xml: &str) -> Styles {
    let mut styles = HashMap::new();
    let mut reader = NsReader::from_str(xml);
    let mut current: Option<(String, Style)> = None;
    while let Ok((ns, event)) = reader.read_resolved_event() {
        let w = is_w(&ns);
        match event {
            Event::Start(e) | Event::Empty(e) if w => match e.local_name().as_ref() {
                "style" => {
                    let attr = |n: &str| {
                        e.attributes()
                            .flatten()
                            .find(|a| a.key.local_name().as_ref() == n)
                            .map(|a| a.value.into_owned())
                    };
                    current = match (attr("type").as_deref(), attr("styleId")) {
                        (Some("paragraph"), Some(id)) => Some((id, Style::default())),
                        _ => None,
                    };
                }
                "name" => current.iter_mut().for_each(|(_, s)| s.name = val(&e).unwrap_or_default()),
                "basedOn" => current.iter_mut().for_each(|(_, s)| s.based_on = val(&e)),
                "outlineLvl" => {
                    let level = val(&e).and_then(|v| v.parse::<u8>().ok()).filter(|l| *l < 9);
                    current.iter_mut().for_each(|(_, s)| s.outline = level.map(|l| l + 1));
                }
                "numPr" => current.iter_mut().for_each(|(_, s)| s.numbered = true),
                _ => {}
            },
            Event::End(e) if w && e.local_name().as_ref() == "style" => {
                if let Some((id, style)) = current.take() {
                    styles.insert(id, style);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Styles(styles)
}

/// `dc:title` from `docProps/core.xml`, if present and not blank.
pub(crate) fn core_title(xml: &str) -> Option<String> {
    let mut reader = NsReader::from_str(xml);
    let mut inside = false;
    let mut title = String::new();
    while let Ok((ns, event)) = reader.read_resolved_event() {
        let dc = matches!(ns, ResolveResult::Bound(Namespace(DC_NS)));
        match event {
            Event::Start(e) if dc && e.local_name().as_ref() == "title" => inside = true,
            Event::End(e) if dc && e.local_name().as_ref() == "title" => break,
            Event::Text(t) if inside => title.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if inside => title.push_str(&resolve_ref(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    let title = crate::ingest::chunk::collapse(&title);
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
      <w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>
      <w:style w:type="paragraph" w:styleId="Chapter"><w:name w:val="Chapter"/><w:basedOn w:val="berschrift1"/></w:style>
      <w:style w:type="paragraph" w:styleId="Outlined"><w:name w:val="Outlined"/><w:pPr><w:outlineLvl w:val="2"/></w:pPr></w:style>
      <w:style w:type="paragraph" w:styleId="Steps"><w:name w:val="Steps"/><w:pPr><w:numPr><w:numId w:val="3"/></w:numPr></w:pPr></w:style>
      <w:style w:type="paragraph" w:styleId="LoopA"><w:name w:val="LoopA"/><w:basedOn w:val="LoopB"/></w:style>
      <w:style w:type="paragraph" w:styleId="LoopB"><w:name w:val="LoopB"/><w:basedOn w:val="LoopA"/></w:style>
    </w:styles>"#;

    #[test]
    fn headings_are_found_by_built_in_name_outline_level_or_inheritance_not_by_localised_id() {
        let styles = parse(XML);
        assert_eq!(styles.heading("berschrift1"), Some(1));
        assert_eq!(styles.heading("Chapter"), Some(1));
        assert_eq!(styles.heading("Outlined"), Some(3));
        assert_eq!(styles.heading("Steps"), None);
        assert_eq!(styles.heading("LoopA"), None, "a basedOn loop ends");
        assert_eq!(Styles::default().heading("Heading2"), Some(2));
    }

    #[test]
    fn a_style_with_numbering_makes_list_items() {
        let styles = parse(XML);
        assert!(styles.list("Steps"));
        assert!(!styles.list("Chapter"));
    }

    #[test]
    fn the_core_title_is_read_with_its_entities() {
        let xml = r#"<cp:coreProperties xmlns:cp="x" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <dc:title>Tides &amp; Currents</dc:title></cp:coreProperties>"#;
        assert_eq!(core_title(xml).as_deref(), Some("Tides & Currents"));
        assert_eq!(core_title(r#"<c xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title/></c>"#), None);
    }
}
