//! The pipeline API's bodies (docs/API.md): built from the engine's views. Pipeline and run times
//! are Unix seconds; a node's times are Unix milliseconds (nodes often take less than a second).

use serde::Serialize;
use serde_json::{Map, Value};
use webplus::{
    domain::pipeline::{Definition, Problem},
    pipelines::{NodeState, PipelineView, RunView},
    storage::PipelineRow,
};

#[derive(Serialize)]
pub struct Pipeline {
    id: String,
    object: &'static str,
    name: String,
    description: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<Definition>,
}

impl Pipeline {
    pub fn summary(row: &PipelineRow) -> Self {
        Pipeline {
            id: row.id.clone(),
            object: "pipeline",
            name: row.name.clone(),
            description: row.description.clone(),
            version: row.version,
            created_at: row.created_at / 1000,
            updated_at: row.updated_at / 1000,
            definition: None,
        }
    }

    pub fn full(view: PipelineView) -> Self {
        Pipeline { definition: Some(view.definition), ..Self::summary(&view.row) }
    }
}

#[derive(Serialize)]
pub struct Template {
    id: &'static str,
    object: &'static str,
    name: String,
    description: String,
    definition: Definition,
}

impl From<webplus::pipelines::Template> for Template {
    fn from(t: webplus::pipelines::Template) -> Self {
        Template {
            id: t.id,
            object: "pipeline.template",
            name: t.definition.name.clone(),
            description: t.definition.description.clone(),
            definition: t.definition,
        }
    }
}

#[derive(Serialize)]
pub struct Problems {
    pub problems: Vec<Problem>,
}

#[derive(Serialize)]
pub struct Node {
    node: String,
    status: &'static str,
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    inputs: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    started_at_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_tokens: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_tokens: Option<i64>,
    /// Dollars at list prices (the usage ledger's figure).
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    partial: String,
}

impl From<NodeState> for Node {
    fn from(n: NodeState) -> Self {
        Node {
            node: n.node,
            status: n.status.as_str(),
            attempts: n.attempts,
            inputs: n.inputs,
            outputs: n.outputs,
            error: n.error,
            started_at_ms: n.started_at,
            finished_at_ms: n.finished_at,
            input_tokens: n.input_tokens,
            output_tokens: n.output_tokens,
            cost_usd: n.cost_nano_usd.map(|c| c as f64 / 1e9),
            partial: n.partial,
        }
    }
}

#[derive(Serialize)]
pub struct Run {
    id: String,
    object: &'static str,
    pipeline_id: String,
    version: i64,
    status: &'static str,
    inputs: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at: Option<i64>,
    nodes: Vec<Node>,
}

impl From<RunView> for Run {
    fn from(r: RunView) -> Self {
        Run {
            id: r.id,
            object: "pipeline.run",
            pipeline_id: r.pipeline_id,
            version: r.version,
            status: r.status.as_str(),
            inputs: r.inputs,
            outputs: r.outputs,
            error: r.error,
            created_at: r.created_at / 1000,
            finished_at: r.finished_at.map(|t| t / 1000),
            nodes: r.nodes.into_iter().map(Node::from).collect(),
        }
    }
}

#[derive(Serialize)]
pub struct Token<'a> {
    pub node: &'a str,
    pub text: &'a str,
}

#[derive(Serialize)]
pub struct Ended<'a> {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}
