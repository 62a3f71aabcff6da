//! The code factory's pipelines and runs as the builder and the run view get them. A run and its
//! nodes have the field names of `GET /api/v1/runs/{id}`, so the same types read the run
//! events' JSON (`/api/v1/runs/{id}/events`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
pub use webplus::domain::pipeline::{Definition, Interface, Problem};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineSummaryDto {
    pub id: String,
    pub name: String,
    pub description: String,
    pub version: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
    /// What the user may do with it: owner, run or view.
    pub access: String,
    /// The owner's email, when it is shared with the user.
    pub owner: Option<String>,
}

/// One user a pipeline is shared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineShareDto {
    pub user_id: String,
    pub email: String,
    /// view or run
    pub access: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineTemplateDto {
    pub id: String,
    pub name: String,
    pub description: String,
}

/// What the builder needs: the latest version, and what its pickers offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineEditDto {
    pub id: String,
    pub version: i64,
    /// What the user may do with it: owner (edit), run or view (read-only builder).
    pub access: String,
    pub definition: Definition,
    /// Chat models the user may pick (ids).
    pub models: Vec<String>,
    /// Knowledge bases the user may read: (id, name).
    pub knowledge_bases: Vec<(String, String)>,
    /// What LLM nodes dropped from the palette use (the server's default model).
    pub default_model: String,
    /// The hosts an admin lets HTTP request nodes reach.
    pub http_hosts: Vec<String>,
    /// The pipelines the user may run besides this one, for Pipeline nodes: (id, its fields and
    /// results).
    pub pipelines: Vec<(String, Interface)>,
}

/// One node's execution (nested nodes are `loop#2/node`, `each[3]/node`); also the REST API's
/// (`/api/v1/runs/{id}`, its `node` events), so fields that are not there are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeRunDto {
    pub node: String,
    /// pending, running, succeeded, failed, skipped, cancelled
    pub status: String,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// What a running LLM node has written so far.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub partial: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDto {
    pub id: String,
    pub pipeline_id: String,
    pub version: i64,
    /// running, succeeded, failed, cancelled, interrupted
    pub status: String,
    #[serde(default)]
    pub inputs: Map<String, Value>,
    #[serde(default)]
    pub outputs: Option<Map<String, Value>>,
    #[serde(default)]
    pub error: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    #[serde(default)]
    pub finished_at: Option<i64>,
    #[serde(default)]
    pub nodes: Vec<NodeRunDto>,
}

/// The run view: the run, and the version of the pipeline it ran (the canvas).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPageDto {
    pub run: RunDto,
    pub definition: Definition,
    /// The run's outputs, each as safe HTML: text rendered as Markdown with highlighted code,
    /// anything else as its JSON in a code block.
    pub outputs_html: Vec<(String, String)>,
}

/// A `token` event: text a running LLM node wrote.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenEventDto {
    pub node: String,
    pub text: String,
}

/// A `run` event: the run's end.
#[derive(Debug, Clone, Deserialize)]
pub struct RunEndDto {
    pub status: String,
    #[serde(default)]
    pub outputs: Option<Map<String, Value>>,
    #[serde(default)]
    pub error: Option<String>,
}
