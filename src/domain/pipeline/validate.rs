//! Checks a definition before it is saved or run (the server) and while it is built (the
//! browser): every problem found, each naming its node and port.

use std::collections::{HashMap, HashSet};

use super::{
    format::{Body, Definition, Edge, FORMAT_VERSION, HttpMethod, Interface, Node, NodeKind, OnError, Port, PortType},
    http::literal_scheme_and_host,
};

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

/// What the definition refers to outside itself; the server answers from the catalog and the
/// user's knowledge bases.
pub trait Known {
    /// Whether the user may use this chat model.
    fn model(&self, id: &str) -> bool;
    /// Whether the user may read this knowledge base.
    fn knowledge_base(&self, id: &str) -> bool;
    /// Whether an admin lets HTTP request nodes reach this host.
    fn http_host(&self, host: &str) -> bool;
    /// The fields and results of a pipeline the user may run.
    fn pipeline(&self, id: &str) -> Option<Interface>;
}

/// Everything is known (for checks that cannot see the catalog or the knowledge bases).
pub struct AnyModel;

impl Known for AnyModel {
    fn model(&self, _: &str) -> bool {
        true
    }
    fn knowledge_base(&self, _: &str) -> bool {
        true
    }
    fn http_host(&self, _: &str) -> bool {
        true
    }
    fn pipeline(&self, _: &str) -> Option<Interface> {
        None
    }
}

/// Knowledge bases one Knowledge retrieval node may search, and passages it may ask for.
pub const MAX_KNOWLEDGE_BASES: usize = 16;
pub const MAX_PASSAGES: u32 = 20;

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

/// The problems found so far, and where the checks are: `prefix` names the Loop or Iterate node
/// whose body is being checked (`loop/`, `loop/inner/`), so a problem inside names its path.
struct Found {
    problems: Vec<Problem>,
    prefix: String,
}

impl Found {
    fn pipeline(&mut self, message: impl Into<String>) {
        let message = message.into();
        match self.prefix.strip_suffix('/') {
            None => self.problems.push(Problem { node: None, port: None, message }),
            Some(group) => {
                let node = Some(group.to_owned());
                self.problems.push(Problem { node, port: None, message: format!("in its body: {message}") });
            }
        }
    }
    fn node(&mut self, node: &str, message: impl Into<String>) {
        let node = Some(format!("{}{node}", self.prefix));
        self.problems.push(Problem { node, port: None, message: message.into() });
    }
    fn port(&mut self, node: &str, port: &str, message: impl Into<String>) {
        let node = Some(format!("{}{node}", self.prefix));
        self.problems.push(Problem { node, port: Some(port.to_owned()), message: message.into() });
    }
}

/// Most rounds a Loop may run, and most items an Iterate may run at once.
pub const MAX_ITERATIONS: u32 = 100;
pub const MAX_CONCURRENCY: u32 = 16;

/// Nodes in a graph, those inside groups included.
fn count_nodes(nodes: &[Node]) -> usize {
    nodes.iter().map(|n| 1 + n.body().map_or(0, |b| count_nodes(&b.nodes))).sum()
}

fn count_edges(nodes: &[Node], edges: &[Edge]) -> usize {
    edges.len() + nodes.iter().filter_map(Node::body).map(|b| count_edges(&b.nodes, &b.edges)).sum::<usize>()
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
    let mut found = Found { problems: Vec::new(), prefix: String::new() };
    if def.format != FORMAT_VERSION {
        found.pipeline(format!(
            "format {} is not one this server reads; export the pipeline again as format {FORMAT_VERSION}",
            def.format
        ));
    }
    if def.name.trim().is_empty() || def.name.chars().count() > MAX_NAME_CHARS {
        found.pipeline(format!("give the pipeline a name of 1 to {MAX_NAME_CHARS} characters"));
    }
    if let Some(model) = &def.publish_as {
        check_published(def, model, &mut found);
    }
    let (nodes, edges) = (count_nodes(&def.nodes), count_edges(&def.nodes, &def.edges));
    if nodes > MAX_NODES {
        found.pipeline(format!("a pipeline may have at most {MAX_NODES} nodes; this one has {nodes}"));
        return found.problems;
    }
    if edges > MAX_EDGES {
        found.pipeline(format!("a pipeline may have at most {MAX_EDGES} edges; this one has {edges}"));
        return found.problems;
    }
    check_graph(&def.nodes, &def.edges, known, &mut found);
    found.problems
}

/// A pipeline published as the model `pipeline:<model>`: a valid name, a text field for the
/// chat's message (any other field optional: a chat gives one message) and a text result.
fn check_published(def: &Definition, model: &str, found: &mut Found) {
    let valid = !model.is_empty()
        && model.len() <= MAX_ID_CHARS
        && model.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'));
    if !valid {
        found.pipeline(format!(
            "publish as {model:?}: use 1 to {MAX_ID_CHARS} lowercase letters, digits, '-', '_' or '.' \
             (clients call it as pipeline:<name>)"
        ));
    }
    match def.message_field() {
        None => found.pipeline(
            "a pipeline published as a model needs an Input node with a text field: a chat's last message fills it",
        ),
        Some(message) => {
            let others = def.nodes.iter().flat_map(|n| match &n.kind {
                NodeKind::Input { fields } => fields.as_slice(),
                _ => &[],
            });
            for f in others.filter(|f| f.required && f.name != message.name) {
                found.pipeline(format!(
                    "input field {:?} must be optional in a pipeline published as a model: a chat gives only \
                     its message, which goes to {:?}",
                    f.name, message.name
                ));
            }
        }
    }
    if def.reply_result().is_none() {
        found.pipeline("a pipeline published as a model needs an Output node with a text result: it is the reply");
    }
}

/// The checks of one graph: the pipeline's, or a group's body.
fn check_graph(nodes: &[Node], edges: &[Edge], known: &dyn Known, found: &mut Found) {
    let mut by_id: HashMap<&str, &Node> = HashMap::new();
    for node in nodes {
        if !valid_node_id(&node.id) {
            found.node(&node.id, "use an id of 1 to 64 letters, digits, '_' or '-'");
        }
        if by_id.insert(&node.id, node).is_some() {
            found.node(&node.id, "two nodes have this id; give each its own");
        }
        check_node(node, known, found);
    }
    check_counts(nodes, found);
    check_edges(nodes, edges, &by_id, found);
    check_cycles(nodes, edges, found);
}

fn check_counts(nodes: &[Node], found: &mut Found) {
    let inputs = nodes.iter().filter(|n| matches!(n.kind, NodeKind::Input { .. })).count();
    if inputs > 1 {
        found.pipeline("a pipeline has at most one Input node; put every field in one");
    }
    let outputs: Vec<&Node> = nodes.iter().filter(|n| matches!(n.kind, NodeKind::Output { .. })).collect();
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

/// A group's body: its own graph, and what it takes and gives matching the group's ports.
/// `given` are the values its Input may ask for (name, type; `None`: any type).
fn check_body(node: &Node, body: &Body, given: &[(String, Option<PortType>)], known: &dyn Known, found: &mut Found) {
    let outer = std::mem::take(&mut found.prefix);
    found.prefix = format!("{outer}{}/", node.id);
    check_graph(&body.nodes, &body.edges, known, found);
    found.prefix = outer;
    for inner in &body.nodes {
        if let NodeKind::Input { fields } = &inner.kind {
            for f in fields {
                match given.iter().find(|(name, _)| name == &f.name) {
                    None => {
                        let names: Vec<&str> = given.iter().map(|(n, _)| n.as_str()).collect();
                        found.port(
                            &format!("{}/{}", node.id, inner.id),
                            &f.name,
                            format!("the body is given {}; add an input of this name to the group", names.join(", ")),
                        );
                    }
                    Some((_, Some(ty))) if !f.ty.accepts(*ty) => found.port(
                        &format!("{}/{}", node.id, inner.id),
                        &f.name,
                        format!("takes {} but the group's input is {}", f.ty.as_str(), ty.as_str()),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
    let results: Vec<Port> =
        body.nodes.iter().filter(|n| matches!(n.kind, NodeKind::Output { .. })).flat_map(Node::inputs).collect();
    let lists = matches!(node.kind, NodeKind::Iterate { .. });
    for out in node.outputs().iter().filter(|p| p.name != super::format::ERROR_PORT) {
        match results.iter().find(|r| r.name == out.name) {
            None => found.port(&node.id, &out.name, "the body has no result of this name; add one to its Output node"),
            Some(_) if lists && out.ty != PortType::List => {
                found.port(&node.id, &out.name, "an Iterate's outputs are lists (one value per item); make it a list")
            }
            Some(r) if !lists && !out.ty.accepts(r.ty) => found.port(
                &node.id,
                &out.name,
                format!("gives {} but the body's result is {}", out.ty.as_str(), r.ty.as_str()),
            ),
            Some(_) => {}
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

/// A Pipeline node against the pipeline it runs: each input one of its fields (of a type the
/// field takes), every field it needs given, each output one of its results (of the same type).
fn check_call(node: &Node, id: &str, inputs: &[Port], outputs: &[Port], known: &dyn Known, found: &mut Found) {
    if id.trim().is_empty() {
        return found.node(&node.id, "pick the pipeline to run");
    }
    let Some(called) = known.pipeline(id) else {
        return found.node(&node.id, format!("the pipeline {id:?} is not one you can run; pick one from the list"));
    };
    let name = &called.name;
    for p in inputs {
        match called.fields.iter().find(|f| f.name == p.name) {
            None => found.port(&node.id, &p.name, format!("the pipeline {name:?} has no input of this name")),
            Some(f) if !f.ty.accepts(p.ty) => found.port(
                &node.id,
                &p.name,
                format!("the pipeline {name:?} takes a {} here, not a {}", f.ty.as_str(), p.ty.as_str()),
            ),
            Some(_) => {}
        }
    }
    for f in called.fields.iter().filter(|f| f.required && f.default.is_none()) {
        if !inputs.iter().any(|p| p.name == f.name) {
            found.node(&node.id, format!("the pipeline {name:?} needs its input {:?}; add it to the inputs", f.name));
        }
    }
    for p in outputs {
        match called.results.iter().find(|r| r.name == p.name) {
            None => found.port(&node.id, &p.name, format!("the pipeline {name:?} has no result of this name")),
            Some(r) if !p.ty.accepts(r.ty) => found.port(
                &node.id,
                &p.name,
                format!("the pipeline {name:?} gives a {} here, not a {}", r.ty.as_str(), p.ty.as_str()),
            ),
            Some(_) => {}
        }
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
        NodeKind::Llm { model, prompt, params, output_schema, .. } => {
            if output_schema.as_ref().is_some_and(|s| !s.is_object() && !s.is_boolean()) {
                found.node(&node.id, "output_schema: a JSON Schema is an object, such as {\"type\": \"object\"}");
            }
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
        NodeKind::Retrieve { knowledge_bases, query, k, .. } => {
            check_text(node, "the query", query, found);
            if knowledge_bases.is_empty() || knowledge_bases.len() > MAX_KNOWLEDGE_BASES {
                found.node(&node.id, format!("pick 1 to {MAX_KNOWLEDGE_BASES} knowledge bases"));
            }
            for kb in knowledge_bases {
                if !known.knowledge_base(kb) {
                    found.node(
                        &node.id,
                        format!("the knowledge base {kb:?} is not one you can read; pick one from the list"),
                    );
                }
            }
            if !(1..=MAX_PASSAGES).contains(k) {
                found.node(&node.id, format!("k: ask for 1 to {MAX_PASSAGES} passages"));
            }
        }
        NodeKind::Http { method, url, body, .. } => {
            check_text(node, "the URL", url, found);
            if *method == HttpMethod::Get && !body.trim().is_empty() {
                found.node(&node.id, "a GET request sends no body; pick POST, or clear the body");
            }
            if let Some((scheme, host)) = literal_scheme_and_host(url) {
                if scheme != "http" && scheme != "https" {
                    found.node(&node.id, format!("the URL's scheme {scheme:?} is not http or https"));
                } else if !known.http_host(&host) {
                    found.node(
                        &node.id,
                        format!(
                            "the host {host:?} is not one an admin allowed for HTTP requests; ask an admin to \
                             add it (Admin, Pipelines)"
                        ),
                    );
                }
            } else if !url.trim().is_empty() && !url.contains("{{") && !url.contains("{%") {
                found.node(&node.id, "the URL must start with http:// or https:// and a host");
            }
        }
        NodeKind::Pipeline { pipeline, inputs, outputs } => check_call(node, pipeline, inputs, outputs, known, found),
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
        NodeKind::Loop { inputs, outputs, body, until, max_iterations } => {
            check_text(node, "the condition to stop (until)", until, found);
            if !(1..=MAX_ITERATIONS).contains(max_iterations) {
                found.node(&node.id, format!("max_iterations: use 1 to {MAX_ITERATIONS} rounds"));
            }
            if outputs.is_empty() {
                found.node(&node.id, "a Loop needs at least one output");
            }
            let given: Vec<(String, Option<PortType>)> = inputs.iter().map(|p| (p.name.clone(), Some(p.ty))).collect();
            check_body(node, body, &given, known, found);
        }
        NodeKind::Iterate { inputs, outputs, body, concurrency } => {
            match inputs.first() {
                Some(p) if p.ty == PortType::List => {}
                Some(p) => found.port(
                    &node.id,
                    &p.name,
                    "an Iterate's first input is the list it goes through; make it a list",
                ),
                None => found.node(&node.id, "an Iterate needs an input: the list it goes through"),
            }
            if !(1..=MAX_CONCURRENCY).contains(concurrency) {
                found.node(&node.id, format!("concurrency: use 1 to {MAX_CONCURRENCY}"));
            }
            if outputs.is_empty() {
                found.node(&node.id, "an Iterate needs at least one output");
            }
            let mut given: Vec<(String, Option<PortType>)> =
                vec![("item".to_owned(), None), ("index".to_owned(), Some(PortType::Number))];
            given.extend(inputs.iter().skip(1).map(|p| (p.name.clone(), Some(p.ty))));
            check_body(node, body, &given, known, found);
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

fn check_edges(nodes: &[Node], edges: &[Edge], by_id: &HashMap<&str, &Node>, found: &mut Found) {
    let mut connected: HashSet<(&str, &str)> = HashSet::new();
    let mut seen = HashSet::new();
    for edge in edges {
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
    for node in nodes {
        for port in node.inputs() {
            if port.required && !connected.contains(&(node.id.as_str(), port.name.as_str())) {
                found.port(&node.id, &port.name, "this input is required; connect an output to it");
            }
        }
    }
}

/// Nodes on a cycle: those in a strongly connected component of more than one node, or with an
/// edge to themselves (Tarjan's algorithm, iterative so a long chain cannot overflow the stack).
fn check_cycles(nodes: &[Node], edges: &[Edge], found: &mut Found) {
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let n = nodes.len();
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut self_loop = vec![false; n];
    for e in edges {
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
    for (i, node) in nodes.iter().enumerate() {
        if on_cycle[i] {
            found.node(
                &node.id,
                "this node is on a cycle; a pipeline runs from its inputs to its outputs without going back",
            );
        }
    }
}
