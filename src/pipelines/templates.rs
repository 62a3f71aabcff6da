//! The pipelines Web+ ships as starting points (`templates/*.json`, format 1). Their LLM nodes
//! name the model `default`, which becomes the server's default model when they are listed.

use crate::domain::pipeline::{Definition, Node, NodeKind};

/// A template: an id (its file's name) and its definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub id: &'static str,
    pub definition: Definition,
}

const FILES: [(&str, &str); 5] = [
    ("spec-code-review", include_str!("templates/spec-code-review.json")),
    ("write-tests", include_str!("templates/write-tests.json")),
    ("explain-document", include_str!("templates/explain-document.json")),
    ("kb-answer", include_str!("templates/kb-answer.json")),
    ("summarise-each", include_str!("templates/summarise-each.json")),
];

/// The model name in the files that stands for the server's default model.
const DEFAULT: &str = "default";

fn use_model(nodes: &mut [Node], model: &str) {
    for node in nodes {
        match &mut node.kind {
            NodeKind::Llm { model: m, .. } if m == DEFAULT => *m = model.to_owned(),
            NodeKind::Loop { body, .. } | NodeKind::Iterate { body, .. } => use_model(&mut body.nodes, model),
            _ => {}
        }
    }
}

/// Every template, its LLM nodes on `default_model`. The files are compiled in and a test reads
/// each one, so a template that does not parse is a build's failing test, never a user's error.
pub fn templates(default_model: &str) -> Vec<Template> {
    FILES
        .iter()
        .filter_map(|(id, text)| match serde_json::from_str::<Definition>(text) {
            Ok(mut definition) => {
                use_model(&mut definition.nodes, default_model);
                Some(Template { id, definition })
            }
            Err(e) => {
                tracing::error!(template = id, error = %e, "a bundled pipeline template does not parse");
                None
            }
        })
        .collect()
}

/// How many templates ship (for the test that reads them all).
#[cfg(test)]
pub const COUNT: usize = FILES.len();
