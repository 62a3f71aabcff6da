//! What a run is and what happens in it: the states the engine reports, stores, and sends to
//! whoever follows the run.

use serde_json::{Map, Value};

use crate::storage::{NodeRunRow, RunRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// The server stopped during the run.
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "cancelled" => RunStatus::Cancelled,
            "interrupted" => RunStatus::Interrupted,
            _ => RunStatus::Failed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeStatus {
    Running,
    Succeeded,
    Failed,
    /// Not run: an input it needs came from a branch not taken.
    Skipped,
    Cancelled,
    Interrupted,
}

impl NodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeStatus::Running => "running",
            NodeStatus::Succeeded => "succeeded",
            NodeStatus::Failed => "failed",
            NodeStatus::Skipped => "skipped",
            NodeStatus::Cancelled => "cancelled",
            NodeStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "running" => NodeStatus::Running,
            "succeeded" => NodeStatus::Succeeded,
            "skipped" => NodeStatus::Skipped,
            "cancelled" => NodeStatus::Cancelled,
            "interrupted" => NodeStatus::Interrupted,
            _ => NodeStatus::Failed,
        }
    }
}

/// One node's execution in a run, as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeState {
    pub node: String,
    pub status: NodeStatus,
    pub attempts: u32,
    pub inputs: Option<Map<String, Value>>,
    pub outputs: Option<Map<String, Value>>,
    pub error: Option<String>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// Billionths of a dollar at list prices (the ledger's figure).
    pub cost_nano_usd: Option<i64>,
    /// What a running LLM node has written so far (not stored: a finished node has `outputs`).
    pub partial: String,
}

impl NodeState {
    pub fn new(node: &str, status: NodeStatus) -> Self {
        NodeState {
            node: node.to_owned(),
            status,
            attempts: 0,
            inputs: None,
            outputs: None,
            error: None,
            started_at: None,
            finished_at: None,
            input_tokens: None,
            output_tokens: None,
            cost_nano_usd: None,
            partial: String::new(),
        }
    }

    pub(crate) fn to_row(&self, run_id: &str) -> NodeRunRow {
        let json = |m: &Option<Map<String, Value>>| m.as_ref().map(|m| Value::Object(m.clone()).to_string());
        NodeRunRow {
            run_id: run_id.to_owned(),
            node_id: self.node.clone(),
            status: self.status.as_str().to_owned(),
            attempts: i64::from(self.attempts),
            inputs: json(&self.inputs),
            outputs: json(&self.outputs),
            error: self.error.clone(),
            started_at: self.started_at,
            finished_at: self.finished_at,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cost_nano_usd: self.cost_nano_usd,
        }
    }

    pub(crate) fn from_row(row: NodeRunRow) -> Self {
        NodeState {
            node: row.node_id,
            status: NodeStatus::parse(&row.status),
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            inputs: row.inputs.as_deref().and_then(object),
            outputs: row.outputs.as_deref().and_then(object),
            error: row.error,
            started_at: row.started_at,
            finished_at: row.finished_at,
            input_tokens: row.input_tokens,
            output_tokens: row.output_tokens,
            cost_nano_usd: row.cost_nano_usd,
            partial: String::new(),
        }
    }
}

/// A stored JSON object (the database only ever holds ones we wrote).
pub(crate) fn object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// A run with its nodes' executions.
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    pub id: String,
    pub pipeline_id: String,
    pub version: i64,
    pub status: RunStatus,
    pub inputs: Map<String, Value>,
    pub outputs: Option<Map<String, Value>>,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub nodes: Vec<NodeState>,
}

impl RunView {
    pub(crate) fn from_rows(run: RunRow, nodes: Vec<NodeRunRow>) -> Self {
        RunView {
            id: run.id,
            pipeline_id: run.pipeline_id,
            version: run.version,
            status: RunStatus::parse(&run.status),
            inputs: object(&run.inputs).unwrap_or_default(),
            outputs: run.outputs.as_deref().and_then(object),
            error: run.error,
            created_at: run.created_at,
            finished_at: run.finished_at,
            nodes: nodes.into_iter().map(NodeState::from_row).collect(),
        }
    }
}

/// Something that happened in a run, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// A node started, retried, or ended.
    Node(NodeState),
    /// A piece of a running LLM node's text.
    Token { node: String, text: String },
    /// The run ended (the last event).
    Finished { status: RunStatus, outputs: Option<Map<String, Value>>, error: Option<String> },
}

impl RunEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            RunEvent::Node(_) => "node",
            RunEvent::Token { .. } => "token",
            RunEvent::Finished { .. } => "run",
        }
    }
}
