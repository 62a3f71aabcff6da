//! The pipeline API's bodies (docs/API.md): built from the engine's views. Pipeline and run times
//! are Unix seconds; a node's times are Unix milliseconds (nodes often take less than a second).

use serde::Serialize;
use serde_json::{Map, Value};
use webplus::{
    domain::pipeline::{Definition, Problem},
    pipelines::{Access, Listed, PipelineView, RunView, Share as EngineShare},
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
    /// What the caller may do: owner, run or view.
    access: &'static str,
    /// The owner's email, for a pipeline shared with the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<Definition>,
}

impl Pipeline {
    pub fn listed(l: &Listed) -> Self {
        Pipeline { access: l.access.as_str(), owner: l.owner_email.clone(), ..Self::of(&l.row) }
    }

    fn of(row: &PipelineRow) -> Self {
        Pipeline {
            id: row.id.clone(),
            object: "pipeline",
            name: row.name.clone(),
            description: row.description.clone(),
            version: row.version,
            created_at: row.created_at / 1000,
            updated_at: row.updated_at / 1000,
            access: Access::Owner.as_str(),
            owner: None,
            definition: None,
        }
    }

    pub fn full(view: PipelineView) -> Self {
        Pipeline { definition: Some(view.definition), access: view.access.as_str(), ..Self::of(&view.row) }
    }
}

/// One user a pipeline is shared with.
#[derive(Serialize)]
pub struct Share {
    user_id: String,
    email: String,
    access: &'static str,
}

impl From<EngineShare> for Share {
    fn from(s: EngineShare) -> Self {
        Share { user_id: s.user_id, email: s.email, access: s.access.as_str() }
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
    /// Each node's execution, as the browser gets it.
    nodes: Vec<app::dto::NodeRunDto>,
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
            nodes: r.nodes.into_iter().map(app::ssr::convert::node_run).collect(),
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
