//! The pipelines Web+ ships as starting points (`templates/*.json`, format 1). Their LLM nodes
//! name the model `default`, which becomes the server's default model when they are listed.

use crate::domain::pipeline::{
    Definition, Edge, FORMAT_VERSION, Field, Node, NodeKind, OnError, Port, PortRef, PortType, Position, Retry,
};

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

/// What "New pipeline" starts from: an Input with one text field passed to an Output.
pub fn blank() -> Definition {
    let port = |name: &str| Port { name: name.into(), ty: PortType::Text, required: true };
    let node = |id: &str, x: f64, kind| Node {
        id: id.into(),
        label: None,
        position: Position { x, y: 120.0 },
        kind,
        timeout_ms: None,
        retry: Retry::default(),
        on_error: OnError::Fail,
    };
    let end = |node: &str, port: &str| PortRef { node: node.into(), port: port.into() };
    Definition {
        format: FORMAT_VERSION,
        name: "New pipeline".into(),
        description: String::new(),
        publish_as: None,
        nodes: vec![
            node(
                "input",
                40.0,
                NodeKind::Input {
                    fields: vec![Field { name: "text".into(), ty: PortType::Text, required: true, default: None }],
                },
            ),
            node("output", 520.0, NodeKind::Output { results: vec![port("result")] }),
        ],
        edges: vec![Edge { from: end("input", "text"), to: end("output", "result") }],
    }
}

/// How many templates ship (for the test that reads them all).
#[cfg(test)]
pub const COUNT: usize = FILES.len();
