//! The builder's edits that need no signals: a new node of each kind, fresh ids, the port lists'
//! text form, copy and paste, and the automatic layout. Tested on their own.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use webplus::domain::pipeline::{Edge, Node, Port, PortRef, PortType, Position, valid_port_name};

use super::geometry::{NODE_WIDTH, node_height};

/// The palette: each kind's JSON name and what the builder calls it.
pub const KINDS: [(&str, &str); 12] = [
    ("input", "Input"),
    ("output", "Output"),
    ("llm", "LLM"),
    ("template", "Template"),
    ("condition", "Condition"),
    ("switch", "Switch"),
    ("code", "Code"),
    ("retrieve", "Knowledge"),
    ("http", "HTTP request"),
    ("pipeline", "Pipeline"),
    ("loop", "Loop"),
    ("iterate", "Iterate"),
];

/// A node of `kind` as the palette drops it: one text input and output where the kind has
/// them, on `model` for LLM nodes. `None` for an unknown kind.
pub fn new_node(kind: &str, id: &str, at: Position, model: &str) -> Option<Node> {
    let text = json!([{"name": "text", "type": "text"}]);
    let body = |given: &str, ty: &str, result: &str, rty: &str| {
        json!({
            "nodes": [
                {"id": "in", "type": "input", "position": {"x": 0, "y": 60}, "fields": [{"name": given, "type": ty}]},
                {"id": "out", "type": "output", "position": {"x": 300, "y": 60},
                 "results": [{"name": result, "type": rty}]}
            ],
            "edges": [{"from": {"node": "in", "port": given}, "to": {"node": "out", "port": result}}]
        })
    };
    let mut v = match kind {
        "input" => json!({"fields": text}),
        "output" => json!({"results": [{"name": "result", "type": "text"}]}),
        "llm" => json!({"model": model, "prompt": "{{ text }}", "inputs": text}),
        "template" => json!({"template": "{{ text }}", "inputs": text}),
        "condition" => json!({"expression": "text != \"\"", "inputs": text}),
        "switch" => json!({"cases": [{"name": "yes", "expression": "text == \"yes\""}], "inputs": text}),
        "code" => json!({"script": "text.len()", "inputs": text, "outputs": [{"name": "length", "type": "number"}]}),
        "retrieve" => json!({"knowledge_bases": [], "query": "{{ text }}", "inputs": text, "k": 5}),
        // The URL from the input: a written-out host is checked against the admin's list at once.
        "http" => json!({"method": "GET", "url": "{{ text }}", "inputs": text}),
        // Picking the pipeline in its settings sets its ports.
        "pipeline" => json!({"pipeline": "", "inputs": [], "outputs": []}),
        "loop" => json!({
            "inputs": text, "outputs": text, "body": body("text", "text", "text", "text"),
            "until": "text | length > 100", "max_iterations": 3
        }),
        "iterate" => json!({
            "inputs": [{"name": "items", "type": "list"}], "outputs": [{"name": "results", "type": "list"}],
            "body": body("item", "json", "results", "json"), "concurrency": 4
        }),
        _ => return None,
    };
    v["type"] = json!(kind);
    v["id"] = json!(id);
    v["position"] = json!({"x": at.x, "y": at.y});
    serde_json::from_value(v).ok()
}

/// `base`, or `base_2`, `base_3`… whichever is not taken.
pub fn unique_id(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (2..).map(|n| format!("{base}_{n}")).find(|id| !taken.contains(id)).unwrap_or_else(|| base.to_owned())
}

/// Ports as the settings panel shows them: a line each, `name: type`, `name?: type` when optional.
pub fn format_ports(ports: &[Port]) -> String {
    ports
        .iter()
        .map(|p| format!("{}{}: {}", p.name, if p.required { "" } else { "?" }, p.ty.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The ports written by [`format_ports`], or what is wrong with a line.
pub fn parse_ports(text: &str) -> Result<Vec<Port>, String> {
    let mut ports: Vec<Port> = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (name, ty) = line.split_once(':').map_or((line.trim(), "text"), |(n, t)| (n.trim(), t.trim()));
        let (name, required) = name.strip_suffix('?').map_or((name, true), |n| (n.trim_end(), false));
        let ty = match ty {
            "text" => PortType::Text,
            "number" => PortType::Number,
            "boolean" => PortType::Boolean,
            "json" => PortType::Json,
            "list" => PortType::List,
            other => {
                return Err(format!(
                    "line {}: {other:?} is not a type; use text, number, boolean, json or list",
                    i + 1
                ));
            }
        };
        if !valid_port_name(name) {
            return Err(format!(
                "line {}: {name:?} is not a port name; use letters, digits and _, starting with a letter",
                i + 1
            ));
        }
        if ports.iter().any(|p| p.name == name) {
            return Err(format!("line {}: {name:?} is listed twice", i + 1));
        }
        ports.push(Port { name: name.to_owned(), ty, required });
    }
    Ok(ports)
}

/// Copies of `nodes` with fresh ids (not in `taken`), moved by `offset`, and the edges of
/// `edges` between them, renamed to match.
pub fn paste(nodes: &[Node], edges: &[Edge], taken: &HashSet<String>, offset: f64) -> (Vec<Node>, Vec<Edge>) {
    let mut taken = taken.clone();
    let mut renamed = HashMap::new();
    let copies = nodes
        .iter()
        .map(|n| {
            let id = unique_id(&n.id, &taken);
            taken.insert(id.clone());
            renamed.insert(n.id.clone(), id.clone());
            let position = Position { x: n.position.x + offset, y: n.position.y + offset };
            Node { id, position, ..n.clone() }
        })
        .collect();
    let end = |r: &PortRef| renamed.get(&r.node).map(|node| PortRef { node: node.clone(), port: r.port.clone() });
    let edges = edges.iter().filter_map(|e| Some(Edge { from: end(&e.from)?, to: end(&e.to)? })).collect();
    (copies, edges)
}

/// Positions for a left-to-right layout: each node one column right of the furthest node it
/// takes from (cycles broken where found), stacked in its column in its previous top-to-bottom
/// order.
pub fn layout(nodes: &[Node], edges: &[Edge]) -> HashMap<String, Position> {
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let mut from: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for e in edges {
        if let (Some(&a), Some(&b)) = (index.get(e.from.node.as_str()), index.get(e.to.node.as_str())) {
            from[b].push(a);
        }
    }
    // Longest path from a source, by depth-first search (a node on the current path is a cycle).
    fn column(i: usize, from: &[Vec<usize>], memo: &mut [Option<usize>], on_path: &mut [bool]) -> usize {
        if let Some(c) = memo[i] {
            return c;
        }
        on_path[i] = true;
        let mut c = 0;
        for &a in &from[i] {
            if !on_path[a] {
                c = c.max(column(a, from, memo, on_path) + 1);
            }
        }
        on_path[i] = false;
        memo[i] = Some(c);
        c
    }
    let mut memo = vec![None; nodes.len()];
    let mut on_path = vec![false; nodes.len()];
    let mut columns: Vec<Vec<usize>> = Vec::new();
    for i in 0..nodes.len() {
        let c = column(i, &from, &mut memo, &mut on_path);
        if columns.len() <= c {
            columns.resize(c + 1, Vec::new());
        }
        columns[c].push(i);
    }
    let mut out = HashMap::new();
    for (c, col) in columns.iter_mut().enumerate() {
        col.sort_by(|&a, &b| nodes[a].position.y.total_cmp(&nodes[b].position.y));
        let mut y = 0.0;
        for &i in col.iter() {
            out.insert(nodes[i].id.clone(), Position { x: c as f64 * (NODE_WIDTH + 80.0), y });
            y += node_height(&nodes[i]) + 40.0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use webplus::domain::pipeline::{AnyModel, Definition, FORMAT_VERSION, validate};

    use super::*;

    fn edge(a: &str, ap: &str, b: &str, bp: &str) -> Edge {
        Edge { from: PortRef { node: a.into(), port: ap.into() }, to: PortRef { node: b.into(), port: bp.into() } }
    }

    #[test]
    fn every_kind_of_the_palette_makes_a_node_that_validates() {
        for (kind, _) in KINDS {
            let node = new_node(kind, "n", Position::default(), "m").unwrap_or_else(|| panic!("{kind}"));
            assert_eq!(node.kind_name(), kind);
            let def = Definition {
                format: FORMAT_VERSION,
                name: "p".into(),
                description: String::new(),
                publish_as: None,
                nodes: vec![node],
                edges: vec![],
            };
            // Alone, a node only lacks connections (and an Output, a Retrieve its knowledge base
            // and a Pipeline node the pipeline it runs): nothing about its own settings.
            for p in validate(&def, &AnyModel) {
                let m = &p.message;
                let expected = ["connect", "Output", "knowledge base", "pick the pipeline to run"];
                assert!(expected.iter().any(|e| m.contains(e)), "{kind}: {p}");
            }
        }
        assert!(new_node("shell", "n", Position::default(), "m").is_none());
    }

    #[test]
    fn ports_read_back_as_written_and_bad_lines_say_which() {
        let ports = parse_ports("code: text\n\n language?: text \nn: number").unwrap();
        assert_eq!(format_ports(&ports), "code: text\nlanguage?: text\nn: number");
        assert_eq!(parse_ports("a\nb: list").unwrap()[0].ty, PortType::Text);
        assert!(parse_ports("a: string").unwrap_err().starts_with("line 1: \"string\" is not a type"));
        assert!(parse_ports("a: text\n2x: text").unwrap_err().starts_with("line 2:"));
        assert!(parse_ports("a: text\na: number").unwrap_err().contains("twice"));
    }

    #[test]
    fn paste_renames_the_copies_and_keeps_only_their_own_edges() {
        let a = new_node("template", "a", Position::default(), "m").unwrap();
        let b = new_node("template", "b", Position { x: 300.0, y: 0.0 }, "m").unwrap();
        let edges = [edge("a", "text", "b", "text"), edge("x", "text", "a", "text")];
        let taken: HashSet<String> = ["a", "b", "x", "a_2"].map(String::from).into();
        let (nodes, edges) = paste(&[a, b], &edges, &taken, 30.0);
        assert_eq!(nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), ["a_3", "b_2"]);
        assert_eq!(nodes[1].position, Position { x: 330.0, y: 30.0 });
        assert_eq!(edges, [edge("a_3", "text", "b_2", "text")]);
    }

    #[test]
    fn layout_puts_each_node_right_of_what_it_takes_from_even_with_a_cycle() {
        let n = |id: &str| new_node("template", id, Position::default(), "m").unwrap();
        let nodes = [n("c"), n("a"), n("b"), n("d")];
        let edges = [edge("a", "text", "b", "text"), edge("b", "text", "c", "text"), edge("a", "text", "c", "text")];
        let at = layout(&nodes, &edges);
        assert!(at["a"].x < at["b"].x && at["b"].x < at["c"].x);
        assert_eq!(at["d"].x, at["a"].x);
        assert_ne!(at["d"].y, at["a"].y);
        let cycle = [edge("a", "text", "b", "text"), edge("b", "text", "a", "text")];
        let at = layout(&nodes[1..3], &cycle);
        assert_ne!(at["a"].x, at["b"].x);
    }
}
