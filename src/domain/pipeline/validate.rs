//! Checks a definition before it is saved or run (the server) and while it is built (the
//! browser): every problem found, each naming its node and port.

use std::collections::{HashMap, HashSet};

use super::format::{Definition, FORMAT_VERSION, Node, NodeKind, OnError, Port};

/// Nodes one pipeline may have.
pub const MAX_NODES: usize = 1000;
/// Edges one pipeline may have.
pub const MAX_EDGES: usize = 4000;
/// Retries one node may ask for, and the longest first wait.
pub const MAX_RETRIES: u32 = 10;
pub const MAX_BACKOFF_MS: u64 = 60_000;
/// The longest timeout one node may set (an hour).
pub const MAX_TIMEOUT_MS: u64 = 3_600_000;
const MAX_NAME_CHARS: usize = 200;
const MAX_ID_CHARS: usize = 64;
const MAX_TEXT_CHARS: usize = 100_000;

/// What the definition refers to outside itself; the server answers from the catalog.
pub trait Known {
    /// Whether the user may use this chat model.
    fn model(&self, id: &str) -> bool;
}

/// Every model is known (for checks that cannot see the catalog).
pub struct AnyModel;

impl Known for AnyModel {
    fn model(&self, _: &str) -> bool {
        true
    }
}

/// One thing wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.node, &self.port) {
            (Some(n), Some(p)) => write!(f, "node {n:?}, port {p:?}: {}", self.message),
            (Some(n), None) => write!(f, "node {n:?}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

struct Found(Vec<Problem>);

impl Found {
    fn pipeline(&mut self, message: impl Into<String>) {
        self.0.push(Problem { node: None, port: None, message: message.into() });
    }
    fn node(&mut self, node: &str, message: impl Into<String>) {
        self.0.push(Problem { node: Some(node.to_owned()), port: None, message: message.into() });
    }
    fn port(&mut self, node: &str, port: &str, message: impl Into<String>) {
        self.0.push(Problem { node: Some(node.to_owned()), port: Some(port.to_owned()), message: message.into() });
    }
}

/// Node ids: 1 to 64 of letters, digits, `_` and `-`.
pub fn valid_node_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Port names are names templates and scripts can use: a letter or `_`, then letters, digits, `_`.
pub fn valid_port_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && name.len() <= MAX_ID_CHARS
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Every problem of `def`; empty when it can be saved and run.
pub fn validate(def: &Definition, known: &dyn Known) -> Vec<Problem> {
    let mut found = Found(Vec::new());
    if def.format != FORMAT_VERSION {
        found.pipeline(format!(
            "format {} is not one this server reads; export the pipeline again as format {FORMAT_VERSION}",
            def.format
        ));
    }
    if def.name.trim().is_empty() || def.name.chars().count() > MAX_NAME_CHARS {
        found.pipeline(format!("give the pipeline a name of 1 to {MAX_NAME_CHARS} characters"));
    }
    if def.nodes.len() > MAX_NODES {
        found.pipeline(format!("a pipeline may have at most {MAX_NODES} nodes; this one has {}", def.nodes.len()));
        return found.0;
    }
    if def.edges.len() > MAX_EDGES {
        found.pipeline(format!("a pipeline may have at most {MAX_EDGES} edges; this one has {}", def.edges.len()));
        return found.0;
    }
    let mut by_id: HashMap<&str, &Node> = HashMap::new();
    for node in &def.nodes {
        if !valid_node_id(&node.id) {
            found.node(&node.id, "use an id of 1 to 64 letters, digits, '_' or '-'");
        }
        if by_id.insert(&node.id, node).is_some() {
            found.node(&node.id, "two nodes have this id; give each its own");
        }
        check_node(node, known, &mut found);
    }
    check_counts(def, &mut found);
    check_edges(def, &by_id, &mut found);
    check_cycles(def, &mut found);
    found.0
}

fn check_counts(def: &Definition, found: &mut Found) {
    let inputs = def.nodes.iter().filter(|n| matches!(n.kind, NodeKind::Input { .. })).count();
    if inputs > 1 {
        found.pipeline("a pipeline has at most one Input node; put every field in one");
    }
    let outputs: Vec<&Node> = def.nodes.iter().filter(|n| matches!(n.kind, NodeKind::Output { .. })).collect();
    if outputs.is_empty() {
        found.pipeline("add an Output node: a run's results are what reaches it");
    }
    let mut results = HashSet::new();
    for node in outputs {
        for port in node.inputs() {
            if !results.insert(port.name.clone()) {
                found.port(&node.id, &port.name, "another Output node has a result of this name; rename one");
            }
        }
    }
}

fn check_ports(node: &Node, what: &str, ports: &[Port], found: &mut Found) {
    let mut seen = HashSet::new();
    for port in ports {
        if !valid_port_name(&port.name) {
            found.port(&node.id, &port.name, "use a name of a letter or '_' then letters, digits or '_'");
        }
        if !seen.insert(port.name.as_str()) {
            found.port(&node.id, &port.name, format!("two {what} have this name; give each its own"));
        }
    }
}

fn check_text(node: &Node, field: &str, text: &str, found: &mut Found) {
    if text.trim().is_empty() {
        found.node(&node.id, format!("{field} is empty; write one"));
    } else if text.chars().count() > MAX_TEXT_CHARS {
        found.node(&node.id, format!("{field} is longer than {MAX_TEXT_CHARS} characters"));
    }
}

fn check_node(node: &Node, known: &dyn Known, found: &mut Found) {
    check_ports(node, "inputs", &node.inputs(), found);
    check_ports(node, "outputs", &node.outputs(), found);
    match &node.kind {
        NodeKind::Input { fields } => {
            for f in fields {
                if let Some(d) = &f.default
                    && !f.ty.holds(d)
                {
                    found.port(&node.id, &f.name, format!("the default is not a {} value", f.ty.as_str()));
                }
            }
        }
        NodeKind::Output { results } => {
            if results.is_empty() {
                found.node(&node.id, "an Output node needs at least one result");
            }
        }
        NodeKind::Llm { model, prompt, params, .. } => {
            if model.trim().is_empty() {
                found.node(&node.id, "pick a model");
            } else if !known.model(model) {
                found.node(&node.id, format!("the model {model:?} is not one you can use; pick one from the list"));
            }
            check_text(node, "the prompt", prompt, found);
            if params.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
                found.node(&node.id, "temperature: use a number from 0 to 2");
            }
            if params.top_p.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
                found.node(&node.id, "top_p: use a number above 0 and at most 1");
            }
            if params.max_tokens == Some(0) {
                found.node(&node.id, "max_tokens: use a whole number of at least 1");
            }
        }
        NodeKind::Template { template, .. } => check_text(node, "the template", template, found),
        NodeKind::Condition { expression, inputs } => {
            check_text(node, "the expression", expression, found);
            if inputs.is_empty() {
                found.node(&node.id, "a Condition needs an input: its first input goes on to the side taken");
            }
        }
        NodeKind::Switch { cases, inputs } => {
            if cases.is_empty() {
                found.node(&node.id, "a Switch needs at least one case");
            }
            for case in cases {
                if case.name == "default" {
                    found.port(&node.id, &case.name, "\"default\" is the output when no case holds; rename the case");
                }
                check_text(node, &format!("case {:?}'s expression", case.name), &case.expression, found);
            }
            if inputs.is_empty() {
                found.node(&node.id, "a Switch needs an input: its first input goes on to the case taken");
            }
        }
        NodeKind::Code { script, outputs, .. } => {
            check_text(node, "the script", script, found);
            if outputs.is_empty() {
                found.node(&node.id, "a Code node needs at least one output");
            }
        }
    }
    if node.timeout_ms.is_some_and(|t| t == 0 || t > MAX_TIMEOUT_MS) {
        found.node(&node.id, format!("timeout_ms: use 1 to {MAX_TIMEOUT_MS} milliseconds"));
    }
    if node.retry.max > MAX_RETRIES {
        found.node(&node.id, format!("retry.max: at most {MAX_RETRIES} retries"));
    }
    if node.retry.backoff_ms > MAX_BACKOFF_MS {
        found.node(&node.id, format!("retry.backoff_ms: at most {MAX_BACKOFF_MS} milliseconds"));
    }
    if let OnError::Default { outputs } = &node.on_error {
        let ports = node.outputs();
        for (name, value) in outputs {
            match ports.iter().find(|p| &p.name == name) {
                None => found.port(&node.id, name, "the error default names an output this node does not have"),
                Some(p) if !p.ty.holds(value) => {
                    found.port(&node.id, name, format!("the error default is not a {} value", p.ty.as_str()))
                }
                Some(_) => {}
            }
        }
        for p in &ports {
            if !outputs.contains_key(&p.name) {
                found.port(&node.id, &p.name, "the error policy \"default\" needs a value for every output");
            }
        }
    }
}

fn check_edges(def: &Definition, by_id: &HashMap<&str, &Node>, found: &mut Found) {
    let mut connected: HashSet<(&str, &str)> = HashSet::new();
    let mut seen = HashSet::new();
    for edge in &def.edges {
        if !seen.insert(edge) {
            found.port(
                &edge.to.node,
                &edge.to.port,
                format!("the edge from {}.{} is there twice", edge.from.node, edge.from.port),
            );
            continue;
        }
        let Some(from) = by_id.get(edge.from.node.as_str()) else {
            found.port(
                &edge.to.node,
                &edge.to.port,
                format!("an edge comes from node {:?}, which does not exist", edge.from.node),
            );
            continue;
        };
        let Some(to) = by_id.get(edge.to.node.as_str()) else {
            found.port(
                &edge.from.node,
                &edge.from.port,
                format!("an edge goes to node {:?}, which does not exist", edge.to.node),
            );
            continue;
        };
        let out = from.outputs().into_iter().find(|p| p.name == edge.from.port);
        let inp = to.inputs().into_iter().find(|p| p.name == edge.to.port);
        match (out, inp) {
            (None, _) => found.port(&from.id, &edge.from.port, "an edge starts at an output this node does not have"),
            (_, None) => found.port(&to.id, &edge.to.port, "an edge ends at an input this node does not have"),
            (Some(o), Some(i)) => {
                if !i.ty.accepts(o.ty) {
                    found.port(
                        &to.id,
                        &i.name,
                        format!("takes {} but {}.{} gives {}", i.ty.as_str(), from.id, o.name, o.ty.as_str()),
                    );
                }
                connected.insert((to.id.as_str(), edge.to.port.as_str()));
            }
        }
    }
    for node in &def.nodes {
        for port in node.inputs() {
            if port.required && !connected.contains(&(node.id.as_str(), port.name.as_str())) {
                found.port(&node.id, &port.name, "this input is required; connect an output to it");
            }
        }
    }
}

/// Nodes on a cycle: those in a strongly connected component of more than one node, or with an
/// edge to themselves (Tarjan's algorithm, iterative so a long chain cannot overflow the stack).
fn check_cycles(def: &Definition, found: &mut Found) {
    let index: HashMap<&str, usize> = def.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let n = def.nodes.len();
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut self_loop = vec![false; n];
    for e in &def.edges {
        if let (Some(&a), Some(&b)) = (index.get(e.from.node.as_str()), index.get(e.to.node.as_str())) {
            if a == b {
                self_loop[a] = true;
            }
            next[a].push(b);
        }
    }
    const UNSEEN: usize = usize::MAX;
    let (mut order, mut low, mut on_stack) = (vec![UNSEEN; n], vec![0; n], vec![false; n]);
    let (mut stack, mut counter) = (Vec::new(), 0);
    let mut on_cycle = vec![false; n];
    for root in 0..n {
        if order[root] != UNSEEN {
            continue;
        }
        // (node, index of the next edge to follow)
        let mut walk = vec![(root, 0)];
        order[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut edge)) = walk.last_mut() {
            if let Some(&w) = next[v].get(*edge) {
                *edge += 1;
                if order[w] == UNSEEN {
                    order[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    walk.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            walk.pop();
            if let Some(&(parent, _)) = walk.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == order[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || self_loop[v] {
                    component.into_iter().for_each(|w| on_cycle[w] = true);
                }
            }
        }
    }
    for (i, node) in def.nodes.iter().enumerate() {
        if on_cycle[i] {
            found.node(
                &node.id,
                "this node is on a cycle; a pipeline runs from its inputs to its outputs without going back",
            );
        }
    }
}
