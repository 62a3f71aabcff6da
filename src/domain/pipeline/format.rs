//! The pipeline format, version 1 (`docs/PIPELINES.md`): what is saved as a version, exported,
//! imported and validated. Plain serde types, shared with the browser's builder.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// A whole pipeline: its name, nodes and the edges between their ports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub format: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Published to OpenAI clients as the model `pipeline:<publish_as>` (`GET /v1/models`): a
    /// chat's last message fills the Input's first text field, the Output's first text result is
    /// the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_as: Option<String>,
    #[serde(default)]
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub edges: Vec<Edge>,
}

/// What another pipeline's Pipeline node sees of a pipeline: its Input fields and its Output
/// results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    pub name: String,
    pub fields: Vec<Field>,
    pub results: Vec<Port>,
}

impl Definition {
    /// Its fields and results, for the Pipeline nodes that run it.
    pub fn interface(&self) -> Interface {
        let mut fields = Vec::new();
        let mut results = Vec::new();
        for node in &self.nodes {
            match &node.kind {
                NodeKind::Input { fields: f } => fields.extend(f.iter().cloned()),
                NodeKind::Output { results: r } => results.extend(r.iter().cloned()),
                _ => {}
            }
        }
        Interface { name: self.name.clone(), fields, results }
    }

    /// As a model: the Input field a chat's last message fills (the first text field).
    pub fn message_field(&self) -> Option<&Field> {
        self.nodes.iter().find_map(|n| match &n.kind {
            NodeKind::Input { fields } => fields.iter().find(|f| f.ty == PortType::Text),
            _ => None,
        })
    }

    /// As a model: the Output node and its result that is the reply (the first text result).
    pub fn reply_result(&self) -> Option<(&str, &str)> {
        self.nodes.iter().find_map(|n| match &n.kind {
            NodeKind::Output { results } => {
                results.iter().find(|p| p.ty == PortType::Text).map(|p| (n.id.as_str(), p.name.as_str()))
            }
            _ => None,
        })
    }
}

/// One step. `kind` (the JSON `type`) decides its ports; the rest applies to every kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Where the builder draws it (canvas units); the engine ignores it.
    #[serde(default)]
    pub position: Position,
    #[serde(flatten)]
    pub kind: NodeKind,
    /// Longest one attempt may take, in milliseconds; the run's own limit applies anyway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Retry::is_none")]
    pub retry: Retry,
    #[serde(default, skip_serializing_if = "OnError::is_fail")]
    pub on_error: OnError,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

/// Attempts after the first that fails, waiting `backoff_ms`, then twice that, and so on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    #[serde(default)]
    pub max: u32,
    #[serde(default)]
    pub backoff_ms: u64,
}

impl Retry {
    pub fn is_none(&self) -> bool {
        self.max == 0
    }
}

/// What a node's failure (after its retries) does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)]
pub enum OnError {
    /// The run fails.
    #[default]
    Fail,
    /// The node's outputs take these values and the run goes on.
    Default { outputs: Map<String, Value> },
    /// The node's `error` output carries the message; its other outputs are skipped.
    Branch,
}

impl OnError {
    pub fn is_fail(&self) -> bool {
        matches!(self, OnError::Fail)
    }
}

/// The kinds of node, with what each needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeKind {
    /// The run's parameters: each field is an output (and a field of the run form and the API).
    Input { fields: Vec<Field> },
    /// The run's results: each result is an input; the run's outputs are these, by name.
    Output { results: Vec<Port> },
    /// A model's reply to a prompt written from the inputs (a template); output `text`. With an
    /// `output_schema` (a JSON Schema) the reply must be JSON that matches it, also output as
    /// `json`; a reply that does not is sent back to the model with what was wrong, twice at most.
    Llm {
        model: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        system: String,
        prompt: String,
        #[serde(default)]
        inputs: Vec<Port>,
        #[serde(default, skip_serializing_if = "LlmParams::is_unset")]
        params: LlmParams,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output_schema: Option<Value>,
    },
    /// Text written from the inputs (a minijinja template); output `text`.
    Template { template: String, inputs: Vec<Port> },
    /// An expression over the inputs: the first input goes on to `then` when it holds, else to
    /// `else`; the nodes after the side not taken are skipped.
    Condition { expression: String, inputs: Vec<Port> },
    /// The first case whose expression holds takes the first input, else `default` does.
    Switch { cases: Vec<Case>, inputs: Vec<Port> },
    /// A Rhai script over the inputs; it returns a map of its outputs (or, with one output, the value).
    Code { script: String, inputs: Vec<Port>, outputs: Vec<Port> },
    /// The best `k` passages for `query` (a template over the inputs) from knowledge bases the
    /// user may read, as the answer path gives them: `context` (the numbered passages under an
    /// instruction to cite them, for an LLM node's system prompt) and `sources` (a list of
    /// `{n, title, url, sections, text}`).
    Retrieve {
        knowledge_bases: Vec<String>,
        query: String,
        #[serde(default)]
        inputs: Vec<Port>,
        #[serde(default = "default_k")]
        k: u32,
    },
    /// A GET or POST to `url` (a template over the inputs) on a host an admin allowed, with `body`
    /// (a template; POST only) sent as JSON when it parses as JSON, else as text. Outputs `status`
    /// (a number), `body` (text) and `json` (the body parsed, or null); a status other than 2xx is
    /// the node's error, so retries and error policies apply.
    Http {
        #[serde(default)]
        method: HttpMethod,
        url: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        body: String,
        #[serde(default)]
        inputs: Vec<Port>,
    },
    /// Runs another pipeline the user may run (its latest version), as part of this run: each
    /// input goes to its Input field of the same name (fields not given take their defaults), and
    /// each output is its Output result of the same name. Its nodes are reported as `node/…`.
    Pipeline { pipeline: String, inputs: Vec<Port>, outputs: Vec<Port> },
    /// Runs `body` again and again: first with the loop's inputs, then with each input that the
    /// body has a result of the same name for replaced by that result, until `until` (an
    /// expression over the body's results) holds or `max_iterations` rounds are done. Its outputs
    /// are the last round's results of the same names.
    Loop { inputs: Vec<Port>, outputs: Vec<Port>, body: Body, until: String, max_iterations: u32 },
    /// Runs `body` once for each item of the first input (a list), at most `concurrency` at once;
    /// the body's Input gets `item` and `index` besides the other inputs. Each output is the list
    /// of the body's result of that name, in the items' order.
    Iterate {
        inputs: Vec<Port>,
        outputs: Vec<Port>,
        body: Body,
        #[serde(default = "default_concurrency")]
        concurrency: u32,
    },
}

/// An HTTP request node's method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    #[default]
    Get,
    Post,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// The nodes inside a Loop or Iterate node: a graph of its own with one Input node (what the
/// group gives each round or item) and Output nodes (what a round or item gives back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub edges: Vec<Edge>,
}

fn default_k() -> u32 {
    5
}

fn default_concurrency() -> u32 {
    4
}

/// A named, typed port. `required` inputs must be connected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: PortType,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub required: bool,
}

/// A field of the Input node: a port, with a default for when a run does not give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: PortType,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub expression: String,
}

/// An LLM node's sampling parameters (unset: the catalog's defaults).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl LlmParams {
    pub fn is_unset(&self) -> bool {
        *self == LlmParams::default()
    }
}

/// The types a port carries. Values are JSON; `json` takes any value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortType {
    Text,
    Number,
    Boolean,
    Json,
    List,
}

impl PortType {
    pub fn as_str(self) -> &'static str {
        match self {
            PortType::Text => "text",
            PortType::Number => "number",
            PortType::Boolean => "boolean",
            PortType::Json => "json",
            PortType::List => "list",
        }
    }

    /// Whether an input of this type takes an output of type `from`: the same type, anything into
    /// `json`, and numbers and booleans into `text` (written as text).
    pub fn accepts(self, from: PortType) -> bool {
        self == from
            || self == PortType::Json
            || (self == PortType::Text && matches!(from, PortType::Number | PortType::Boolean))
    }

    /// Whether a value has this type (`json` holds anything).
    pub fn holds(self, value: &Value) -> bool {
        match self {
            PortType::Text => value.is_string(),
            PortType::Number => value.is_number(),
            PortType::Boolean => value.is_boolean(),
            PortType::List => value.is_array(),
            PortType::Json => true,
        }
    }

    /// A value of type `from` as this type would take it (`accepts` said yes).
    pub fn convert(self, value: Value) -> Value {
        match (self, &value) {
            (PortType::Text, Value::Number(n)) => Value::String(n.to_string()),
            (PortType::Text, Value::Bool(b)) => Value::String(b.to_string()),
            _ => value,
        }
    }
}

/// One end of an edge: a node's port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortRef {
    pub node: String,
    pub port: String,
}

/// An output port connected to an input port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub from: PortRef,
    pub to: PortRef,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// The output carrying a node's error when its policy is `branch`.
pub const ERROR_PORT: &str = "error";

impl Node {
    /// The ports values arrive on, in order.
    pub fn inputs(&self) -> Vec<Port> {
        match &self.kind {
            NodeKind::Input { .. } => Vec::new(),
            NodeKind::Output { results } => results.clone(),
            NodeKind::Llm { inputs, .. }
            | NodeKind::Template { inputs, .. }
            | NodeKind::Condition { inputs, .. }
            | NodeKind::Switch { inputs, .. }
            | NodeKind::Code { inputs, .. }
            | NodeKind::Retrieve { inputs, .. }
            | NodeKind::Http { inputs, .. }
            | NodeKind::Pipeline { inputs, .. }
            | NodeKind::Loop { inputs, .. }
            | NodeKind::Iterate { inputs, .. } => inputs.clone(),
        }
    }

    /// The input ports of a kind that lists them as `inputs` (not Input's fields nor Output's
    /// results), to change them.
    pub fn inputs_mut(&mut self) -> Option<&mut Vec<Port>> {
        match &mut self.kind {
            NodeKind::Llm { inputs, .. }
            | NodeKind::Template { inputs, .. }
            | NodeKind::Condition { inputs, .. }
            | NodeKind::Switch { inputs, .. }
            | NodeKind::Code { inputs, .. }
            | NodeKind::Retrieve { inputs, .. }
            | NodeKind::Http { inputs, .. }
            | NodeKind::Pipeline { inputs, .. }
            | NodeKind::Loop { inputs, .. }
            | NodeKind::Iterate { inputs, .. } => Some(inputs),
            NodeKind::Input { .. } | NodeKind::Output { .. } => None,
        }
    }

    /// The ports values leave on, in order (with `error` when the policy is `branch`).
    pub fn outputs(&self) -> Vec<Port> {
        let port = |name: &str, ty| Port { name: name.to_owned(), ty, required: false };
        let passed = || self.inputs().first().map_or(PortType::Json, |p| p.ty);
        let mut out = match &self.kind {
            NodeKind::Input { fields } => {
                fields.iter().map(|f| Port { name: f.name.clone(), ty: f.ty, required: false }).collect()
            }
            NodeKind::Output { .. } => Vec::new(),
            NodeKind::Llm { output_schema: Some(_), .. } => {
                vec![port("text", PortType::Text), port("json", PortType::Json)]
            }
            NodeKind::Llm { .. } | NodeKind::Template { .. } => vec![port("text", PortType::Text)],
            NodeKind::Retrieve { .. } => vec![port("context", PortType::Text), port("sources", PortType::List)],
            NodeKind::Http { .. } => {
                vec![port("status", PortType::Number), port("body", PortType::Text), port("json", PortType::Json)]
            }
            NodeKind::Condition { .. } => vec![port("then", passed()), port("else", passed())],
            NodeKind::Switch { cases, .. } => cases
                .iter()
                .map(|c| port(&c.name, passed()))
                .chain(std::iter::once(port("default", passed())))
                .collect(),
            NodeKind::Code { outputs, .. }
            | NodeKind::Pipeline { outputs, .. }
            | NodeKind::Loop { outputs, .. }
            | NodeKind::Iterate { outputs, .. } => outputs.clone(),
        };
        if self.on_error == OnError::Branch {
            out.push(port(ERROR_PORT, PortType::Text));
        }
        out
    }

    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Input { .. } => "input",
            NodeKind::Output { .. } => "output",
            NodeKind::Llm { .. } => "llm",
            NodeKind::Template { .. } => "template",
            NodeKind::Condition { .. } => "condition",
            NodeKind::Switch { .. } => "switch",
            NodeKind::Code { .. } => "code",
            NodeKind::Retrieve { .. } => "retrieve",
            NodeKind::Http { .. } => "http",
            NodeKind::Pipeline { .. } => "pipeline",
            NodeKind::Loop { .. } => "loop",
            NodeKind::Iterate { .. } => "iterate",
        }
    }

    /// The nodes inside it (a Loop's or an Iterate's).
    pub fn body(&self) -> Option<&Body> {
        match &self.kind {
            NodeKind::Loop { body, .. } | NodeKind::Iterate { body, .. } => Some(body),
            _ => None,
        }
    }

    pub fn body_mut(&mut self) -> Option<&mut Body> {
        match &mut self.kind {
            NodeKind::Loop { body, .. } | NodeKind::Iterate { body, .. } => Some(body),
            _ => None,
        }
    }
}
